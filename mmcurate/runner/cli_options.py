"""Typer options shared by the commands that run recipes (``run``, ``score``, ``select``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from mmcurate.recipes.schema import Recipe

#: ``--executor`` for commands that build their recipe (it is written into the recipe).
ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor",
        help="local (processes on this machine) or ray (Ray Data; written into the run's recipe).",
    ),
]
#: ``--ray-address``: a cluster to join with ``--executor ray``.
RayAddressOpt = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="With --executor ray: join this cluster (auto or HOST:PORT); default: start a "
        "local Ray with --np CPUs.",
    ),
]
#: ``--quiet`` / ``-q``.
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def command_recipe(
    source: str,
    *,
    data: Path,
    out: Path,
    np: int,
    executor: str,
    process: list[Any],
    input_format: str | None = None,
    export_format: str | None = None,
    work_dir: Path | None = None,
    **extra: Any,
) -> Recipe:
    """The recipe a command (``curate score``, ``curate select``) runs and records.

    Raises:
        ConfigError: a value the recipe schema rejects, named with ``source``.
    """
    from mmcurate.recipes.schema import parse_recipe

    raw: dict[str, Any] = {
        "dataset_path": str(data),
        "export_path": str(out),
        "np": np,
        "executor": executor,
        **extra,
        "process": process,
    }
    if input_format:
        raw["format"] = input_format
    if export_format:
        raw["export_format"] = export_format
    if work_dir is not None:
        raw["work_dir"] = str(work_dir)
    return parse_recipe(raw, source=source)

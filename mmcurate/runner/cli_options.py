"""Typer options shared by the commands that run recipes (``run``, ``score``, ``select``)."""

from __future__ import annotations

from typing import Annotated

import typer

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

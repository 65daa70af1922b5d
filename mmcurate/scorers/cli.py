"""``curate score``: capability scores and interaction styles for a dataset.

The command builds a recipe of score ops for the chosen backend and runs it through the
executor the options name (``local`` processes, or ``ray``: Ray Data, a local Ray or a
cluster; see docs/SCALING.md), so resume, progress, the errors file, traces and
checkpoints come with it.
The output is written in the input's format; in jsonl exports ``scores``, ``styles`` and
``stats`` are top-level keys, so the output feeds ``curate select``.

Backends map to score recipes in :data:`SCORE_RECIPES` (backend name -> function from
:class:`ScoreOptions` to the list of op steps). ``heuristic`` (the default, no model)
runs ``lite_perception_mapper``, ``lite_capability_scorer`` and ``rule_styler``. A model
backend plugs in with one entry::

    SCORE_RECIPES["vllm-server"] = lambda o: [
        OpSpec(name="vlm_capability_scorer", params={"backend": "vllm-server", ...}),
        OpSpec(name="vlm_styler", params={"backend": "vllm-server", ...}),
    ]

and ``--student MODEL`` with :data:`STUDENT_RECIPE`. A backend without an entry is a clear
error that lists the available ones.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mmcurate.errors import ConfigError
from mmcurate.runner.cli_options import ExecutorOpt, QuietOpt, RayAddressOpt, command_recipe
from mmcurate.taxonomy import CAPABILITIES

if TYPE_CHECKING:
    from mmcurate.recipes.schema import OpSpec, Recipe
    from mmcurate.runner.summary import RunSummary

#: Every backend name the model client knows (``mmcurate.models``); those without an entry
#: in :data:`SCORE_RECIPES` are reported as not available for scoring yet.
KNOWN_BACKENDS = ("heuristic", "vllm-server", "vllm-offline", "transformers")


@dataclass(frozen=True)
class ScoreOptions:
    """What ``curate score`` was asked for.

    Attributes:
        data: Input dataset (file or folder, any readable format).
        out: Output path (written in the input's format unless ``export_format``).
        backend: Scoring backend (a key of :data:`SCORE_RECIPES`).
        capabilities: Capability keys to score (``None``: all 14).
        np: Worker processes.
        resume: Continue from the work dir's checkpoints.
        work_dir: Run directory (default ``<out stem>.work`` next to ``out``).
        input_format: Input format (auto-detected when ``None``).
        export_format: Output format (default: the input's).
        student: A trained student model to score with (see :data:`STUDENT_RECIPE`).
        backend_options: Backend-specific settings (e.g. ``url``, ``model``), passed to the
            backend's recipe builder as is.
        cache_dir: Lite perception cache shared across runs (``None``: the work dir's).
        executor: ``local`` (processes on this machine) or ``ray`` (Ray Data); written into
            the built recipe, so the run's recipe reproduces it.
        ray_address: With ``executor="ray"``: the cluster to join (``auto`` or
            ``HOST:PORT``); ``None`` starts a local Ray with ``np`` CPUs. Not part of the
            recipe (an address belongs to the machine, not the run).
    """

    data: Path
    out: Path
    backend: str = "heuristic"
    capabilities: tuple[str, ...] | None = None
    np: int = 1
    resume: bool = False
    work_dir: Path | None = None
    input_format: str | None = None
    export_format: str | None = None
    student: str | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None
    executor: str = "local"
    ray_address: str | None = None

    def perception_params(self) -> dict[str, Any]:
        """Params for ``lite_perception_mapper`` (and the scorer's nested ``perception``)."""
        return {"cache_dir": str(self.cache_dir)} if self.cache_dir else {}


RecipeBuilder = Callable[[ScoreOptions], "list[OpSpec]"]


def heuristic_recipe(opts: ScoreOptions) -> list[OpSpec]:
    """Lite perception, lite capability scores and the rule styler (no model server)."""
    from mmcurate.recipes.schema import OpSpec

    scorer: dict[str, Any] = {}
    if opts.capabilities:
        scorer["capabilities"] = list(opts.capabilities)
    if opts.cache_dir:
        scorer["perception"] = opts.perception_params()
    return [
        OpSpec(name="lite_perception_mapper", params=opts.perception_params()),
        OpSpec(name="lite_capability_scorer", params=scorer),
        OpSpec(name="rule_styler", params={}),
    ]


# The model backends (vlm_capability_scorer + vlm_styler) and the student's steps live with
# the model-backed scorers.
from mmcurate.scorers.model_cli import MODEL_BACKENDS, student_recipe, vlm_recipe  # noqa: E402

#: Backend name -> score recipe builder.
SCORE_RECIPES: dict[str, RecipeBuilder] = {
    "heuristic": heuristic_recipe,
    **dict.fromkeys(MODEL_BACKENDS, vlm_recipe),
}
#: Builder used when ``--student MODEL`` is given (``None``: not available yet).
STUDENT_RECIPE: RecipeBuilder | None = student_recipe


def parse_capabilities(value: str | None) -> tuple[str, ...] | None:
    """``"a,b"`` -> validated capability keys in taxonomy order (``None``/empty: all).

    Raises:
        ConfigError: an unknown key (the message lists the valid ones).
    """
    if not value:
        return None
    keys = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [k for k in keys if k not in CAPABILITIES]
    if unknown:
        raise ConfigError(
            f"unknown capabilities: {', '.join(unknown)}. Valid: {', '.join(CAPABILITIES)}"
        )
    return tuple(c for c in CAPABILITIES if c in keys)


def score_steps(opts: ScoreOptions) -> list[OpSpec]:
    """The op steps for ``opts`` (the backend's recipe, or the student's).

    Raises:
        ConfigError: unknown backend, a backend without a score recipe yet, or
            ``--student`` while no student recipe is available.
    """
    if opts.student is not None:
        if STUDENT_RECIPE is None:
            raise ConfigError("--student is not available in this build (no student recipe)")
        return STUDENT_RECIPE(opts)
    builder = SCORE_RECIPES.get(opts.backend)
    if builder is None:
        available = ", ".join(sorted(SCORE_RECIPES))
        if opts.backend in KNOWN_BACKENDS:
            raise ConfigError(
                f"backend '{opts.backend}' has no score recipe in this build yet; "
                f"available: {available}"
            )
        raise ConfigError(
            f"unknown backend '{opts.backend}'; available for scoring: {available} "
            f"(model backends: {', '.join(KNOWN_BACKENDS)})"
        )
    return builder(opts)


def build_recipe(opts: ScoreOptions) -> Recipe:
    """A validated recipe that scores ``opts.data`` into ``opts.out``."""
    return command_recipe(
        "curate score",
        data=opts.data,
        out=opts.out,
        np=opts.np,
        executor=opts.executor,
        process=[s.to_yaml_item() for s in score_steps(opts)],
        input_format=opts.input_format,
        export_format=opts.export_format,
        work_dir=opts.work_dir,
    )


@dataclass
class ScoreReport:
    """A finished ``curate score`` run."""

    summary: RunSummary

    @property
    def samples_per_second(self) -> float:
        """Input samples over the whole run's wall time (load and export included)."""
        return self.summary.n_in / self.summary.seconds if self.summary.seconds else 0.0

    @property
    def scoring_samples_per_second(self) -> float:
        """Samples over the score ops' own time (all workers' time summed)."""
        seconds = sum(o.seconds for o in self.summary.ops)
        n = self.summary.ops[0].n_in if self.summary.ops else 0
        return n / seconds if seconds else 0.0

    def lines(self) -> list[str]:
        """The closing report: throughput, errors, per-op metrics."""
        s = self.summary
        out = [
            f"scored {s.kept} of {s.n_in} samples in {s.seconds:.1f}s: "
            f"{self.samples_per_second:.1f} samples/s end to end, "
            f"{self.scoring_samples_per_second:.1f} samples/s in the score ops "
            "(worker time summed)",
            f"errors: {s.errored}"
            + (f" (see {Path(s.work_dir) / 'errors.jsonl'})" if s.errored else ""),
        ]
        return out


def run_score(opts: ScoreOptions, show_progress: bool = True) -> ScoreReport:
    """Score a dataset (see the module docstring) and return the run's report.

    Raises:
        ConfigError: a bad option (backend, executor), or ``ray_address`` without
            ``executor="ray"``; raised before any work starts.
    """
    from mmcurate.runner import RunOptions, make_executor

    recipe = build_recipe(opts)
    summary = make_executor(
        recipe,
        RunOptions(resume=opts.resume, show_progress=show_progress),
        ray_address=opts.ray_address,
    ).run()
    return ScoreReport(summary)


def score(
    data: Annotated[Path, typer.Argument(help="Input dataset (file or folder, any format).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output path (written in the input's format).")
    ],
    backend: Annotated[
        str,
        typer.Option(
            help="Scoring backend: heuristic (lite perception + rules, no model), or a VLM: "
            "vllm-server, vllm-offline, transformers (vlm_capability_scorer + vlm_styler; "
            "the model comes from --url/--model or the model configuration)."
        ),
    ] = "heuristic",
    url: Annotated[
        str | None, typer.Option(help="vLLM server URL (vllm-server; default: MMCURATE_VLM_URL).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Model: served name (vllm-server) or local dir (in-process backends)."),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="VLM scoring mode: one_pass (all capabilities in one request per sample, "
            "default) or per_capability (one request per capability)."
        ),
    ] = None,
    capabilities: Annotated[
        str | None,
        typer.Option(help="Comma-separated capability keys to score (default: all 14)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in the work dir.")
    ] = False,
    np_: Annotated[int, typer.Option("--np", help="Worker processes.", min=1)] = 1,
    work_dir: Annotated[
        Path | None, typer.Option(help="Run directory (default: OUT_STEM.work next to OUT).")
    ] = None,
    input_format: Annotated[
        str | None, typer.Option("--format", help="Input format (auto-detected if omitted).")
    ] = None,
    export_format: Annotated[
        str | None, typer.Option(help="Output format (default: the input's).")
    ] = None,
    student: Annotated[
        str | None,
        typer.Option(
            help="Score with a trained student model (.npz from `curate train-student`), on "
            "CPU, no VLM; styles come from the rule styler."
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            help="Lite perception cache kept across runs and pools (image results, OCR, "
            "embeddings by content hash), e.g. ~/.cache/mmcurate/lite; default: the work dir."
        ),
    ] = None,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = "local",
    ray_address: RayAddressOpt = None,
) -> None:
    """Score capabilities (14, 0-5) and interaction styles (9) of every sample.

    Example:

        curate score data/pool.jsonl --out scored/pool.jsonl --np 2

        curate score data/pool.jsonl --out scored/pool.jsonl --executor ray --np 4   # Ray

    The heuristic backend writes stats lite_perception_mapper.* (image statistics, OCR
    where images have text, the text embedding), one score per capability (heuristics on
    the 0-5 scale) and styles. Samples that cannot be scored go to errors.jsonl in the
    work dir; re-run with --resume to continue an interrupted run.
    """
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 160)
    opts = ScoreOptions(
        data=data,
        out=out,
        backend=backend,
        capabilities=parse_capabilities(capabilities),
        np=np_,
        resume=resume,
        work_dir=work_dir,
        input_format=input_format,
        export_format=export_format,
        student=student,
        backend_options={"url": url, "model": model, "mode": mode},
        cache_dir=cache_dir,
        executor=executor,
        ray_address=ray_address,
    )
    report = run_score(opts, show_progress=not quiet)
    report.summary.print(console)
    for line in report.lines():
        console.print(line)
    if not report.summary.balanced:
        raise typer.Exit(1)

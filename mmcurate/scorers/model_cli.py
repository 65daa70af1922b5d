"""Command-line pieces of the model-backed scorers (kept out of the libraries, which never
import typer):

- :func:`vlm_recipe`: the ``curate score`` steps for the model backends (``vllm-server``,
  ``vllm-offline``, ``transformers``): ``vlm_capability_scorer`` + ``vlm_styler``.
- :func:`student_recipe`: the steps for ``curate score --student MODEL``:
  ``lite_perception_mapper`` (only when the student reads its stats),
  ``student_capability_scorer`` and ``rule_styler`` (styles without a model).
- :func:`train_student`: ``curate train-student``.

mmcurate/scorers/cli.py maps backend names to these builders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from mmcurate.errors import ConfigError
from mmcurate.scorers.student import DEFAULT_ALPHAS, FeatureSpec, StudentModel, train
from mmcurate.taxonomy import CAPABILITIES

if TYPE_CHECKING:
    from mmcurate.recipes.schema import OpSpec
    from mmcurate.scorers.cli import ScoreOptions

#: ``curate score --backend`` names that score with a model (:func:`vlm_recipe`).
MODEL_BACKENDS = ("vllm-server", "vllm-offline", "transformers")
#: ``ScoreOptions.backend_options`` keys the model recipe reads.
VLM_OPTIONS = ("url", "model", "mode")
PERCEPTION_OP = "lite_perception_mapper"


def vlm_recipe(opts: ScoreOptions) -> list[OpSpec]:
    """``vlm_capability_scorer`` (``mode`` from the options, one_pass by default) and
    ``vlm_styler`` on ``opts.backend``; ``url``/``model`` from ``opts.backend_options``
    override the model configuration (else: environment, config file)."""
    from mmcurate.recipes.schema import OpSpec

    options = {k: v for k, v in opts.backend_options.items() if v is not None}
    unknown = sorted(set(options) - set(VLM_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown backend options {unknown}; valid: {', '.join(VLM_OPTIONS)}")
    model: dict[str, Any] = {"backend": opts.backend}
    model.update({k: options[k] for k in ("url", "model") if k in options})
    scorer = dict(model)
    if "mode" in options:
        scorer["mode"] = options["mode"]
    if opts.capabilities:
        scorer["capabilities"] = list(opts.capabilities)
    return [
        OpSpec(name="vlm_capability_scorer", params=scorer),
        OpSpec(name="vlm_styler", params=model),
    ]


def student_recipe(opts: ScoreOptions) -> list[OpSpec]:
    """Lite perception (when the student's features read its stats), the student, the rule
    styler.

    Raises:
        ConfigError: The model file is missing or unreadable (checked before the run).
    """
    from mmcurate.recipes.schema import OpSpec

    assert opts.student is not None
    spec = StudentModel.load(opts.student).spec
    keys = [spec.embedding or "", *spec.stats]
    steps = []
    if any(k.startswith(PERCEPTION_OP + ".") for k in keys):
        steps.append(OpSpec(name=PERCEPTION_OP, params=opts.perception_params()))
    student: dict[str, Any] = {"model": str(opts.student)}
    if opts.capabilities:
        student["capabilities"] = list(opts.capabilities)
    steps.append(OpSpec(name="student_capability_scorer", params=student))
    steps.append(OpSpec(name="rule_styler", params={}))
    return steps


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def train_from_dataset(
    data: Path,
    out: Path,
    *,
    format: str | None = None,
    capabilities: tuple[str, ...] = (),
    spec: FeatureSpec | None = None,
    holdout: float = 0.2,
    seed: int = 0,
    note: str | None = None,
) -> tuple[StudentModel, Path]:
    """Read a scored dataset (any readable format), train a student on its ``scores``, save it.

    Returns:
        The model and the path it was saved to.

    Raises:
        ConfigError: Unreadable input, too few labelled samples, bad options.
    """
    from mmcurate.io import read_dataset
    from mmcurate.sample import Sample

    loaded = read_dataset(data, format)
    samples = [Sample.from_row(r) for r in loaded.dataset]
    model = train(
        samples,
        loaded.root,
        capabilities=capabilities or None,
        spec=spec,
        holdout=holdout,
        seed=seed,
        alphas=DEFAULT_ALPHAS,
        note=note,
    )
    return model, model.save(out)


def train_student(
    data: Annotated[Path, typer.Argument(help="Scored dataset (the labels are its `scores`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (.npz).")],
    format: Annotated[
        str | None, typer.Option("--format", help="Input format (default: detected).")
    ] = None,
    capabilities: Annotated[
        str | None, typer.Option(help="Comma-separated capabilities (default: all 14).")
    ] = None,
    text_dim: Annotated[int, typer.Option(help="Hashed text-embedding dimensions.")] = 256,
    embedding: Annotated[
        str | None,
        typer.Option(
            help="A vector stat to use as text embedding, e.g. "
            "lite_perception_mapper.text_embedding (needs lite perception first)."
        ),
    ] = None,
    stats: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated scalar stat keys or patterns, e.g. 'lite_perception_mapper.*'."
        ),
    ] = None,
    holdout: Annotated[float, typer.Option(help="Share of labelled samples held out.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Split and cross-validation seed.")] = 0,
    note: Annotated[
        str | None, typer.Option(help="Free text saved with the report (e.g. label caveats).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train a student scorer (ridge head on cheap features) on a scored dataset.

    The labels are the dataset's `scores` (normally written by `vlm_capability_scorer` on a
    subset of the pool); their provenance (`meta.scoring`) is saved in the model file and
    printed. Prints held-out Spearman per capability. Score the rest of the pool with
    `curate score POOL -o OUT --student MODEL.npz` or the `student_capability_scorer` op.

    Example:

        curate train-student scored.jsonl -o student.npz --stats "lite_perception_mapper.*"
    """
    caps = _split(capabilities)
    unknown = sorted(set(caps) - set(CAPABILITIES))
    if unknown:
        raise ConfigError(f"unknown capabilities {unknown}; valid: {', '.join(CAPABILITIES)}")
    spec = FeatureSpec(text_dim=text_dim, embedding=embedding, stats=_split(stats))
    model, path = train_from_dataset(
        data,
        out,
        format=format,
        capabilities=caps,
        spec=spec,
        holdout=holdout,
        seed=seed,
        note=note,
    )
    report = model.report
    assert report is not None
    if as_json:
        print(json.dumps({"model": str(path), **report.model_dump(mode="json")}, indent=1))
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(
        f"student written to {path}: {report.n_labelled} labelled samples "
        f"({report.n_train} train, {report.n_test} held out), ridge alpha {report.alpha:g}"
    )
    if report.skipped:
        console.print(f"skipped: {report.skipped}")
    for src in report.labels.get("sources", []):
        where = [f"backend {src['backend']}"]
        if src.get("model"):
            where.append(f"model {src['model']}")
        if src.get("prompt_id"):
            where.append(f"prompt {src['prompt_id']}.v{src['prompt_version']}")
        console.print(f"labels: {src['samples']} samples from {src['op']} ({', '.join(where)})")
    if report.labels.get("unattributed"):
        console.print(f"labels: {report.labels['unattributed']} samples without provenance")
    if report.labels.get("heuristic"):
        console.print(
            "[yellow]the labels came from heuristics, not a VLM: the Spearman values below "
            "measure how well the student imitates the heuristics[/yellow]"
        )
    console.print(report.table(), markup=False, highlight=False)

"""``curate select``: one selector over a dataset, through the runner, plus a report.

The command builds a one-step recipe (``process: [- <method>_selector: {...}]``) and runs
it with the executor the options name (:class:`~mmcurate.runner.LocalExecutor`, or the Ray
executor with ``--executor ray``), so loading, error records, the tracer
(every row not selected is in ``trace/dropped.jsonl``), checkpoints and the accounting
are the runner's. It then profiles the pool before and after (counts per capability,
style and source, score quantiles, tokens), writes the report as JSON next to the output
and prints a short table. The report holds the full parameters (defaults included), the
recipe and the equivalent command, so the run can be repeated exactly.

Python API: :class:`SelectOptions` -> :func:`build_recipe` / :func:`run_select` (returns
the report dict).
"""

from __future__ import annotations

import json
import shlex
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from mmcurate.errors import ConfigError
from mmcurate.runner.cli_options import ExecutorOpt, QuietOpt, RayAddressOpt, command_recipe

if TYPE_CHECKING:
    from mmcurate.recipes.schema import Recipe

SUFFIX = "_selector"


def method_names() -> list[str]:
    """Selector methods (registered ``<method>_selector`` ops), without the suffix."""
    from mmcurate.ops import registry

    return [
        name[: -len(SUFFIX)]
        for name in registry.names()
        if name.endswith(SUFFIX) and registry.get(name).kind == "selector"
    ]


def op_name(method: str) -> str:
    """``mmssr`` -> ``mmssr_selector`` (a full op name is accepted as is).

    Raises:
        ConfigError: not a selector; the message lists the methods.
    """
    from mmcurate.ops import registry

    name = method if method.endswith(SUFFIX) else method + SUFFIX
    try:
        cls = registry.get(name)
    except ConfigError:
        cls = None
    if cls is None or cls.kind != "selector":
        raise ConfigError(
            f"unknown selection method '{method}'. Methods: {', '.join(method_names())}"
        )
    return name


def parse_params(items: list[str]) -> dict[str, Any]:
    """``key=value`` strings (values are YAML) -> a params dict."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--param expects key=value, got '{item}'")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        out[key.strip()] = value
    return out


def _budget_value(text: str) -> Any:
    """``--budget`` text: an integer stays an integer, everything else is parsed by the
    Budget model (``"30%"``, ``"2M tokens"``, ``"0.3"``)."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else stripped


def select(
    data: Annotated[Path, typer.Argument(help="Input dataset (file or folder, any format).")],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-m",
            help="mmssr, random, topk, kcenter, cluster_balanced, semdedup, "
            "score_then_diversify (runs the op METHOD_selector).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the subset is written.")],
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget", "-b", help='Rows (1000, 10k), a ratio (30%) or tokens ("2M tokens").'
        ),
    ] = None,
    format_: Annotated[
        str | None,
        typer.Option("--format", help="Output format (default: the input's)."),
    ] = None,
    input_format: Annotated[
        str | None, typer.Option("--from", help="Input format (auto-detected if omitted).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="Selector parameter key=value (repeatable; values are YAML)."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Report JSON path (default: STEM.report.json next to OUT)."),
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option(help="Run directory (default: STEM.work next to OUT).")
    ] = None,
    np_: Annotated[int, typer.Option("--np", help="Worker processes for loading.")] = 1,
    media_check: Annotated[
        bool,
        typer.Option("--media-check/--no-media-check", help="Check media files while loading."),
    ] = True,
    quiet: QuietOpt = False,
    executor: ExecutorOpt = "local",
    ray_address: RayAddressOpt = None,
) -> None:
    """Select a budgeted subset: "the best 10% of this pool for training".

    Example:

        curate select pool.jsonl --method mmssr --budget 10% --out best.jsonl

        curate select pool.jsonl -m topk -b "2M tokens" -o top.jsonl -p score=stem_knowledge

        curate select pool.jsonl -m kcenter -b 5000 -o spread.jsonl --seed 1

        curate select pool.jsonl -m mmssr -b 10% -o best.jsonl --executor ray --np 4

    Writes OUT (the input's format, or --format), a report `STEM.report.json` next to
    it (counts per capability / style / source before and after, score quantiles, the
    exact parameters and the equivalent recipe) and the run directory `STEM.work`
    (trace of every row not selected, errors, summary). Scores, styles and embeddings
    come from `curate score DATA --out SCORED --backend heuristic` (or a VLM backend).
    """
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 160)
    opts = SelectOptions(
        data=data,
        method=method,
        out=out,
        budget=_budget_value(budget) if budget is not None else None,
        seed=seed,
        params=parse_params(list(param or [])),
        export_format=format_,
        input_format=input_format,
        report=report,
        work_dir=work_dir,
        np=np_,
        media_check=media_check,
        executor=executor,
        ray_address=ray_address,
    )
    result = run_select(opts, show_progress=not quiet)
    for note in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {note}")
    print_report(result, console)
    counts = result["counts"]
    summary_line = (
        f"in {counts['in']} = selected {counts['selected']} + dropped {counts['dropped']} + "
        f"errored {counts['errored']}"
    )
    console.print(summary_line + ("" if counts["balanced"] else "  [red]NOT BALANCED[/red]"))
    console.print(f"output: {result['output']}")
    console.print(f"report: {result['report_file']}   re-run: curate run {result['recipe_file']}")
    if not counts["balanced"]:
        raise typer.Exit(1)


@dataclass(frozen=True)
class SelectOptions:
    """What ``curate select`` was asked for (the Python API of the command).

    Attributes:
        data: Input dataset (file or folder, any readable format).
        method: Selection method (``mmssr``, ``topk``, ...) or a full selector op name.
        out: Where the subset is written.
        budget: Rows (int), or budget text (``"30%"``, ``"2M tokens"``); ``None``: the
            selector's default.
        seed: Random seed (``None``: the selector's default).
        params: Other selector params (validated by the op's ``Params``).
        export_format: Output format (default: the input's).
        input_format: Input format (auto-detected when ``None``).
        report: Report JSON path (default: ``STEM.report.json`` next to ``out``).
        work_dir: Run directory (default: ``STEM.work`` next to ``out``).
        np: Worker processes (loading; Ray tasks with ``executor="ray"``).
        media_check: Check media files while loading.
        executor: ``local`` (processes on this machine) or ``ray`` (Ray Data); written
            into the built recipe, so the run's recipe reproduces it.
        ray_address: With ``executor="ray"``: the cluster to join (``auto`` or
            ``HOST:PORT``); ``None`` starts a local Ray with ``np`` CPUs. Not part of
            the recipe.
    """

    data: Path
    method: str
    out: Path
    budget: int | str | None = None
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    export_format: str | None = None
    input_format: str | None = None
    report: Path | None = None
    work_dir: Path | None = None
    np: int = 1
    media_check: bool = True
    executor: str = "local"
    ray_address: str | None = None

    def op_params(self) -> dict[str, Any]:
        """The selector's params as given (``budget`` and ``seed`` folded in)."""
        params = dict(self.params)
        if self.budget is not None:
            params["budget"] = self.budget
        if self.seed is not None:
            params["seed"] = self.seed
        return params


def build_recipe(opts: SelectOptions) -> Recipe:
    """The validated one-step recipe that runs ``opts``' selector.

    Raises:
        ConfigError: unknown method, bad params or a bad executor name.
    """
    return command_recipe(
        "curate select",
        data=opts.data,
        out=opts.out,
        np=opts.np,
        executor=opts.executor,
        process=[{op_name(opts.method): opts.op_params()}],
        input_format=opts.input_format,
        export_format=opts.export_format,
        work_dir=opts.work_dir,
        media_check=opts.media_check,
    )


def run_select(opts: SelectOptions, show_progress: bool = True) -> dict[str, Any]:
    """Run the selection, write the subset, the work dir's ``recipe.yaml`` and the report.

    Returns:
        The report, as written to ``opts.report`` (default ``STEM.report.json`` next to
        ``opts.out``; its path is the report's ``report_file``).

    Raises:
        ConfigError: a bad option, or ``ray_address`` without ``executor="ray"``; raised
            before any work starts.
    """
    from mmcurate.runner import RunOptions, make_executor

    recipe = build_recipe(opts)
    name = recipe.process[0].name
    executor = make_executor(
        recipe, RunOptions(show_progress=show_progress), ray_address=opts.ray_address
    )
    op = executor.ops[0]
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = executor.run()
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    full_params = op.params.model_dump(mode="json")
    full_recipe = {**recipe.to_dict(), "process": [{name: full_params}]}
    (executor.work_dir / "recipe.yaml").write_text(
        yaml.safe_dump(full_recipe, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    before, after = _datasets(executor.work_dir)
    caps = op.capabilities() if hasattr(op, "capabilities") else None
    threshold = float(full_params.get("threshold", 0.0)) if name == "mmssr_selector" else 0.0
    source_field = full_params.get("source_field", "source")
    kw = {
        "capabilities": caps,
        "threshold": threshold,
        "source_field": source_field,
        "image_tokens": int(full_params.get("image_tokens", 576)),
        "video_tokens": int(full_params.get("video_tokens", 2304)),
    }
    from mmcurate.selectors.report import profile

    result: dict[str, Any] = {
        "method": name[: -len(SUFFIX)],
        "op": name,
        "params": full_params,
        "command": _command(opts, name, full_params),
        "recipe": full_recipe,
        "recipe_file": str(executor.work_dir / "recipe.yaml"),
        "input": str(opts.data),
        "output": summary.export_path,
        "work_dir": str(executor.work_dir),
        "executor": recipe.executor,
        "counts": {
            "in": summary.n_in,
            "selected": summary.kept,
            "dropped": summary.dropped,
            "errored": summary.errored,
            "balanced": summary.balanced,
        },
        "seconds": round(time.perf_counter() - t0, 3),
        "warnings": notes,
        "before": profile(before, **kw),
        "after": profile(after, **kw),
    }
    last = getattr(op, "last_result", None)
    if last is not None and caps:
        result["mmssr"] = {
            "rounds": last.rounds,
            "selected_per_capability": dict(zip(caps, last.per_group, strict=True)),
            "exhausted_capabilities": [caps[i] for i in last.exhausted],
        }
    out = opts.out
    report_path = opts.report or out.parent / f"{out.name.split('.')[0]}.report.json"
    result["report_file"] = str(report_path)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return result


def _datasets(work_dir: Path) -> tuple[Any, Any]:
    """The loaded pool and the selected subset, from the run's checkpoints."""
    from mmcurate.runner.snapshot import Snapshot

    state = json.loads((work_dir / "state.json").read_text())
    before = Snapshot.from_json(state["load"]["snapshot"]).dataset()
    stages = state["stages"]
    last = stages[max(stages, key=int)]
    return before, Snapshot.from_json(last["snapshot"]).dataset()


def _command(opts: SelectOptions, name: str, params: dict[str, Any]) -> str:
    """The ``curate select`` command line that repeats this run (every parameter)."""
    parts = ["curate", "select", str(opts.data), "--method", name[: -len(SUFFIX)]]
    parts += ["--out", str(opts.out)]
    if opts.export_format:
        parts += ["--format", opts.export_format]
    if opts.input_format:
        parts += ["--from", opts.input_format]
    if opts.np != 1:
        parts += ["--np", str(opts.np)]
    if opts.executor != "local":
        parts += ["--executor", opts.executor]
    if opts.ray_address:
        parts += ["--ray-address", opts.ray_address]
    for key, value in params.items():
        if key == "budget":
            parts += ["--budget", str(value)]
        elif key == "seed":
            parts += ["--seed", str(value)]
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            parts += ["--param", f"{key}={text}"]
    return shlex.join(parts)


def print_report(result: dict[str, Any], console: Any) -> None:
    """A short table: per capability (before -> after), then styles and sources."""
    from rich.table import Table

    before, after = result["before"], result["after"]
    thr = before.get("threshold", 0.0)
    table = Table(title=f"{result['op']}: {before['rows']} -> {after['rows']} rows", box=None)
    for col in ("capability", f"score>{thr:g} before", "after", "median", "mean"):
        table.add_column(col, justify="left" if col == "capability" else "right")
    for cap, b in before["capabilities"].items():
        a = after["capabilities"].get(cap, {})
        table.add_row(
            cap,
            str(b["above_threshold"]),
            str(a.get("above_threshold", 0)),
            f"{_q(b, 'p50')} -> {_q(a, 'p50')}",
            f"{_fmt(b.get('mean'))} -> {_fmt(a.get('mean'))}",
        )
    console.print(table)
    for key in ("styles", "sources"):
        if before[key]:
            shown = list(before[key].items())[:12]
            rest = len(before[key]) - len(shown)
            text = ", ".join(f"{k} {v}->{after[key].get(k, 0)}" for k, v in shown)
            console.print(
                f"[bold]{key}[/bold] (before->after): {text}"
                + (f", +{rest} more" if rest > 0 else "")
            )
    console.print(f"tokens (estimated): {before['tokens']} -> {after['tokens']}")


def _q(p: dict[str, Any], key: str) -> str:
    return _fmt(p.get("quantiles", {}).get(key))


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}"

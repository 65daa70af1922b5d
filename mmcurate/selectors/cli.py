"""``curate select``: one selector over a dataset, through the runner, plus a report.

The command builds a one-step recipe (``process: [- <method>_selector: {...}]``) and runs
it with :class:`~mmcurate.runner.LocalExecutor`, so loading, error records, the tracer
(every row not selected is in ``trace/dropped.jsonl``), checkpoints and the accounting
are the runner's. It then profiles the pool before and after (counts per capability,
style and source, score quantiles, tokens), writes the report as JSON next to the output
and prints a short table. The report holds the full parameters (defaults included), the
recipe and the equivalent command, so the run can be repeated exactly.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from mmcurate.errors import ConfigError

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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Select a budgeted subset: "the best 10% of this pool for training".

    Example:

        curate select pool.jsonl --method mmssr --budget 10% --out best.jsonl

        curate select pool.jsonl -m topk -b "2M tokens" -o top.jsonl -p score=stem_knowledge

        curate select pool.jsonl -m kcenter -b 5000 -o spread.jsonl --seed 1

    Writes OUT (the input's format, or --format), a report `STEM.report.json` next to
    it (counts per capability / style / source before and after, score quantiles, the
    exact parameters and the equivalent recipe) and the run directory `STEM.work`
    (trace of every row not selected, errors, summary). Scores, styles and embeddings
    come from `curate score DATA --out SCORED --backend heuristic` (or a VLM backend).
    """
    from rich.console import Console

    from mmcurate.recipes import parse_recipe
    from mmcurate.runner import LocalExecutor, RunOptions

    console = Console(width=None if sys.stdout.isatty() else 160)
    name = op_name(method)
    params = parse_params(list(param or []))
    if budget is not None:
        params["budget"] = _budget_value(budget)
    if seed is not None:
        params["seed"] = seed
    raw: dict[str, Any] = {
        "dataset_path": str(data),
        "export_path": str(out),
        "np": np_,
        "media_check": media_check,
        "process": [{name: params}],
    }
    if format_:
        raw["export_format"] = format_
    if input_format:
        raw["format"] = input_format
    if work_dir is not None:
        raw["work_dir"] = str(work_dir)
    recipe = parse_recipe(raw, source="curate select")
    executor = LocalExecutor(recipe, RunOptions(show_progress=not quiet))
    op = executor.ops[0]
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = executor.run()
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    for note in notes:
        console.print(f"[yellow]warning:[/yellow] {note}")
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
        "command": _command(data, name, out, format_, input_format, full_params),
        "recipe": full_recipe,
        "recipe_file": str(executor.work_dir / "recipe.yaml"),
        "input": str(data),
        "output": summary.export_path,
        "work_dir": str(executor.work_dir),
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
    report_path = report or out.parent / f"{out.name.split('.')[0]}.report.json"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print_report(result, console)
    summary_line = (
        f"in {summary.n_in} = selected {summary.kept} + dropped {summary.dropped} + "
        f"errored {summary.errored}"
    )
    console.print(summary_line + ("" if summary.balanced else "  [red]NOT BALANCED[/red]"))
    console.print(f"output: {summary.export_path}")
    console.print(f"report: {report_path}   re-run: curate run {result['recipe_file']}")
    if not summary.balanced:
        raise typer.Exit(1)


def _datasets(work_dir: Path) -> tuple[Any, Any]:
    """The loaded pool and the selected subset, from the run's checkpoints."""
    from mmcurate.runner.snapshot import Snapshot

    state = json.loads((work_dir / "state.json").read_text())
    before = Snapshot.from_json(state["load"]["snapshot"]).dataset()
    stages = state["stages"]
    last = stages[max(stages, key=int)]
    return before, Snapshot.from_json(last["snapshot"]).dataset()


def _command(
    data: Path,
    name: str,
    out: Path,
    format_: str | None,
    input_format: str | None,
    params: dict[str, Any],
) -> str:
    """The ``curate select`` command line that repeats this run (every parameter)."""
    parts = ["curate", "select", str(data), "--method", name[: -len(SUFFIX)], "--out", str(out)]
    if format_:
        parts += ["--format", format_]
    if input_format:
        parts += ["--from", input_format]
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

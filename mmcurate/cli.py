"""The ``curate`` command line.

Every subcommand has ``--help`` with an example. Errors a user can fix (bad recipe, unknown
op, unreadable input) print one clear message and exit with status 2, no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mmcurate.errors import MmcurateError
from mmcurate.runner.cli_options import QuietOpt, RayAddressOpt

app = typer.Typer(
    name="curate",
    help=(
        "mmcurate: curate multimodal (image/video + text) instruction data.\n\n"
        "Start here:\n\n"
        "  curate demo                       # make example data, run the agent on it\n\n"
        '  curate "find diverse OCR-heavy samples" --data DATA --budget 50   # the agent\n\n'
        "  curate --resume OUT               # continue an agent session\n\n"
        "  curate run RECIPE.yaml            # run a recipe (Data-Juicer shape)\n\n"
        "  curate ops list                   # every operator, one line each"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
ops_app = typer.Typer(help="Inspect operators.", no_args_is_help=True)
recipes_app = typer.Typer(help="Inspect built-in recipes.", no_args_is_help=True)
app.add_typer(ops_app, name="ops")
app.add_typer(recipes_app, name="recipes")

# Model commands live in mmcurate.models.cli (cheap to import: no torch/vllm at import time).
from mmcurate.models.cli import models_app, serve  # noqa: E402

app.add_typer(models_app, name="models")
app.command("serve")(serve)

# `curate score` lives in mmcurate.scorers.cli (cheap to import: models load inside ops).
from mmcurate.scorers.cli import score  # noqa: E402

app.command("score")(score)

# `curate train-student`: a student scorer trained on a scored subset (mmcurate.scorers).
from mmcurate.scorers.model_cli import train_student  # noqa: E402

app.command("train-student")(train_student)

# `curate select` lives with the selectors (cheap to import: the work happens inside).
from mmcurate.selectors.cli import select as select_command  # noqa: E402

app.command("select")(select_command)

# The curation agent: `curate agent "REQUEST"`, also `curate "REQUEST"` (see main()).
from mmcurate.agent.cli import agent as agent_command  # noqa: E402

app.command("agent")(agent_command)

# `curate eval` / `curate make-heldout` (mmcurate.eval) and `curate boost` (mmcurate.boost).
from mmcurate.boost.cli import boost as boost_command  # noqa: E402
from mmcurate.eval.cli import eval_command, make_heldout_command  # noqa: E402

app.command("eval")(eval_command)
app.command("make-heldout")(make_heldout_command)
app.command("boost")(boost_command)

# `curate synth imgdiff` lives in mmcurate.synth.cli (cheap to import: the work happens inside).
from mmcurate.synth.cli import synth_app  # noqa: E402

app.add_typer(synth_app, name="synth")

# Piped output (CI logs, files) gets a wide console so tables are not folded.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)


@app.command()
def run(
    recipe: Annotated[str, typer.Argument(help="Recipe YAML file, or a built-in recipe name.")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a recipe value: key=value, <op_name>.<param>=value or "
            "process.<i>.<param>=value (repeatable; values are YAML).",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in the work dir.")
    ] = False,
    np_: Annotated[
        int | None, typer.Option("--np", help="Worker processes (overrides np).")
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option(help="Run directory (checkpoints, traces, errors, summary).")
    ] = None,
    quiet: QuietOpt = False,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            help="local (processes on this machine) or ray (Ray Data; overrides the "
            "recipe's executor).",
        ),
    ] = None,
    ray_address: RayAddressOpt = None,
) -> None:
    """Run a recipe: load, apply each op, export the kept samples.

    Example:

        curate run my_recipe.yaml --set np=2 --set text_length_filter.min_len=20

        curate run my_recipe.yaml --executor ray --np 4          # local Ray, 4 workers

        curate run my_recipe.yaml --executor ray --ray-address auto   # join a cluster

    The work dir (default: <export stem>.work next to the export) holds errors.jsonl,
    trace/dropped.jsonl (every dropped sample with its reason), trace/changed.jsonl,
    trace/duplicates.jsonl, checkpoints and summary.json. Interrupt at any time and re-run
    with --resume to continue without redoing finished work.
    """
    from mmcurate.recipes import load_recipe
    from mmcurate.runner import RunOptions, make_executor

    overrides = list(set_ or [])
    if np_ is not None:
        overrides.append(f"np={np_}")
    if executor is not None:
        overrides.append(f"executor={executor}")
    rec = load_recipe(recipe, overrides)
    summary = make_executor(
        rec,
        RunOptions(resume=resume, work_dir=work_dir, show_progress=not quiet),
        ray_address=ray_address,
    ).run()
    summary.print(console)
    if not summary.balanced:
        raise typer.Exit(1)


@ops_app.command("list")
def ops_list() -> None:
    """List every registered operator with its kind and a one-line description.

    Example:

        curate ops list
    """
    from mmcurate.ops import registry

    table = Table(show_header=True, header_style="bold")
    table.add_column("op")
    table.add_column("kind")
    table.add_column("description")
    for name in registry.names():
        cls = registry.get(name)
        table.add_row(name, cls.kind, cls.description())
    console.print(table)


@ops_app.command("show")
def ops_show(name: Annotated[str, typer.Argument(help="Registered op name.")]) -> None:
    """Show an operator's parameters (type, default, description) and docs.

    Example:

        curate ops show text_length_filter
    """
    from mmcurate.ops import registry

    cls = registry.get(name)
    console.print(f"[bold]{name}[/bold]  ({cls.kind})")
    console.print((cls.__doc__ or "").strip())
    table = Table(show_header=True, header_style="bold")
    for col in ("param", "type", "default", "description"):
        table.add_column(col)
    for pname, info in cls.Params.model_fields.items():
        ann = info.annotation
        type_name = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
        default = "(required)" if info.is_required() else repr(info.get_default())
        table.add_row(pname, type_name, default, info.description or "")
    if cls.Params.model_fields:
        console.print(table)
    else:
        console.print("no parameters")
    try:  # what the op writes with its default params (required params: unknown here)
        op = registry.create(name, {})
        stat_keys, score_keys = list(op.output_stats()), list(op.output_scores())
    except (MmcurateError, ValueError):
        stat_keys, score_keys = [], []
    if stat_keys:
        console.print(f"writes stats (with default params): {', '.join(stat_keys)}")
    if score_keys:
        console.print(f"writes scores: {', '.join(score_keys)}")
    console.print(f"recipe use:\n  process:\n    - {name}:")


@recipes_app.command("list")
def recipes_list() -> None:
    """List the built-in recipes (usable by name in `curate run`).

    Example:

        curate recipes list
    """
    from mmcurate.recipes import builtin_names

    for n in builtin_names():
        console.print(n)


@recipes_app.command("show")
def recipes_show(name: Annotated[str, typer.Argument(help="Built-in recipe name.")]) -> None:
    """Print a built-in recipe's YAML (copy it to start your own).

    Example:

        curate recipes show demo > my_recipe.yaml
    """
    from mmcurate.recipes.loader import read_recipe_text

    text, _ = read_recipe_text(name)
    typer.echo(text, nl=False)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Argument(help="Output folder (data.jsonl + images/ + videos/).")],
    n: Annotated[int, typer.Option("--n", help="Number of samples.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 0,
) -> None:
    """Write example image/video + instruction data the project makes itself.

    Documents and signs with rendered text, matplotlib charts, the photos scikit-image
    ships, simple scenes and tiny videos, with conversations across the 9 interaction
    styles and 14 capabilities. Each sample's meta.demo records what it was built to test.

    Example:

        curate demo-data demo/ --n 300
    """
    from mmcurate.demodata import generate

    path = generate(out, n=n, seed=seed)
    console.print(f"wrote {path}")


@app.command()
def demo(
    out: Annotated[Path, typer.Argument(help="Folder for the demo data and results.")] = Path(
        "demo-out"
    ),
    n: Annotated[int, typer.Option("--n", help="Number of samples to generate.")] = 300,
    budget: Annotated[int, typer.Option("--budget", help="Samples the agent selects.")] = 50,
    np_: Annotated[int, typer.Option("--np", help="Worker processes.")] = 2,
) -> None:
    """The main job on bundled data: generate example data, run the curation agent on it.

    The agent is asked "find diverse OCR-heavy samples" (budget 50) with the deterministic
    planner and lite scores: no GPU and no model server needed. Writes OUT/data (the
    example data), OUT/selected.jsonl, OUT/recipe.yaml, OUT/report.html and the transcript.

    Example:

        curate demo demo-out
    """
    from mmcurate.agent import graph
    from mmcurate.agent.cli import _print, _quiet_progress
    from mmcurate.agent.context import AgentSettings
    from mmcurate.demodata import generate

    _quiet_progress()
    data = generate(out / "data", n=n)
    console.print(f"example data: {data}")
    settings = AgentSettings(
        data=str(data.resolve()), out=str(out.resolve()), budget=budget, np=np_
    )
    _print(graph.start(settings, "find diverse OCR-heavy samples"), 0)


@app.command()
def convert(
    src: Annotated[Path, typer.Argument(help="Input dataset (file or folder).")],
    dst: Annotated[Path, typer.Argument(help="Output path.")],
    to: Annotated[str, typer.Option("--to", help="Output format.")],
    from_: Annotated[
        str | None, typer.Option("--from", help="Input format (auto-detected if omitted).")
    ] = None,
) -> None:
    """Convert a dataset between formats (llava, sharegpt, messages, dj, hf, parquet, ...).

    Samples that cannot be read are listed in DST's folder as <name>.errors.jsonl.

    Example:

        curate convert pool.json pool_dj.jsonl --to dj
    """
    from mmcurate.io import read_dataset, write_dataset

    result = read_dataset(src, from_)
    out = write_dataset(result.dataset, dst, to, root=result.root)
    console.print(f"wrote {len(result.dataset)} samples to {out} ({to})")
    if result.errors:
        err_path = dst.parent / f"{dst.name}.errors.jsonl"
        with err_path.open("w", encoding="utf-8") as f:
            for e in result.errors:
                f.write(json.dumps(e.model_dump(), ensure_ascii=False) + "\n")
        console.print(f"[yellow]{len(result.errors)} samples with errors: {err_path}[/yellow]")


def route_args(args: list[str]) -> list[str]:
    """``curate "REQUEST" ...`` and ``curate --resume OUT`` go to ``curate agent``."""
    if not args:
        return args
    known = {
        c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
        for c in app.registered_commands
    } | {g.name for g in app.registered_groups}
    first = args[0]
    if first == "--resume" or (not first.startswith("-") and first not in known):
        return ["agent", *args]
    return args


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the app, turning user-fixable errors into one line and exit 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return app(args=route_args(args), prog_name="curate")
    except MmcurateError as err:
        err_console.print(f"[bold red]error:[/bold red] {err}")
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted; re-run with --resume to continue from the last checkpoint")
        sys.exit(130)


if __name__ == "__main__":
    main()

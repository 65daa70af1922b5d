"""``curate agent "REQUEST"`` (also plain ``curate "REQUEST"``) and ``curate --resume OUT``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mmcurate.errors import ConfigError

#: Default output folder.
DEFAULT_OUT = Path("curate-out")


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def agent(
    request: Annotated[
        str | None,
        typer.Argument(help='What you want, in words: "find diverse OCR-heavy samples".'),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", "-d", help="Input dataset (file or folder, any format)."),
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            "--budget", "-b", min=1, help="Rows to select (default: from the request, else 100)."
        ),
    ] = None,  # fmt: skip
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (selected data, recipe.yaml, report.html, transcript, session).",
        ),
    ] = DEFAULT_OUT,  # fmt: skip
    vlm: Annotated[
        str | None,
        typer.Option(
            "--vlm",
            help="vLLM server URL: the VLM plays the roles (default: the deterministic planner).",
        ),
    ] = None,  # fmt: skip
    model: Annotated[str | None, typer.Option(help="Served model name (with --vlm).")] = None,
    score_backend: Annotated[
        str,
        typer.Option(
            "--score-backend",
            help="lite (heuristic, CPU) or vlm (the VLM scores "
            "every sample: expensive, asks first).",
        ),
    ] = "lite",  # fmt: skip
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", min=1, max=20, help="Refine rounds at most.")
    ] = 4,
    np_: Annotated[int, typer.Option("--np", min=1, help="Worker processes.")] = 2,
    seed: Annotated[int, typer.Option(help="Selector seed (same seed, same selection).")] = 0,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before expensive steps.")
    ] = False,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue the session in this output folder.")
    ] = None,
) -> None:
    """The curation agent: a request in words -> selected data, recipe.yaml, report.html.

    Example:

        curate "find diverse OCR-heavy samples" --data pool.jsonl --budget 50 --out ocr/

        curate --resume ocr/            # continue an interrupted session

    The agent scores the pool (lite heuristics by default), turns the request into targets,
    writes a recipe of registered ops (scores, score_filter, a selector), runs it, analyzes
    the result, refines up to --max-iterations times, and writes OUT/selected.jsonl,
    OUT/recipe.yaml (`curate run OUT/recipe.yaml` reproduces the selection), OUT/report.html
    and OUT/transcript.jsonl. With no --vlm a deterministic planner plays the roles and says
    so. In a terminal you can then type follow-ups ("fewer charts", "add multi-choice",
    "budget 500"). Scoring with --score-backend vlm asks first unless --yes (without a
    terminal it needs --yes).
    """
    from mmcurate.agent import graph
    from mmcurate.agent.context import AgentSettings

    _quiet_progress()
    if resume is not None:
        values = graph.state_of(resume)["values"]
        settings = AgentSettings.model_validate(values["settings"])
        req = str(values["request"])
        followups = list(values.get("followups") or [])
        result = graph.resume(resume)
        if result.get("finished"):
            typer.echo(f"session in {resume} is already complete")
    else:
        if not request:
            raise ConfigError('give a request: curate "find diverse OCR-heavy samples" --data DATA')
        if data is None:
            raise ConfigError("--data DATA is required (the pool to curate)")
        if not data.exists():
            raise ConfigError(f"--data {data}: no such file or folder")
        if score_backend not in ("lite", "vlm"):
            raise ConfigError(f"--score-backend must be lite or vlm, got {score_backend!r}")
        if score_backend == "vlm" and not vlm:
            raise ConfigError("--score-backend vlm needs --vlm URL")
        settings = AgentSettings.model_validate(
            {"data": str(data.resolve()), "out": str(out.resolve()), "budget": budget,
             "vlm_url": vlm, "model": model, "score_backend": score_backend,
             "max_iterations": max_iterations, "np": np_, "seed": seed}
        )  # fmt: skip
        req, followups = request, []
        expensive = score_backend == "vlm"
        if expensive and not yes and not _interactive():
            raise ConfigError(
                "scoring every sample with the VLM is expensive: pass --yes to go ahead "
                "without a terminal to confirm in"
            )
        pause = ["score"] if expensive and not yes else []
        typer.echo(f"session: {settings.out} (continue later with: curate --resume {settings.out})")
        result = graph.start(settings, req, followups, interrupt_before=pause)
        if result.get("pending") == ["score"]:
            if not typer.confirm(f"Score every sample of {data} with the VLM at {vlm}?"):
                typer.echo(f"stopped before scoring; continue with: curate --resume {out}")
                return
            result = graph.resume(settings.out_dir)
    shown = _print(result, 0)
    while _interactive():
        try:
            line = input('follow-up ("fewer charts", "budget 500"; Enter to finish)> ').strip()
        except EOFError:
            break
        if not line:
            break
        followups.append(line)
        shown = _print(graph.start(settings, req, followups), shown)


def _quiet_progress() -> None:
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:  # pragma: no cover
        pass


def _print(result: dict[str, Any], shown: int) -> int:
    """Print the transcript entries after the first ``shown`` and the outputs."""
    from rich.console import Console
    from rich.text import Text

    console = Console(width=None if sys.stdout.isatty() else 160)
    transcript = result.get("transcript") or []
    for t in transcript[shown:]:
        # Text, not markup: sample text quoted in a turn may contain [brackets].
        console.print(Text.assemble((str(t["role"]), "bold"), ": ", str(t["text"])))
    outs = result.get("outputs") or {}
    if outs:
        for k in ("selected", "recipe", "report", "transcript"):
            console.print(f"{k}: {outs.get(k)}", markup=False)
    if result.get("pending"):
        console.print(f"paused before {result['pending']}; continue: curate --resume ...")
    return len(transcript)

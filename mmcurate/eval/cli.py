"""``curate eval``: score a model on a held-out QA set; ``curate make-heldout``: make one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def eval_command(
    model: Annotated[
        str,
        typer.Argument(
            help="Local model folder, LoRA adapter folder (base + adapter), or the served "
            "model name on --url."
        ),
    ],
    qa: Annotated[Path, typer.Option("--qa", help="Held-out QA jsonl (see docs/boost.md).")],
    url: Annotated[
        str | None, typer.Option(help="vLLM server URL (then MODEL is its served name).")
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Judge server URL for open items (VLM-as-judge).")
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option(help="Judge's served model name (default: its only one).")
    ] = None,
    device: Annotated[str, typer.Option(help="Device for an in-process model.")] = "auto",
    max_tokens: Annotated[int, typer.Option(help="Token bound of open answers.")] = 32,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the full report (JSON) here.")
    ] = None,
) -> None:
    """Evaluate a model on held-out multimodal QA (multiple-choice accuracy, normalised
    exact match, optional VLM judge).

    Example:

        curate make-heldout qa/ --n 40 --pool data/pool.jsonl

        curate eval runs/boost/round_0/adapter --qa qa/qa.jsonl --out eval.json

        curate eval round_0 --url http://127.0.0.1:8000 --qa qa/qa.jsonl --judge http://judge:8000
    """
    from rich.console import Console

    from mmcurate.eval.qa import evaluate, load_qa
    from mmcurate.models import get_client

    console = Console(width=None if sys.stdout.isatty() else 160)
    items = load_qa(qa)
    if url:
        client = get_client(backend="vllm-server", url=url, model=model)
    else:
        client = get_client(backend="transformers", model=model, device=device)
    judge_client = (
        get_client(backend="vllm-server", url=judge, model=judge_model) if judge else None
    )
    report = evaluate(items, qa.parent, client, judge=judge_client, max_tokens=max_tokens)
    metrics = report.metrics()
    for key in ("n", "accuracy", "mc_accuracy", "exact_match", "judge_accuracy", "errors"):
        if metrics.get(key) is not None:
            console.print(f"{key}: {metrics[key]}")
    console.print(f"model: {metrics['model']}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.model_dump(mode="json"), indent=1), "utf-8")
        console.print(f"report: {out}")


def make_heldout_command(
    out: Annotated[Path, typer.Argument(help="Folder to write qa.jsonl and its media into.")],
    n: Annotated[int, typer.Option("--n", help="Demo samples to render.", min=1)] = 40,
    seed: Annotated[int, typer.Option(help="Demo-data seed (not the pool's).")] = 1000,
    videos: Annotated[int, typer.Option(help="Video clips among the samples.", min=0)] = 4,
    pool: Annotated[
        Path | None, typer.Option(help="Training pool: items sharing its media are left out.")
    ] = None,
) -> None:
    """Make a held-out QA set from fresh demo data (answers known by construction).

    Example:

        curate make-heldout qa/ --n 40 --seed 1000 --pool data/pool.jsonl
    """
    from mmcurate.eval.heldout import make_heldout
    from mmcurate.eval.qa import load_qa

    path = make_heldout(out, n=n, seed=seed, videos=videos, pool=pool)
    items = load_qa(path)
    mc = sum(1 for it in items if it.choices is not None)
    print(f"wrote {path}: {len(items)} items ({mc} multiple choice, {len(items) - mc} open)")

"""``curate boost CONFIG.yaml``: the self-boosting loop (see :mod:`mmcurate.boost.loop`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def boost(
    config: Annotated[Path, typer.Argument(help="Boost config YAML (docs/boost.md).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default: CONFIG_STEM.boost next to it)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a stopped loop in the run directory.")
    ] = False,
    rounds: Annotated[
        int | None, typer.Option(help="Override the round budget (e.g. to extend a loop).")
    ] = None,
) -> None:
    """Self-boosting loop: score -> select -> train LoRA -> evaluate -> re-score, per round.

    Example:

        curate boost boost.yaml --out runs/boost

        curate boost boost.yaml --out runs/boost --resume --rounds 5

    Each round writes RUN/round_k/ (recipe.yaml, selection.jsonl, data/train.json,
    adapter/, metrics.json); RUN/state.json records finished rounds, RUN/report.md and
    RUN/metric.png show the metric by round. Finished rounds are never redone on --resume.
    """
    from rich.console import Console

    from mmcurate.boost.config import load_boost_config
    from mmcurate.boost.loop import BoostLoop, report_rows

    console = Console(width=None if sys.stdout.isatty() else 160)
    cfg = load_boost_config(config)
    if rounds is not None:
        cfg = cfg.model_copy(update={"rounds": rounds})
    run_dir = out or config.parent / f"{config.name.split('.')[0]}.boost"
    state = BoostLoop(cfg, run_dir, resume=resume, log=console.print).run()
    for row in report_rows(state):
        console.print(
            f"round {row['round']}: scorer {row['scorer']}, selected {row['selected']}, "
            f"change {row['change']}, loss {row['loss']}, {state.metric} {row['metric']}"
        )
    console.print(f"report: {run_dir / 'report.md'}")

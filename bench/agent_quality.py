"""Agent quality on generated data whose OCR-heaviness and styles are known by construction.

The agent (deterministic planner, lite scores) is asked "find diverse OCR-heavy samples"
with budget B (the second budget as a follow-up of the same session, so the pool is scored
once). Ground truth (meta.demo.ocr_heavy, meta.demo.styles) is read only here, to measure.
Baseline in the same run: random_selector with the same budget and seed on the same pool.

    .venv/bin/python bench/agent_quality.py --n 600 --budgets 50,100
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from mmcurate.taxonomy import STYLES


def truth(path: Path) -> tuple[float, int]:
    """(% OCR-heavy, styles covered of 9) of a written selection, by meta.demo."""
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    demo = [r["meta"]["demo"] for r in rows]
    heavy = 100.0 * sum(bool(d["ocr_heavy"]) for d in demo) / max(len(demo), 1)
    styles = {s for d in demo for s in d["styles"]} & set(STYLES)
    return heavy, len(styles)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--budgets", default="50,100")
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    import datasets

    datasets.disable_progress_bars()
    from mmcurate.agent import graph, tools
    from mmcurate.agent.context import AgentSettings
    from mmcurate.demodata.generate import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="agent-quality-"))
    data = generate(work / "data", n=args.n)
    pool_heavy, pool_styles = truth(data)
    budgets = [int(b) for b in args.budgets.split(",")]
    settings = AgentSettings(data=str(data), out=str(work / "out"), budget=budgets[0], np=args.np)
    rows = []
    followups: list[str] = []
    for i, b in enumerate(budgets):
        if i:
            followups.append(f"budget {b}")
        t0 = time.perf_counter()
        res = graph.start(settings, "find diverse OCR-heavy samples", followups)
        wall = time.perf_counter() - t0
        sel = Path(res["outputs"]["selected"])
        heavy, styles = truth(sel)
        n_sel = sum(1 for _ in sel.open())
        rows.append((b, "agent", n_sel, heavy, styles, wall, len(res["history"])))
        scored = res.get("result", {}).get("run", {})
        rec = {
            "dataset_path": str(Path(settings.work_dir / "scored" / data.name)),
            "export_path": str(work / f"random-{b}.jsonl"),
            "work_dir": str(work / f"random-{b}.work"),
            "process": [{"random_selector": {"budget": b, "seed": 0}}],
        }
        t0 = time.perf_counter()
        tools.run_recipe(rec)
        wall_r = time.perf_counter() - t0
        heavy_r, styles_r = truth(work / f"random-{b}.jsonl")
        rows.append((b, "random (baseline)", b, heavy_r, styles_r, wall_r, 1))
        del scored
    print(f"pool: {args.n} samples, {pool_heavy:.1f}% OCR-heavy, {pool_styles} of 9 styles")
    print(f"{'budget':>6} {'method':<18} {'rows':>5} {'% OCR-heavy':>11} {'styles/9':>8} "
          f"{'wall s':>7} {'rounds':>6}")  # fmt: skip
    for b, m, n, h, s, w, r in rows:
        print(f"{b:>6} {m:<18} {n:>5} {h:>11.1f} {s:>8} {w:>7.1f} {r:>6}")
    print("(first agent row's wall time includes lite scoring of the whole pool)")


if __name__ == "__main__":
    main()

"""Time each step of one `curate boost` round on CPU with the tiny random Qwen2.5-VL.

Prints a table: score (VLM, base model) vs score (lite heuristics, the baseline), select,
export+train (LoRA), evaluate (base) vs evaluate (base + adapter, merged in process).
The model is random, so only the timings mean anything.

    PYTHONPATH=. .venv/bin/python bench/boost_steps.py --n 24 --steps 4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24, help="pool samples")
    ap.add_argument("--qa", type=int, default=10, help="held-out demo samples")
    ap.add_argument("--budget", type=int, default=8)
    ap.add_argument("--steps", type=int, default=4, help="LoRA optimizer steps")
    ap.add_argument("--caps", default="optical_character_recognition,scene_understanding")
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mmcurate.boost.config import parse_boost_config
    from mmcurate.boost.loop import ModelSpec, RealSteps
    from tests.tiny_vlm import tiny_vlm_dir

    curate = str(Path(sys.executable).parent / "curate")
    ws = Path(tempfile.mkdtemp(prefix="boost-bench-"))
    os.environ["XDG_CACHE_HOME"] = str(ws / "cache")
    subprocess.run(
        [curate, "demo-data", str(ws / "pool"), "--n", str(args.n)], check=True, capture_output=True
    )
    subprocess.run(
        [
            curate,
            "make-heldout",
            str(ws / "qa"),
            "--n",
            str(args.qa),
            "--pool",
            str(ws / "pool" / "data.jsonl"),
        ],
        check=True,
        capture_output=True,
    )
    raw = {
        "pool": str(ws / "pool" / "data.jsonl"),
        "heldout": str(ws / "qa" / "qa.jsonl"),
        "base_model": str(tiny_vlm_dir()),
        "scorer": {"capabilities": args.caps.split(","), "styler": "rules", "max_text_chars": 300},
        "selector": {"method": "mmssr", "budget": args.budget, "params": {"threshold": -1}},
        "trainer": {"lora": {"max_steps": args.steps, "learning_rate": 0.01}},
        "model": {"device": "cpu", "cache": False},
    }
    cfg = parse_boost_config(raw)
    steps = RealSteps(cfg, ws, lambda s: None)
    rows: list[tuple[str, float, str]] = []

    def timed(name: str, fn, note: str = ""):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        out = fn()
        rows.append((name, time.perf_counter() - t0, note))
        return out

    (ws / "h").mkdir()
    (ws / "v").mkdir()
    timed(
        "score: lite heuristics (baseline)",
        lambda: steps.score(ModelSpec("heuristic", "heuristic"), ws / "h"),
    )
    scored, _ = timed(
        "score: VLM, base model", lambda: steps.score(steps.model_for("base", None), ws / "v")
    )
    ids = timed("select: mmssr", lambda: steps.select(scored, ws / "v"))
    res = timed(
        "export + train LoRA", lambda: steps.train(scored, ids, ws / "v"), f"{args.steps} steps"
    )
    base = timed("evaluate: base", lambda: steps.evaluate(steps.model_for("base", None)))
    timed(
        "evaluate: base + adapter",
        lambda: steps.evaluate(steps.model_for("round_0", res.adapter_dir)),
        "peft load + merge",
    )
    n_qa = base["n"]
    print(
        f"\npool {args.n} samples, {len(args.caps.split(','))} capabilities, budget "
        f"{args.budget}, held-out {n_qa} items, CPU {os.cpu_count()} cores\n"
    )
    print(f"| {'step':36} | {'seconds':>8} | note |")
    print(f"| {'-' * 36} | {'-' * 8} | ---- |")
    for name, sec, note in rows:
        print(f"| {name:36} | {sec:8.1f} | {note} |")
    vlm = rows[1][1] / args.n
    print(f"\nVLM scoring {vlm:.2f} s/sample vs lite {rows[0][1] / args.n:.2f} s/sample")


if __name__ == "__main__":
    main()

"""Lite scoring throughput: ``curate score --backend heuristic`` against pool size.

For each pool size: generate demo data (documents, signs, charts, photos, scenes, videos),
then run ``curate score`` twice into the same output: a first run (empty caches: OCR and
text embeddings computed) and a re-run (without ``--resume``, so every stage is recomputed,
but per-image perception and embeddings come from the work dir's cache). Each run is a fresh
``curate`` process, so the numbers include interpreter start, imports and model loading.

Usage (repo root)::

    .venv/bin/python bench/score_throughput.py                 # sizes 300,1000,3000, --np 2
    .venv/bin/python bench/score_throughput.py --sizes 300 --np 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CURATE = Path(sys.executable).parent / "curate"


def _run(data: Path, out: Path, np_: int) -> dict[str, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(CURATE), "score", str(data), "--out", str(out), "--np", str(np_), "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"curate score failed:\n{proc.stdout}\n{proc.stderr}")
    summary = json.loads((out.parent / f"{out.stem}.work" / "summary.json").read_text())
    ops = {o["name"]: o for o in summary["ops"]}
    perc = ops["lite_perception_mapper"]["metrics"]
    op_seconds = sum(o["seconds"] for o in summary["ops"])
    return {
        "wall": wall,
        "run": summary["seconds"],
        "n": summary["in"],
        "errored": summary["errored"],
        "op_seconds": op_seconds,
        "ocr_runs": perc.get("ocr_runs", 0.0),
        "ocr_skipped": perc.get("ocr_skipped", 0.0),
        "picture_cache_hits": perc.get("picture_cache_hits", 0.0),
        "texts_encoded": perc.get("texts_encoded", 0.0),
    }


def main() -> None:
    """Run the benchmark and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="300,1000,3000", help="Comma-separated pool sizes.")
    ap.add_argument("--np", type=int, default=2, help="Worker processes.")
    ap.add_argument("--keep", type=Path, default=None, help="Keep data and outputs here.")
    ap.add_argument(
        "--cached-only",
        action="store_true",
        help="Only the re-run, reusing the caches a previous --keep run left.",
    )
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="score-bench-"))
    sys.path.insert(0, str(ROOT))
    from mmcurate.demodata import generate

    print(f"machine: {os.cpu_count()} CPUs; --np {args.np}; data under {base}")
    print()
    print(
        "| samples | run | wall s | run s | samples/s (wall) | samples/s (run) | "
        "score-op s (summed) | OCR runs | OCR skipped | cached pictures | texts encoded |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in (int(x) for x in args.sizes.split(",")):
        data_dir = base / f"data-{n}"
        if not (data_dir / "data.jsonl").exists():
            generate(data_dir, n=n, seed=0, videos=max(1, n // 50))
        out = base / f"out-{n}" / "scored.jsonl"
        if out.parent.exists() and not args.cached_only:
            shutil.rmtree(out.parent)
        labels = ("cached re-run",) if args.cached_only else ("first", "cached re-run")
        for label in labels:
            r = _run(data_dir / "data.jsonl", out, args.np)
            print(
                f"| {int(r['n'])} | {label} | {r['wall']:.1f} | {r['run']:.1f} | "
                f"{r['n'] / r['wall']:.1f} | {r['n'] / r['run']:.1f} | {r['op_seconds']:.1f} | "
                f"{int(r['ocr_runs'])} | {int(r['ocr_skipped'])} | "
                f"{int(r['picture_cache_hits'])} | {int(r['texts_encoded'])} |",
                flush=True,
            )
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Lite scoring throughput: ``curate score --backend heuristic`` against pool size.

For each pool size: generate demo data (documents, signs, charts, photos, scenes, videos),
then run ``curate score`` twice into the same output: a first run (empty caches: OCR and
text embeddings computed) and a re-run (without ``--resume``, so every stage is recomputed,
but per-image perception and embeddings come from the work dir's cache). Each run is a fresh
``curate`` process, so the numbers include interpreter start, imports and model loading.

Then (``--costs N``, default 300) it measures each lite perception component's CPU cost on
one thread over N samples of the first pool: image analysis per picture, OCR per picture
with text, MiniLM per sample; and prints the first-pass ceiling they imply on this
machine's cores (no runner overhead), with and without OCR.

Usage (repo root)::

    .venv/bin/python bench/score_throughput.py                 # sizes 300,1000,3000, --np 2
    .venv/bin/python bench/score_throughput.py --sizes 300 --np 1 --costs 0
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


def component_costs(data: Path, limit: int) -> dict[str, float]:
    """CPU ms of each lite perception component, one thread in this process (the ceiling a
    first pass can reach): image analysis per picture (decode, statistics, text-region
    detector), OCR per picture the detector sends to it, MiniLM per text (batches of 64),
    and the shares of pictures with text and of samples with a picture."""
    import resource

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from mmcurate.io.reader import read_dataset
    from mmcurate.sample import Sample
    from mmcurate.scorers.lite.perception import Perceiver, PerceptionParams, conversation_text

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    ds = read_dataset(data).dataset
    samples = [Sample.from_row(r) for r in ds.select(range(min(limit, len(ds)))).to_list()]
    samples = [s for s in samples if not s.videos]
    params = PerceptionParams(threads=1, cache=False, ocr="never", embed=False)
    no_ocr = Perceiver(params, data.parent, None)
    c0 = cpu()
    pics = [p for s in samples for p in no_ocr.picture_stats(s)]
    image_ms = 1000 * (cpu() - c0) / max(1, len(pics))
    full = Perceiver(params.model_copy(update={"ocr": "auto"}), data.parent, None)
    c0 = cpu()
    for s in samples:
        full.picture_stats(s)
    ocr_runs = full.counters.ocr_runs
    ocr_ms = (1000 * (cpu() - c0) - image_ms * len(pics)) / max(1, ocr_runs)
    texts = [conversation_text(s) for s in samples]
    enc = Perceiver(PerceptionParams(threads=1, cache=False), data.parent, None).encoder
    enc.encode(texts[:8])  # model load outside the timing
    c0 = cpu()
    for i in range(0, len(texts), 64):
        enc.encode(texts[i : i + 64])
    embed_ms = 1000 * (cpu() - c0) / max(1, len(texts))
    return {
        "samples": len(samples),
        "pictures": len(pics),
        "image_ms": image_ms,
        "ocr_ms": ocr_ms,
        "ocr_share": ocr_runs / max(1, len(pics)),
        "pictures_per_sample": len(pics) / max(1, len(samples)),
        "embed_ms": embed_ms,
    }


def print_costs(c: dict[str, float], cores: int) -> None:
    """The component table and the first-pass ceiling it implies on ``cores`` cores."""
    per_pic = c["image_ms"] + c["ocr_share"] * c["ocr_ms"]
    per_sample = c["pictures_per_sample"] * per_pic + c["embed_ms"]
    print()
    print(f"Component CPU costs (one thread, {int(c['samples'])} image/text samples):")
    print()
    print("| component | CPU ms | per |")
    print("| --- | ---: | --- |")
    print(
        f"| image analysis (decode, stats, text-region detector) | {c['image_ms']:.1f} | picture |"
    )
    print(
        f"| OCR (Tesseract) | {c['ocr_ms']:.1f} | picture with text "
        f"({100 * c['ocr_share']:.0f}% of pictures here) |"
    )
    print(f"| MiniLM embedding (batches of 64) | {c['embed_ms']:.1f} | sample |")
    print(f"| all of a sample, this mix | {per_sample:.1f} | sample |")
    no_ocr = c["pictures_per_sample"] * c["image_ms"] + c["embed_ms"]
    print()
    print(
        f"First-pass ceiling on {cores} cores (CPU only, no runner overhead): "
        f"{1000 * cores / per_sample:.0f} samples/s for this mix, "
        f"{1000 * cores / no_ocr:.0f} samples/s with no text in any picture, "
        f"{1000 * cores / c['embed_ms']:.0f} samples/s for MiniLM alone."
    )


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
    ap.add_argument(
        "--costs",
        type=int,
        default=300,
        help="Also measure per-component CPU costs on this many samples of the first size "
        "(0: skip).",
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
    if args.costs:
        first = int(args.sizes.split(",")[0])
        print_costs(
            component_costs(base / f"data-{first}" / "data.jsonl", args.costs),
            os.cpu_count() or 1,
        )
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

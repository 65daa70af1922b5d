#!/usr/bin/env python
"""Peer benchmark: the same recipe files in Data-Juicer and mmcurate, same pool, same np.

In one run: makes the pools (image+text pools with distinct image files, and a text pool),
installs Data-Juicer in its own venv (``.venv-dj``) if missing, runs ``dj-process`` and
``curate run`` on the same recipe file (only the paths and np are set on the command line),
and prints a table: wall time, CPU time (process tree), peak RSS (process tree, sampled),
disk written (work dir / cache), kept count, and whether the kept sets are identical
(compared by content: text and image paths, as multisets).

mmcurate runs each recipe twice: with ``text_view=dj`` (Data-Juicer's text, its special
tokens counted as text: the kept set must be identical) and with the default
``text_view=plain`` (media placeholders are not text: a documented difference).

usage:
  .venv/bin/python bench/peer_dj.py                       # 10k and 100k image+text, 200k text
  .venv/bin/python bench/peer_dj.py --sizes 10000 --text-lines 0 --np 1,2
  .venv/bin/python bench/peer_dj.py --header-vs-decode 2000   # what reading headers buys

Needs ../shared/bench/dj-peer (data generators and recipes); run on a quiet machine.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
DJ_VENV = REPO / ".venv-dj"
CURATE = Path(sys.executable).parent / "curate"


@dataclass
class Measure:
    """One measured command."""

    wall: float
    cpu: float
    peak_rss_mb: float
    returncode: int


def measure(cmd: list[str], cwd: Path, log: Path) -> Measure:
    """Run ``cmd``; wall time, CPU of the process tree, sampled peak RSS of the tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
                peak = max(peak, rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    done.set()
    thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, peak, rc)


def du_mb(path: Path) -> float:
    """Size of a folder tree in MB (0 if absent)."""
    if not path.exists():
        return 0.0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def ensure_dj() -> Path:
    """Data-Juicer's ``dj-process`` in its own venv, installed when missing."""
    exe = DJ_VENV / "bin" / "dj-process"
    if exe.exists():
        return exe
    print(f"installing Data-Juicer into {DJ_VENV} (once)...", flush=True)
    base_python = getattr(sys, "_base_executable", None) or "python3.11"
    subprocess.run([base_python, "-m", "venv", str(DJ_VENV)], check=True)
    pip = [str(DJ_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    # Data-Juicer imports aiohttp without declaring it, and installs ray at run time if
    # missing (which fails offline); torch 2.13.0 lies on these machines' disk.
    subprocess.run([*pip, "torch==2.13.0", "py-data-juicer", "aiohttp", "ray"], check=True)
    return exe


def kept_multiset(path: Path) -> collections.Counter[tuple[str, tuple[str, ...]]]:
    """Content of a Data-Juicer-format export: (text, images) pairs with counts."""
    out: collections.Counter[tuple[str, tuple[str, ...]]] = collections.Counter()
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                out[(rec.get("text", ""), tuple(rec.get("images") or ()))] += 1
    return out


def make_pools(peer: Path, work: Path, sizes: list[int], text_lines: int) -> dict[str, Path]:
    """Generate (or reuse) the pools; returns name -> jsonl path in Data-Juicer format."""
    pools: dict[str, Path] = {}
    for n in sizes:
        d = work / f"pool-{n}"
        f = d / "pool.dj.jsonl"
        if not f.exists() or sum(1 for _ in f.open()) != n:
            print(f"making image+text pool of {n} (distinct image files)...", flush=True)
            subprocess.run([sys.executable, str(peer / "make_data.py"), str(d), str(n)], check=True)
        pools[f"image+text {n // 1000}k"] = f
    if text_lines:
        f = work / f"text-{text_lines}.jsonl"
        if not f.exists() or sum(1 for _ in f.open()) != text_lines:
            print(f"making text pool of {text_lines} lines...", flush=True)
            script = peer / "make_text_data.py"
            subprocess.run([sys.executable, str(script), str(text_lines), str(f)], check=True)
        pools[f"text {text_lines // 1000}k"] = f
    return pools


def header_vs_decode(pool: Path, n: int) -> None:
    """What reading image headers (instead of decoding) buys for size-only ops."""
    from PIL import Image

    paths = []
    with pool.open() as f:
        for line in f:
            paths.extend(json.loads(line)["images"])
            if len(paths) >= n:
                break
    t0 = time.perf_counter()
    for p in paths:
        with Image.open(p) as im:
            im.size  # noqa: B018
    header = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in paths:
        with Image.open(p) as im:
            im.load()
    decode = time.perf_counter() - t0
    print(
        f"\nimage size of {len(paths)} files: header {header:.2f}s "
        f"({len(paths) / header:.0f}/s), full decode {decode:.2f}s "
        f"({len(paths) / decode:.0f}/s): headers are {decode / header:.0f}x faster"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="image+text pool sizes")
    ap.add_argument("--text-lines", type=int, default=200_000, help="text pool size (0: skip)")
    ap.add_argument("--np", default="1,2", help="worker counts to compare")
    ap.add_argument("--work", type=Path, default=Path("/tmp/mmcurate-peer"))
    ap.add_argument("--peer-dir", type=Path, default=REPO.parent / "shared" / "bench" / "dj-peer")
    ap.add_argument("--skip-dj", action="store_true", help="run mmcurate only")
    ap.add_argument(
        "--header-vs-decode",
        type=int,
        default=0,
        metavar="N",
        help="also time image sizes by header vs decode on N files",
    )
    args = ap.parse_args()
    if not args.peer_dir.exists():
        sys.exit(f"peer benchmark material not found at {args.peer_dir} (use --peer-dir)")
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    nps = [int(s) for s in args.np.split(",")]
    pools = make_pools(args.peer_dir, args.work, sizes, args.text_lines)
    dj = None if args.skip_dj else ensure_dj()
    recipes = {
        "image+text": args.peer_dir / "recipes" / "dj_image_text.yaml",
        "text": args.peer_dir / "recipes" / "dj_text.yaml",
    }
    hf_cache = Path.home() / ".cache" / "huggingface" / "datasets"
    rows = []
    for name, pool in pools.items():
        recipe = recipes[name.split()[0]]
        for np_ in nps:
            results = {}
            runs = [("mmcurate dj-view", "dj"), ("mmcurate plain", "plain")]
            if dj is not None:
                runs.insert(0, ("data-juicer", None))
            for system, view in runs:
                if view == "plain" and np_ != nps[-1]:
                    continue  # the plain view is shown once per pool
                tag = f"{name.replace(' ', '_').replace('+', '')}-np{np_}-{system.split()[-1]}"
                out_dir = args.work / "runs" / tag
                shutil.rmtree(out_dir, ignore_errors=True)
                out_dir.mkdir(parents=True)
                export = out_dir / "kept.jsonl"
                if view is None:
                    assert dj is not None
                    cache_before = du_mb(hf_cache)
                    cmd = [
                        str(dj),
                        "--config",
                        str(recipe),
                        "--dataset_path",
                        str(pool),
                        "--export_path",
                        str(export),
                        "--np",
                        str(np_),
                    ]
                    m = measure(cmd, out_dir, out_dir / "log.txt")
                    disk = du_mb(out_dir) + max(0.0, du_mb(hf_cache) - cache_before)
                else:
                    cmd = [
                        str(CURATE),
                        "run",
                        str(recipe),
                        "-q",
                        "--set",
                        f"dataset_path={pool}",
                        "--set",
                        f"export_path={export}",
                        "--set",
                        f"np={np_}",
                        "--set",
                        f"text_view={view}",
                    ]
                    m = measure(cmd, out_dir, out_dir / "log.txt")
                    disk = du_mb(out_dir / "kept.work")
                if m.returncode != 0:
                    print(f"{system} failed on {name} (np={np_}): see {out_dir / 'log.txt'}")
                    continue
                kept = kept_multiset(export)
                results[system] = (m, kept, disk)
            ref = results.get("data-juicer")
            for system, (m, kept, disk) in results.items():
                same = (
                    "-"
                    if ref is None or system == "data-juicer"
                    else (
                        "yes"
                        if kept == ref[1]
                        else f"no ({len(kept - ref[1])} only here, {len(ref[1] - kept)} only in DJ)"
                    )
                )
                speed = f"{ref[0].wall / m.wall:.1f}x" if ref and system != "data-juicer" else ""
                rows.append(
                    (
                        name,
                        system,
                        np_,
                        m.wall,
                        m.cpu,
                        m.peak_rss_mb,
                        disk,
                        sum(kept.values()),
                        same,
                        speed,
                    )
                )
    header = (
        "pool",
        "system",
        "np",
        "wall s",
        "cpu s",
        "peak RSS MB",
        "disk MB",
        "kept",
        "same kept set as DJ",
        "speed-up",
    )
    print()
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in rows:
        print(
            " | ".join(
                [
                    r[0],
                    r[1],
                    str(r[2]),
                    f"{r[3]:.1f}",
                    f"{r[4]:.1f}",
                    f"{r[5]:.0f}",
                    f"{r[6]:.0f}",
                    str(r[7]),
                    r[8],
                    r[9],
                ]
            )
        )
    if args.header_vs_decode and sizes:
        header_vs_decode(next(iter(pools.values())), args.header_vs_decode)
    print(f"\nmachine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

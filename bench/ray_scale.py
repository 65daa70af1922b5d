#!/usr/bin/env python
"""Ray scaling benchmark: the image+text peer recipe, local np=1/np=2 vs Ray 1/2 workers.

Each configuration is one ``curate run`` process (so Ray's start-up and shutdown are in
the figures, as a user sees them) on the same pool (Data-Juicer's image+text recipe from
../shared/bench/dj-peer, one distinct image file per sample). Prints wall time,
samples/s, speedup over local np=1, CPU time and sampled peak RSS of the process tree,
the load and dedup times from summary.json, whether the export is byte-identical to
local np=1's, and the machine's load average before each run (the CPU may be shared).

usage:
  .venv/bin/python bench/ray_scale.py                      # 100k pool (generation ~17 min)
  .venv/bin/python bench/ray_scale.py --size 10000         # quicker
  .venv/bin/python bench/ray_scale.py --size 10000 --configs local:1,ray:2 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from peer_dj import CURATE, make_pools, measure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000, help="image+text pool size")
    ap.add_argument(
        "--configs",
        default="local:1,local:2,ray:1,ray:2",
        help="executor:workers, comma separated",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration (best kept)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/mmcurate-peer"))
    ap.add_argument("--peer-dir", type=Path, default=REPO.parent / "shared" / "bench" / "dj-peer")
    args = ap.parse_args()
    if not args.peer_dir.exists():
        sys.exit(f"peer benchmark material not found at {args.peer_dir} (use --peer-dir)")
    args.work.mkdir(parents=True, exist_ok=True)
    (pool,) = make_pools(args.peer_dir, args.work, [args.size], 0).values()
    recipe = args.peer_dir / "recipes" / "dj_image_text.yaml"
    out_dir = args.work / f"ray-scale-{args.size}"
    out_dir.mkdir(exist_ok=True)
    rows = []
    baseline: tuple[float, bytes] | None = None
    for config in args.configs.split(","):
        executor, workers = config.split(":")
        best = None
        for rep in range(args.repeat):
            name = f"{executor}-np{workers}"
            export = out_dir / f"{name}.jsonl"
            cmd = [
                str(CURATE),
                "run",
                str(recipe),
                "--quiet",
                "--executor",
                executor,
                "--np",
                workers,
                "--set",
                f"dataset_path={pool}",
                "--set",
                f"export_path={export}",
                "--set",
                "text_view=dj",
            ]
            load = os.getloadavg()[0]
            print(f"{name} (run {rep + 1}, load avg {load:.1f})...", flush=True)
            m = measure(cmd, out_dir, out_dir / f"{name}.log")
            if m.returncode != 0:
                sys.exit(f"{name} failed; see {out_dir / f'{name}.log'}")
            summary = json.loads((out_dir / f"{name}.work" / "summary.json").read_text())
            if best is None or m.wall < best[0].wall:
                best = (m, summary, load, export.read_bytes())
        assert best is not None
        m, summary, load, data = best
        dedup = sum(o["seconds"] for o in summary["ops"] if o["kind"] == "deduplicator")
        if baseline is None:
            baseline = (m.wall, data)
        rows.append(
            (
                f"{executor} {workers}",
                m.wall,
                args.size / m.wall,
                baseline[0] / m.wall,
                m.cpu,
                m.peak_rss_mb,
                summary["load"]["seconds"],
                dedup,
                summary["kept"],
                data == baseline[1],
                load,
            )
        )
    print(f"\nimage+text peer recipe, {args.size} samples, {time.strftime('%Y-%m-%d %H:%M')}")
    head = (
        f"{'config':<10} {'wall s':>8} {'samples/s':>10} {'speedup':>8} {'cpu s':>8} "
        f"{'peak MB':>8} {'load s':>7} {'dedup s':>8} {'kept':>7} {'same':>5} {'loadavg':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r[0]:<10} {r[1]:8.1f} {r[2]:10.0f} {r[3]:8.2f} {r[4]:8.1f} {r[5]:8.0f} "
            f"{r[6]:7.1f} {r[7]:8.1f} {r[8]:7d} {'yes' if r[9] else 'NO':>5} {r[10]:8.1f}"
        )
    print(
        "speedup: over the first configuration; same: export byte-identical to it; "
        "dedup s: the deduplicator's op time (key hashing in the row tasks is in the row "
        "stage; this is the grouping step); loadavg: 1-min load before the run."
    )


if __name__ == "__main__":
    main()

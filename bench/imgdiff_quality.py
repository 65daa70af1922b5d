"""ImgDiff quality on procedural pairs (exact ground truth) and stage counts on mined pairs.

    .venv/bin/python bench/imgdiff_quality.py --n 200 --demo-n 300

Prints (1) difference-box recall at IoU >= 0.5 and mean best IoU against the known changed
regions, for the method (pixel + SSIM maps, morphology, grouping, crop-similarity, NMS) and
two baselines in the same run: raw pixel difference > 0.1 with connected components (no
smoothing/SSIM/morphology/filters) and the whole image as one box; (2) the full pipeline on
the same procedural pairs: pairs kept per stage and time; (3) mined pairs from
`curate demo-data` output: counts per stage.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

from mmcurate.models import get_client
from mmcurate.synth.boxes import find_boxes, iou, pixel_diff_boxes
from mmcurate.synth.pipeline import ImgDiffParams, run_imgdiff
from mmcurate.synth.procedural import make_pair


def box_table(n: int, seed: int) -> None:
    methods = {
        "method (pixel+SSIM, morphology, filters)": lambda p: (
            find_boxes(p.image_a, p.image_b).boxes
        ),
        "baseline: raw pixel diff components": lambda p: pixel_diff_boxes(p.image_a, p.image_b),
        "baseline: whole image": lambda p: [(0, 0, *p.image_a.size)],
    }
    pairs = [make_pair(seed, i) for i in range(n)]
    print(f"\n## difference boxes on {n} procedural pairs (seed {seed})")
    print(
        "| finder | recall@0.5 | mean best IoU | boxes/pair | pairs fully found | by change "
        "(recall) | ms/pair |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, fn in methods.items():
        hits = total = full = nb = 0
        ious = []
        by = collections.defaultdict(lambda: [0, 0])
        t = time.perf_counter()
        for p in pairs:
            boxes = fn(p)
            nb += len(boxes)
            ok = True
            for g in p.gt_boxes:
                best = max((iou(g, b) for b in boxes), default=0.0)
                ious.append(best)
                total += 1
                by[p.change][1] += 1
                if best >= 0.5:
                    hits += 1
                    by[p.change][0] += 1
                else:
                    ok = False
            full += ok
        ms = (time.perf_counter() - t) * 1000 / n
        change = ", ".join(f"{k} {v[0] / v[1]:.2f}" for k, v in sorted(by.items()))
        print(
            f"| {name} | {hits / total:.3f} | {sum(ious) / len(ious):.3f} | {nb / n:.2f} | "
            f"{full / n:.3f} | {change} | {ms:.0f} |"
        )


def stage_table(title: str, summary: object) -> None:
    s = summary  # ImgDiffSummary
    print(f"\n## {title}")
    print("| stage | in | kept | dropped | errored |")
    print("|---|---|---|---|---|")
    for name, st in s.stages.items():  # type: ignore[attr-defined]
        print(f"| {name} | {st.n_in} | {st.kept} | {st.dropped} | {st.errored} |")
    print(
        f"pairs {s.n_pairs} = kept {s.kept} + dropped {s.dropped} + errored {s.errored}; "  # type: ignore[attr-defined]
        f"kept fraction {s.kept / max(1, s.n_pairs):.3f}; samples {s.samples}; "  # type: ignore[attr-defined]
        f"captions {s.caption_source}; {s.seconds:.1f}s; source {s.source_info}"
    )  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--demo-n", type=int, default=300)
    args = ap.parse_args()
    box_table(args.n, args.seed)
    client = get_client(backend="heuristic")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        s = run_imgdiff(ImgDiffParams(n=args.n, seed=args.seed), out / "proc", client=client)
        stage_table(f"pipeline, procedural n={args.n} (ground-truth captions)", s)
        s2 = run_imgdiff(
            ImgDiffParams(n=args.n, seed=args.seed, similarity_filter="on"),
            out / "proc2",
            client=client,
        )
        stage_table(f"pipeline, procedural n={args.n}, similarity window forced on", s2)
        from mmcurate.demodata import generate

        data = generate(out / "demo", n=args.demo_n, seed=args.seed)
        s3 = run_imgdiff(
            ImgDiffParams(source="mined", n=args.demo_n, mined={"data": data}),
            out / "mined",
            client=client,
        )
        stage_table(
            f"pipeline, mined from curate demo-data --n {args.demo_n} (heuristic captions)", s3
        )


if __name__ == "__main__":
    main()

"""Measured quality of the lite scorers (the figures in README "Lite scoring" and RESULTS).

1. Rule styler vs the hand labels in ``tests/data/styles_labels.jsonl``: exact match (all 9
   labels of a turn right) overall, per split (dev / holdout) and per source, and per-style
   accuracy, precision and recall.
2. Rule styler vs the demo generator's constructed style of each turn (a different,
   single-label convention): how often the constructed style is among the predicted ones.
3. Lite capability scorer on generated data: the top-scored capability vs
   ``meta.demo.capabilities[0]`` (the first turn's primary capability; strict), and vs any
   turn's primary capability (lenient), top-1 and top-3, per seed and per capability.

Usage (repo root)::

    .venv/bin/python bench/score_quality.py                    # seeds 0-4, n=300 each
    .venv/bin/python bench/score_quality.py --seeds 2,3 --n 300 --cache /tmp/lite-cache
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mmcurate.demodata import generate  # noqa: E402
from mmcurate.io import read_dataset  # noqa: E402
from mmcurate.sample import Sample  # noqa: E402
from mmcurate.scorers import styler_rules  # noqa: E402
from mmcurate.scorers.lite import capabilities as caps  # noqa: E402
from mmcurate.scorers.lite.perception import Perceiver, PerceptionParams  # noqa: E402
from mmcurate.taxonomy import CAPABILITIES, STYLES  # noqa: E402

LABELS = ROOT / "tests" / "data" / "styles_labels.jsonl"


def styler_report() -> None:
    """Styler vs hand labels."""
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    exact: Counter[str] = Counter()
    total: Counter[str] = Counter()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    for r in rows:
        pred = styler_rules.turn_styles(r["question"], r["answer"])
        ok = pred == r["labels"]
        for key in ("all", f"split={r['split']}", f"source={r['source']}"):
            total[key] += 1
            exact[key] += ok
        for s in STYLES:
            p, g = s in pred, s in r["labels"]
            agree[s] += p == g
            tp[s] += p and g
            fp[s] += p and not g
            fn[s] += g and not p
    print(f"## Rule styler vs {len(rows)} hand-labelled turns\n")
    print("| subset | turns | exact match |\n| --- | ---: | ---: |")
    for key in sorted(total, key=lambda k: (k != "all", k)):
        print(f"| {key} | {total[key]} | {exact[key] / total[key]:.3f} ({exact[key]}) |")
    print("\n| style | labelled | accuracy | precision | recall |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for s in STYLES:
        prec = tp[s] / (tp[s] + fp[s]) if tp[s] + fp[s] else float("nan")
        rec = tp[s] / (tp[s] + fn[s]) if tp[s] + fn[s] else float("nan")
        print(f"| {s} | {tp[s] + fn[s]} | {agree[s] / len(rows):.3f} | {prec:.3f} | {rec:.3f} |")
    print()


def _samples(seed: int, n: int, base: Path) -> tuple[list[Sample], Path]:
    d = base / f"demo-s{seed}-n{n}"
    if not (d / "data.jsonl").exists():
        generate(d, n=n, seed=seed)
    loaded = read_dataset(d / "data.jsonl")
    return [Sample.from_row(r) for r in loaded.dataset], loaded.root


def constructed_style_report(seed: int, n: int, base: Path) -> None:
    """Styler vs the generator's constructed (single) style per turn."""
    samples, _ = _samples(seed, n, base)
    hit: Counter[str] = Counter()
    tot: Counter[str] = Counter()
    for s in samples:
        pairs = styler_rules.qa_turns(s)
        for (q, a), turn in zip(pairs, s.meta["demo"]["turns"], strict=True):
            style = turn["styles"][0]
            tot[style] += 1
            hit[style] += style in styler_rules.turn_styles(q, a)
    n_turns = sum(tot.values())
    print(
        f"## Rule styler vs the generator's constructed style (seed {seed}, {n} samples, "
        f"{n_turns} turns)\n\nconstructed style among the predicted ones: "
        f"{sum(hit.values()) / n_turns:.3f}\n"
    )
    print("| constructed style | turns | predicted |\n| --- | ---: | ---: |")
    for s in STYLES:
        if tot[s]:
            print(f"| {s} | {tot[s]} | {hit[s] / tot[s]:.3f} |")
    print()


def capability_report(seeds: list[int], n: int, base: Path, cache: Path) -> None:
    """Lite capability scorer vs constructed capabilities."""
    from mmcurate.scorers.lite.embed import TextEncoder

    enc = TextEncoder(cache=None)
    model = caps.CapabilityModel({c: enc.encode(list(caps.PROFILES[c])) for c in CAPABILITIES})
    per_cap: Counter[str] = Counter()
    per_cap_n: Counter[str] = Counter()
    print(f"## Lite capability scorer on generated data ({n} samples per seed)\n")
    print("| seed | top-1 | top-3 | top-1 (any turn's primary) | multi-turn samples |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    tops = []
    for seed in seeds:
        samples, root = _samples(seed, n, base)
        perceiver = Perceiver(PerceptionParams(), root, cache)
        stats = perceiver.perceive(samples)
        t1 = t3 = lenient = multi = 0
        for s, st in zip(samples, stats, strict=True):
            assert isinstance(st, dict), st
            vec = np.asarray(st["text_embedding"], dtype=np.float32)
            ev = model.evidence(caps.turns(s), vec, st, videos=len(s.videos))
            sc = model.to_scores(ev, CAPABILITIES)
            ranked = sorted(CAPABILITIES, key=lambda c: (-sc[c], CAPABILITIES.index(c)))
            truth = s.meta["demo"]["capabilities"][0]
            primaries = {t["capabilities"][0] for t in s.meta["demo"]["turns"]}
            t1 += ranked[0] == truth
            t3 += truth in ranked[:3]
            lenient += ranked[0] in primaries
            multi += len(primaries) > 1
            per_cap_n[truth] += 1
            per_cap[truth] += ranked[0] == truth
        tops.append((t1 / n, t3 / n, lenient / n))
        print(f"| {seed} | {t1 / n:.3f} | {t3 / n:.3f} | {lenient / n:.3f} | {multi} |")
    m = np.mean(tops, axis=0)
    print(f"| mean | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | |\n")
    print("| primary capability | samples | top-1 |\n| --- | ---: | ---: |")
    for c in CAPABILITIES:
        if per_cap_n[c]:
            print(f"| {c} | {per_cap_n[c]} | {per_cap[c] / per_cap_n[c]:.3f} |")
    print()


def main() -> None:
    """Print every report as markdown."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--data", type=Path, default=None, help="Folder for generated data.")
    ap.add_argument("--cache", type=Path, default=None, help="Perception cache folder.")
    ap.add_argument("--style-seed", type=int, default=5)
    args = ap.parse_args()
    base = args.data or Path(tempfile.mkdtemp(prefix="score-quality-"))
    cache = args.cache or base / "cache"
    styler_report()
    constructed_style_report(args.style_seed, args.n, base)
    capability_report([int(s) for s in args.seeds.split(",")], args.n, base, cache)


if __name__ == "__main__":
    main()

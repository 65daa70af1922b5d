"""Selection diagnostics: what a selected subset covers, compared with its pool.

- capability coverage: share of the capabilities scored in the pool for which the subset
  has at least one sample scoring above ``threshold`` (from
  :func:`mmcurate.selectors.report.profile`, the same profile ``curate select`` reports);
- style coverage: share of the interaction styles present in the pool that the subset has;
- ground-truth coverage (demo data only): the same for ``meta.demo.capabilities``;
- duplication: share of subset samples whose (media bytes + conversation text) repeat
  another subset sample's, an exact-duplicate count (near duplicates are the dedup ops' job);
- score mass: the subset's summed capability scores over the summed scores of the pool's
  ``len(subset)`` highest-scoring samples (1.0 = as much score as top-k by total score).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import datasets

from mmcurate.selectors.report import NONE_LABEL, profile


def _key(row: dict[str, Any], root: Path) -> str:
    h = hashlib.sha256()
    for p in [*row["images"], *row["videos"]]:
        f = Path(p) if Path(p).is_absolute() else root / p
        h.update(f.read_bytes() if f.is_file() else p.encode())
    h.update(json.dumps(row["messages"], sort_keys=True).encode())
    return h.hexdigest()


def _total_scores(ds: datasets.Dataset) -> list[float]:
    if "scores" not in ds.column_names:
        return [0.0] * len(ds)
    return [sum(v for v in (s or {}).values() if v is not None) for s in ds["scores"]]


def _truth_caps(ds: datasets.Dataset) -> set[str]:
    caps: set[str] = set()
    for meta in ds["meta"]:
        m = json.loads(meta) if isinstance(meta, str) else (meta or {})
        demo = m.get("demo") if isinstance(m, dict) else None
        if isinstance(demo, dict):
            caps.update(demo.get("capabilities") or [])
    return caps


def selection_diagnostics(
    pool: datasets.Dataset, selected_ids: Collection[str], root: Path, threshold: float = 0.0
) -> dict[str, Any]:
    """Diagnostics of a subset (given by ids) of ``pool`` (see the module docstring).

    Args:
        pool: The scored pool (canonical schema).
        selected_ids: Ids of the subset.
        root: Folder the pool's relative media paths resolve against.
        threshold: Score a sample must exceed to count for a capability.

    Returns:
        ``{"pool_rows", "selected_rows", "capability_coverage", "style_coverage",
        "truth_capability_coverage", "duplicate_rate", "score_mass", "before", "after"}``.
    """
    ids = set(selected_ids)
    sub = pool.filter(lambda r: r["id"] in ids)
    before = profile(pool, threshold=threshold)
    after = profile(sub, threshold=threshold)
    caps = [c for c, p in before["capabilities"].items() if p["above_threshold"]]
    covered = [c for c in caps if after["capabilities"].get(c, {}).get("above_threshold", 0)]
    styles = [s for s in before["styles"] if s != NONE_LABEL]
    have = [s for s in styles if after["styles"].get(s)]
    truth_pool = _truth_caps(pool)
    truth_sub = _truth_caps(sub) if len(sub) else set()
    keys = [_key(r, root) for r in sub]
    dup = len(keys) - len(set(keys))
    totals = sorted(_total_scores(pool), reverse=True)
    best = sum(totals[: len(sub)])
    mass = sum(_total_scores(sub))
    return {
        "pool_rows": len(pool),
        "selected_rows": len(sub),
        "capability_coverage": round(len(covered) / len(caps), 4) if caps else None,
        "capabilities_missing": sorted(set(caps) - set(covered)),
        "style_coverage": round(len(have) / len(styles), 4) if styles else None,
        "truth_capability_coverage": round(len(truth_sub) / len(truth_pool), 4)
        if truth_pool
        else None,
        "duplicate_rate": round(dup / len(sub), 4) if len(sub) else 0.0,
        "score_mass": round(mass / best, 4) if best > 0 else None,
        "before": before,
        "after": after,
    }

"""Before/after profile of a selection: counts per capability, style and source, score
quantiles and token totals, read column-wise (used by ``curate select``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import datasets
import numpy as np

from mmcurate.ops.base import DatasetView, OpContext
from mmcurate.selectors.budget import token_costs
from mmcurate.selectors.columns import (
    NO_STYLE,
    meta_paths,
    meta_values,
    score_keys,
    scores,
    style_pairs,
)

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
NONE_LABEL = "(none)"


def profile(
    ds: datasets.Dataset,
    capabilities: Sequence[str] | None = None,
    threshold: float = 0.0,
    source_field: str | None = "source",
    image_tokens: int = 576,
    video_tokens: int = 2304,
) -> dict[str, Any]:
    """Counts and distributions of a dataset.

    Returns:
        ``{"rows", "tokens", "capabilities": {key: {"scored", "above_threshold", "mean",
        "quantiles": {"p10", ...}}}, "styles": {label: rows}, "sources": {label: rows}}``.
        Rows without a style or source are counted under ``(none)``.
    """
    n = len(ds)
    have = score_keys(ds)
    caps = [c for c in (capabilities or have) if c in have]
    out: dict[str, Any] = {"rows": n, "threshold": threshold}
    view = DatasetView(ds, OpContext())
    out["tokens"] = int(token_costs(view, image_tokens, video_tokens).sum()) if n else 0
    out["capabilities"] = {c: _score_profile(scores(ds, c), threshold) for c in caps}
    if n:
        rows, codes, labels = style_pairs(ds)
        counts = np.bincount(codes, minlength=len(labels))
        out["styles"] = _named_counts(labels, counts)
    else:
        out["styles"] = {}
    if source_field and n:
        src, labels = meta_values(ds, meta_paths(source_field))
        out["sources"] = _named_counts(labels, np.bincount(src, minlength=len(labels)))
    else:
        out["sources"] = {}
    return out


def _named_counts(labels: Sequence[str], counts: np.ndarray) -> dict[str, int]:
    pairs = sorted(
        (
            (NONE_LABEL if lab == NO_STYLE else lab, int(c))
            for lab, c in zip(labels, counts, strict=True)
        ),
        key=lambda kv: (-kv[1], kv[0]),
    )
    return {k: v for k, v in pairs if v}


def _score_profile(v: np.ndarray, threshold: float) -> dict[str, Any]:
    finite = v[np.isfinite(v)]
    res: dict[str, Any] = {
        "scored": int(finite.size),
        "above_threshold": int((finite > threshold).sum()),
        "mean": round(float(finite.mean()), 4) if finite.size else None,
    }
    if finite.size:
        qs = np.quantile(finite, QUANTILES)
        res["quantiles"] = {
            f"p{round(q * 100)}": round(float(x), 4) for q, x in zip(QUANTILES, qs, strict=True)
        }
    else:
        res["quantiles"] = {}
    return res

"""Small real pools (datasets/Arrow) for the selector tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmcurate.ops.base import DatasetView, OpContext
from mmcurate.sample import Message, Sample, to_dataset
from mmcurate.selectors.columns import DEFAULT_EMBEDDING_KEY

STYLES = ("multi-choice", "yes/no", "short description", "detailed description")


def row(
    i: int,
    scores: dict[str, float] | None = None,
    styles: list[str] | None = None,
    source: str | None = None,
    text: str = "What is shown here?",
    images: int = 1,
    emb: list[float] | None = None,
) -> Sample:
    """One sample with the fields selectors read."""
    meta: dict[str, Any] = {"orig": i}
    if source is not None:
        meta["source"] = source
    stats: dict[str, Any] = {}
    if emb is not None:
        stats[DEFAULT_EMBEDDING_KEY] = [float(x) for x in emb]
    return Sample(
        id=f"s{i:05d}",
        images=[f"img{i}_{k}.png" for k in range(images)],
        messages=[
            Message(role="user", content="<image>\n" * images + text),
            Message(role="assistant", content="An answer. " * (1 + i % 5)),
        ],
        meta=meta,
        stats=stats,
        scores=dict(scores or {}),
        styles=list(styles or []),
    )


def view(samples: list[Sample]) -> DatasetView:
    """A selector's view of ``samples``."""
    return DatasetView(to_dataset(samples), OpContext())


def random_pool(
    n: int = 300,
    caps: tuple[str, ...] = ("ocr", "stem", "spatial"),
    seed: int = 0,
    dim: int = 8,
    sources: int = 3,
) -> list[Sample]:
    """Integer 0-5 scores (a few missing), 0-2 styles, skewed sources, clustered
    embeddings, varied text lengths and image counts."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((6, dim))
    out = []
    for i in range(n):
        scores = {c: float(rng.integers(0, 6)) for c in caps if rng.random() > 0.03}
        k = int(rng.integers(0, 3))
        styles = list(rng.choice(STYLES, size=k, replace=False))
        src = f"src{min(int(rng.exponential(1.0)), sources - 1)}"
        emb = centers[rng.integers(6)] + 0.3 * rng.standard_normal(dim)
        out.append(
            row(
                i,
                scores,
                styles,
                src,
                text="word " * int(rng.integers(1, 80)),
                images=int(rng.integers(0, 3)),
                emb=emb.tolist(),
            )
        )
    return out

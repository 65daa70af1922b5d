"""``score_then_diversify_selector``: DEITA-style "score first, then diversity".

Rows are taken best-scored first; a row is skipped when its cosine similarity to its
nearest already-chosen row is above ``threshold`` (DEITA's representation filter,
github.com/hkust-nlp/deita ``selection/filter/base.py``: ``IterativeFilter.filter`` with
``batch_size=1``; DEITA's default threshold is 0.9). Stops when the budget is full or the
pool is exhausted.

Candidates are checked in blocks: one FAISS search of the block against the chosen rows,
then the block's own similarity matrix; only rows that conflict with an earlier row of the
same block are resolved one by one, so the result equals the row-at-a-time greedy. Cost:
O(scanned * chosen * d) with a flat index (GPU FAISS when present).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from mmcurate.ops.base import DatasetView, Selector
from mmcurate.ops.registry import register
from mmcurate.selectors.budget import BudgetParams, plan_budget, warn_short, whole_pool
from mmcurate.selectors.columns import combined_score, embedding_matrix
from mmcurate.selectors.common import (
    as_rows,
    embedding_key_field,
    score_field,
    seed_field,
    tiebreak,
)
from mmcurate.selectors.faiss_utils import import_faiss, to_device
from mmcurate.selectors.quota import ranked


class ScoreThenDiversifySelectorParams(BudgetParams):
    """Parameters of ``score_then_diversify_selector``."""

    score: str | dict[str, float] | None = score_field("the mean of every score column")
    threshold: float = Field(
        0.9,
        gt=-1,
        le=1,
        description="Skip a row whose cosine similarity to a chosen row is above this.",
    )
    embedding_key: str | list[str] = embedding_key_field()
    block: int = Field(2048, ge=1, description="Candidates checked per block.")
    seed: int = seed_field()


@register("score_then_diversify_selector")
class ScoreThenDiversifySelector(Selector[ScoreThenDiversifySelectorParams]):
    """Best-scored rows first, skipping rows too similar to those already chosen (DEITA)."""

    Params = ScoreThenDiversifySelectorParams

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        ds = view.dataset
        values = combined_score(ds, p.score, self.name)
        x = embedding_matrix(ds, p.embedding_key, self.name, normalize=True)
        plan = plan_budget(p, view)
        if plan.covers_pool():
            return whole_pool(plan, self.name)
        order = ranked(values, tiebreak(len(values), p.seed))
        chosen = diversify(x, order, plan.costs, plan.limit, p.threshold, p.block)
        warn_short(
            plan,
            chosen,
            self.name,
            f"every other scored row is within cosine {p.threshold:g} of a chosen row",
        )
        return as_rows(chosen)


def diversify(
    x: np.ndarray,
    order: np.ndarray,
    costs: np.ndarray | None,
    limit: int,
    threshold: float,
    block: int = 2048,
) -> np.ndarray:
    """Greedy: walk ``order``, keep a row unless it is within ``threshold`` (cosine) of a
    kept row, until the kept rows' total (rows, or ``costs``) reaches ``limit``.

    Args:
        x: L2-normalised embeddings (n, d) float32.
        order: Candidate rows, best first.
        costs: Per-row cost (``None``: 1 each).
        limit: Budget in rows or cost units.
        threshold: Cosine similarity above which a row is too close.
        block: Candidates per block.

    Returns:
        Kept rows in the order they were taken.
    """
    faiss = import_faiss()
    index = to_device(faiss.IndexFlatIP(x.shape[1]))
    kept: list[np.ndarray] = []
    used = 0
    for s in range(0, len(order), block):
        rows = order[s : s + block]
        xb = np.ascontiguousarray(x[rows])
        ok = np.ones(len(rows), dtype=bool)
        if index.ntotal:
            sim, _ = index.search(xb, 1)
            ok = sim[:, 0] <= threshold
        conflict = np.tril(xb @ xb.T > threshold, -1) & ok[None, :]
        accepted = ok & ~conflict.any(axis=1)
        for j in np.flatnonzero(ok & conflict.any(axis=1)).tolist():
            accepted[j] = not bool((conflict[j] & accepted).any())
        take = rows[accepted]
        w = np.ones(take.size, dtype=np.int64) if costs is None else costs[take]
        fit = int(np.searchsorted(np.cumsum(w), limit - used, side="right"))
        full = fit < take.size
        take = take[:fit]
        used += int(w[:fit].sum())
        if take.size:
            kept.append(take)
            index.add(x[take])
        if full or used >= limit:
            break
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)

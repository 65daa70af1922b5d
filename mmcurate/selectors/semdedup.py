"""``semdedup_selector``: drop semantic near-duplicates (cosine similarity above a threshold).

SemDeDup's rule (Abbas et al. 2023): rank the rows by priority (a score, best first, or
input order); a row is dropped when some row ranked before it has cosine similarity above
``threshold`` with it (whether that row is itself kept or not, as in SemDeDup). Then, with a
``budget``, the best-ranked survivors that fit are kept; without one, every survivor.

Neighbours come from a FAISS range search on L2-normalised embeddings: an exact flat inner-
product index up to ``flat_max`` rows, above that an IVF index (``nlist`` lists, default
4 * sqrt(n); ``nprobe`` probed), which can miss a duplicate pair that falls in lists that
are not probed (approximate). Cost: flat O(n^2 * d); IVF about O(n * nprobe * n / nlist * d).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from mmcurate.ops.base import DatasetView, Selector
from mmcurate.ops.registry import register
from mmcurate.selectors.budget import Budget, SelectionWarning, TokenCostParams, plan_budget
from mmcurate.selectors.columns import combined_score, embedding_matrix
from mmcurate.selectors.common import (
    as_rows,
    embedding_key_field,
    score_field,
    seed_field,
    tiebreak,
)
from mmcurate.selectors.faiss_utils import import_faiss
from mmcurate.selectors.quota import ranked


class SemdedupSelectorParams(TokenCostParams):
    """Parameters of ``semdedup_selector``."""

    threshold: float = Field(
        0.95,
        gt=-1,
        le=1,
        description="Cosine similarity above which two rows are duplicates (SemDeDup's "
        "eps = 1 - threshold).",
    )
    embedding_key: str | list[str] = embedding_key_field()
    score: str | dict[str, float] | None = score_field("input order (the first row is kept)")
    budget: Budget | None = Field(
        None, description="Optional: keep at most this much of the survivors, best first."
    )
    index: Literal["auto", "flat", "ivf"] = Field(
        "auto", description="FAISS index: flat (exact), ivf (approximate), auto by size."
    )
    flat_max: int = Field(50_000, ge=1, description="auto: flat index up to this many rows.")
    nlist: int | None = Field(None, ge=1, description="ivf: inverted lists (default 4*sqrt(n)).")
    nprobe: int = Field(16, ge=1, description="ivf: lists probed per query.")
    seed: int = seed_field()


@register("semdedup_selector")
class SemdedupSelector(Selector[SemdedupSelectorParams]):
    """Drop rows whose embedding is within a cosine threshold of a higher-priority row."""

    Params = SemdedupSelectorParams

    #: Rows dropped as duplicates in the last run.
    last_duplicates: int = 0
    _reasons: dict[int, str] = {}  # replaced, never mutated, by each select()

    def drop_reasons(self) -> dict[int, str]:
        """Each duplicate's reason names the higher-priority row it duplicates."""
        return self._reasons

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        ds = view.dataset
        n = len(ds)
        x = embedding_matrix(ds, p.embedding_key, self.name, normalize=True)
        perm = tiebreak(n, p.seed)
        if p.score is None:
            order = np.arange(n, dtype=np.int64)
        else:
            scored = ranked(combined_score(ds, p.score, self.name), perm)
            rest = np.setdiff1d(np.arange(n, dtype=np.int64), scored, assume_unique=True)
            order = np.concatenate([scored, rest])
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        # For each row, the best rank among the higher-priority rows it duplicates.
        dup_rank = np.full(n, n, dtype=np.int64)
        for qi, nj in self._pairs(x):
            later_is_q = rank[qi] > rank[nj]
            later = np.where(later_is_q, qi, nj)
            earlier = np.where(later_is_q, nj, qi)
            np.minimum.at(dup_rank, later, rank[earlier])
        dropped = dup_rank < n
        self.last_duplicates = int(dropped.sum())
        ids = view.column("id") if self.last_duplicates else []
        self._reasons = {
            int(i): f"semantic duplicate of {ids[order[dup_rank[i]]]} "
            f"(cosine > {p.threshold}, {self.name})"
            for i in np.flatnonzero(dropped)
        }
        survivors = order[~dropped[order]]
        if p.budget is None:
            return as_rows(survivors)
        plan = plan_budget(p, view, p.budget)
        if plan.covers_pool():
            warnings.warn(
                f"{self.name}: the budget ({plan.describe()}) covers the whole pool; keeping "
                f"every non-duplicate ({survivors.size} of {n} rows)",
                SelectionWarning,
                stacklevel=2,
            )
            return as_rows(survivors)
        return as_rows(plan.prefix(survivors))

    def _index(self, x: np.ndarray) -> tuple[Any, Any]:
        """The FAISS index over ``x`` (and its IVF quantizer, kept referenced)."""
        faiss = import_faiss()
        n, d = x.shape
        p = self.params
        kind = p.index if p.index != "auto" else ("flat" if n <= p.flat_max else "ivf")
        quantizer = None
        if kind == "flat":
            index = faiss.IndexFlatIP(d)
        else:
            nlist = min(p.nlist or max(1, round(4 * math.sqrt(n))), n)
            quantizer = faiss.IndexFlatIP(d)
            index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(p.seed)
            sample = x[np.sort(rng.choice(n, size=min(n, nlist * 64), replace=False))]
            index.cp.seed = p.seed
            index.cp.min_points_per_centroid = 1
            index.train(sample)
            index.nprobe = min(p.nprobe, nlist)
        index.add(x)
        return index, quantizer

    def _pairs(self, x: np.ndarray, block: int = 16384) -> Any:
        """Yield (query rows, neighbour rows) with similarity above the threshold."""
        n = x.shape[0]
        if n < 2:
            return
        index, _quantizer = self._index(x)  # the IVF index uses the quantizer: keep it
        for s in range(0, n, block):
            lims, _, ids = index.range_search(x[s : s + block], float(self.params.threshold))
            counts = np.diff(lims).astype(np.int64)
            qi = np.repeat(np.arange(s, s + len(counts), dtype=np.int64), counts)
            nj = ids.astype(np.int64)
            other = (nj != qi) & (nj >= 0)
            if other.any():
                yield qi[other], nj[other]

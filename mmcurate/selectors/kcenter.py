"""``kcenter_selector``: greedy k-center (farthest-first traversal) on embeddings.

Start from a seeded random row; repeatedly add the row farthest from everything chosen so
far (Gonzalez 1985; the "core-set" selection of Sener & Savarese 2018), until the budget
is filled. This is a 2-approximation of the minimum covering radius.

Two methods:

- ``exact``: after each pick, one distance update over the whole pool (a float32 BLAS
  matrix-vector product): O(n * k * d) time, O(n * d) memory. About 24 ms per pick at
  n = 100k, d = 384 on 2 cores, so it is for pools of up to ~10^5 rows with modest k.
- ``cells`` (**approximate**): FAISS k-means (8 iterations on 64 rows per cell) splits
  the pool into ``n_cells`` cells (default sqrt(n)); the first pick updates every row
  exactly, later picks update only the rows of the ``nprobe`` cells whose centroids are
  nearest to the new center, and the next pick is the farthest row by these distances
  (kept per cell, so finding it is O(n_cells)). A row's distance can only be
  overestimated (a close center in a cell that was not probed is missed), so the picks stay
  spread out but the covering radius can be larger than the exact greedy's. Time
  O(k * (n_cells + nprobe * n / n_cells) * d) plus k-means; with n_cells = sqrt(n) that is
  O(k * nprobe * sqrt(n) * d) for the whole run instead of O(n * k * d).

``auto`` runs ``exact`` when n * k <= ``exact_limit`` distance evaluations, else ``cells``.
bench/select_scale.py measures both and the radius each reaches.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field

from mmcurate.ops.base import DatasetView, Selector
from mmcurate.ops.registry import register
from mmcurate.selectors.budget import BudgetParams, BudgetPlan, plan_budget, whole_pool
from mmcurate.selectors.columns import embedding_matrix
from mmcurate.selectors.common import as_rows, embedding_key_field, one_blas_thread, seed_field
from mmcurate.selectors.faiss_utils import kmeans

log = logging.getLogger(__name__)


class KCenterSelectorParams(BudgetParams):
    """Parameters of ``kcenter_selector``."""

    embedding_key: str | list[str] = embedding_key_field()
    normalize: bool = Field(True, description="L2-normalise embeddings (cosine geometry).")
    method: Literal["auto", "exact", "cells"] = Field(
        "auto", description="exact greedy, cells (approximate, scales to millions), or auto."
    )
    exact_limit: int = Field(
        100_000_000,
        ge=0,
        description="auto: run exact when rows x picks <= this many distance evaluations.",
    )
    n_cells: int | None = Field(
        None, ge=1, description="cells: k-means cells (default sqrt(rows))."
    )
    nprobe: int = Field(4, ge=1, description="cells: cells updated per pick (nearest first).")
    seed: int = seed_field()


@register("kcenter_selector")
class KCenterSelector(Selector[KCenterSelectorParams]):
    """Greedy k-center on embeddings: each pick is the row farthest from those chosen."""

    Params = KCenterSelectorParams

    #: The method used and the covering radius (max distance of a row to its nearest
    #: chosen row, as tracked: exact for ``exact``, an upper bound for ``cells``).
    last_method: str = ""
    last_radius: float = float("nan")

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        x = embedding_matrix(view.dataset, p.embedding_key, self.name, p.normalize)
        plan = plan_budget(p, view)
        if plan.covers_pool():
            return whole_pool(plan, self.name)
        n = x.shape[0]
        k_est = plan.limit if plan.costs is None else plan.limit / max(plan.costs.mean(), 1)
        method = p.method
        if method == "auto":
            method = "exact" if n * k_est <= p.exact_limit else "cells"
        rng = np.random.default_rng(p.seed)
        first = int(rng.integers(n))
        if method == "exact":
            with one_blas_thread():
                chosen, radius = greedy_exact(x, first, plan)
        else:
            cells = p.n_cells or max(1, round(math.sqrt(n)))
            chosen, radius = greedy_cells(x, first, plan, cells, p.nprobe, p.seed)
        self.last_method, self.last_radius = method, radius
        log.info("%s: %d rows by %s, radius %.4f", self.name, len(chosen), method, radius)
        return as_rows(chosen)


def _fits(plan: BudgetPlan, used: int, row: int) -> int:
    """Cost of ``row`` if it fits after ``used``, else 0."""
    cost = 1 if plan.costs is None else int(plan.costs[row])
    return cost if used + cost <= plan.limit else 0


def greedy_exact(x: np.ndarray, first: int, plan: BudgetPlan) -> tuple[np.ndarray, float]:
    """Exact farthest-first traversal from ``first`` while picks fit the budget.

    Returns:
        Chosen rows in pick order, and the covering radius (Euclidean) of the result.
    """
    n = x.shape[0]
    sq = np.einsum("ij,ij->i", x, x)
    mind = np.full(n, np.inf, dtype=np.float32)
    chosen: list[int] = []
    used, c = 0, first
    while len(chosen) < n:
        cost = _fits(plan, used, c)
        if not cost:
            break
        chosen.append(c)
        used += cost
        d = sq + sq[c] - 2.0 * (x @ x[c])
        np.minimum(mind, d, out=mind)
        mind[c] = -np.inf
        c = int(np.argmax(mind))
        if mind[c] == -np.inf:
            break
    rest = mind[np.isfinite(mind)]
    radius = float(np.sqrt(max(rest.max(), 0.0))) if rest.size else 0.0
    return np.asarray(chosen, dtype=np.int64), radius


def greedy_cells(
    x: np.ndarray, first: int, plan: BudgetPlan, n_cells: int, nprobe: int, seed: int
) -> tuple[np.ndarray, float]:
    """Approximate farthest-first traversal over k-means cells (see the module docstring).

    Returns:
        Chosen rows in pick order, and the tracked covering radius (an upper bound).
    """
    n = x.shape[0]
    # the cells only need to be local, not optimal: a short k-means on a small sample
    centroids, assign, _ = kmeans(
        x, n_cells, niter=8, seed=seed, spherical=False, sample_per_centroid=64
    )
    n_cells = centroids.shape[0]
    order = np.argsort(assign, kind="stable")
    xs = x[order]
    sizes = np.bincount(assign, minlength=n_cells)
    start = np.zeros(n_cells + 1, dtype=np.int64)
    np.cumsum(sizes, out=start[1:])
    cell_of = assign[order]
    sq = np.einsum("ij,ij->i", xs, xs)
    csq = np.einsum("ij,ij->i", centroids, centroids)
    pos = int(np.flatnonzero(order == first)[0])
    mind = (sq + sq[pos] - 2.0 * (xs @ xs[pos])).astype(np.float32)
    cellmax = np.full(n_cells, -np.inf, dtype=np.float32)
    nonempty = np.flatnonzero(sizes > 0)
    nprobe = min(nprobe, n_cells)
    chosen: list[int] = []
    used = 0
    with one_blas_thread():  # many small products: BLAS worker threads only spin
        while True:
            row = int(order[pos])
            cost = _fits(plan, used, row)
            if not cost:
                break
            chosen.append(row)
            used += cost
            mind[pos] = -np.inf
            v = xs[pos]
            if len(chosen) == 1:
                cellmax[nonempty] = np.maximum.reduceat(mind, start[nonempty])
            else:
                near = np.argpartition(csq - 2.0 * (centroids @ v), nprobe - 1)[:nprobe]
                probe = set(near.tolist()) | {int(cell_of[pos])}
                for q in probe:
                    s, e = int(start[q]), int(start[q + 1])
                    if e == s:
                        continue
                    seg = mind[s:e]
                    np.minimum(seg, sq[s:e] + sq[pos] - 2.0 * (xs[s:e] @ v), out=seg)
                    cellmax[q] = seg.max()
            q = int(np.argmax(cellmax))
            if cellmax[q] == -np.inf or len(chosen) == n:
                break
            s = int(start[q])
            pos = s + int(np.argmax(mind[s : int(start[q + 1])]))
    rest = mind[np.isfinite(mind)]
    radius = float(np.sqrt(max(rest.max(), 0.0))) if rest.size else 0.0
    return np.asarray(chosen, dtype=np.int64), radius

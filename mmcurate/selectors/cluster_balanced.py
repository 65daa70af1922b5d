"""``cluster_balanced_selector``: FAISS k-means, an equal share per cluster, best first.

The pool is clustered with FAISS k-means (spherical on normalised embeddings). The budget
is shared equally over the clusters, smallest cluster first, a cluster's shortfall carried
to the next, repeated until the budget is full: the same quota procedure as mmSSR
(:mod:`mmcurate.selectors.quota`) with one group and clusters as bins. Within a cluster rows
are taken best-scored first (``score``), or, without a score, closest to the centroid first
(the most typical rows).

Cost: k-means trains on a seeded sample of ``sample_per_cluster`` rows per cluster
(O(sample * n_clusters * d * niter)), then one flat search of every row against the
centroids: O(n * n_clusters * d); the quota pass is O(n) after one sort.
"""

from __future__ import annotations

import logging
import math
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
from mmcurate.selectors.faiss_utils import kmeans
from mmcurate.selectors.quota import Bins, QuotaSampler

log = logging.getLogger(__name__)


class ClusterBalancedSelectorParams(BudgetParams):
    """Parameters of ``cluster_balanced_selector``."""

    embedding_key: str | list[str] = embedding_key_field()
    normalize: bool = Field(True, description="L2-normalise embeddings (spherical k-means).")
    n_clusters: int | None = Field(None, ge=1, description="k-means clusters (default sqrt(rows)).")
    niter: int = Field(20, ge=1, description="k-means iterations.")
    sample_per_cluster: int = Field(
        64, ge=1, description="k-means trains on at most this many rows per cluster."
    )
    score: str | dict[str, float] | None = score_field("closest to the centroid first")
    seed: int = seed_field()


@register("cluster_balanced_selector")
class ClusterBalancedSelector(Selector[ClusterBalancedSelectorParams]):
    """k-means clusters get equal shares of the budget; best-scored rows within each."""

    Params = ClusterBalancedSelectorParams

    #: Cluster of every row in the last run (for reports and tests).
    last_assign: np.ndarray | None = None

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        ds = view.dataset
        x = embedding_matrix(ds, p.embedding_key, self.name, p.normalize)
        values = None if p.score is None else combined_score(ds, p.score, self.name)
        plan = plan_budget(p, view)
        if plan.covers_pool():
            return whole_pool(plan, self.name)
        n = x.shape[0]
        k = p.n_clusters or max(1, round(math.sqrt(n)))
        _, assign, dist = kmeans(
            x, k, p.niter, p.seed, spherical=p.normalize, sample_per_centroid=p.sample_per_cluster
        )
        del x
        self.last_assign = assign
        key = -dist.astype(np.float64) if values is None else values
        n_bins = int(assign.max()) + 1 if n else 0
        bins = Bins.single(assign, [f"{i:08d}" for i in range(n_bins)])
        result = QuotaSampler([key], bins, n, plan.weights(), tiebreak(n, p.seed)).run(plan.limit)
        log.info("%s: %d rows over %d clusters", self.name, result.rows.size, n_bins)
        warn_short(plan, result.rows, self.name, "the other rows have no score")
        return as_rows(result.rows)

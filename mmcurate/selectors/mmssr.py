"""``mmssr_selector``: mmSSR's capability- and style-balanced selection (arXiv 2503.13383).

Budget B. Until B is filled, every selected capability gets an equal quota
``max((B - |selected|) // n_caps, 1)``; per capability, the rows still in the pool with
that capability's score above ``threshold`` are ranked by the score and the quota is
split equally over the (style x source) bins, smallest bin first, carrying any shortfall to
the next bin; chosen rows leave the pool. Multi-label styles put a row in several bins. A
capability with no candidates left is dropped. No embeddings, no model: sorting only, so it
scales to millions of rows.

The procedure, how it matches the authors' code (github.com/lyumengyao/mmssr,
``llava/select/mmssr.py``) and where it deliberately differs are documented in
:mod:`mmcurate.selectors.quota`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from mmcurate.ops.base import DatasetView, Selector
from mmcurate.ops.registry import register
from mmcurate.selectors.budget import BudgetParams, plan_budget, warn_short, whole_pool
from mmcurate.selectors.columns import meta_paths, meta_values, score_matrix, style_pairs
from mmcurate.selectors.quota import Bins, QuotaResult, QuotaSampler, combine_bins
from mmcurate.taxonomy import CAPABILITIES

log = logging.getLogger(__name__)


def _split_list(value: object) -> object:
    """Accept ``"a,b"`` for a list (CLI ``--param capabilities=a,b``)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class MmssrSelectorParams(BudgetParams):
    """Parameters of ``mmssr_selector``."""

    capabilities: list[str] | None = Field(
        None,
        description="Score keys to balance (default: the 14 mmSSR capabilities).",
    )
    threshold: float = Field(
        0.0, description="A row is a candidate for a capability when its score is > this."
    )
    source_field: str | None = Field(
        "source",
        description="meta key (dotted for nested; meta._extra.<key> is the fallback) whose "
        "value splits bins by source; null: bins by style only.",
    )
    seed: int = Field(42, description="Seed of the random tie-break (same seed, same subset).")
    tie_break: Literal["random", "index"] = Field(
        "random", description="Equal scores: seeded random order, or input order."
    )

    @field_validator("capabilities", mode="before")
    @classmethod
    def _caps(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("capabilities")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("capabilities is empty")
            if len(set(value)) != len(value):
                raise ValueError("capabilities lists a key twice")
        return value


@register("mmssr_selector")
class MmssrSelector(Selector[MmssrSelectorParams]):
    """mmSSR: equal per-capability quotas, split over (style x source) bins, best scores first."""

    Params = MmssrSelectorParams

    last_result: QuotaResult | None = None

    def capabilities(self) -> list[str]:
        """The score keys this selector balances."""
        return list(self.params.capabilities or CAPABILITIES)

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        ds = view.dataset
        n = len(ds)
        caps = self.capabilities()
        scores = score_matrix(ds, caps, self.name)  # validates the columns first
        plan = plan_budget(p, view)
        if plan.covers_pool():
            return whole_pool(plan, self.name)
        bins = self.bins(view)
        tiebreak = np.random.default_rng(p.seed).permutation(n) if p.tie_break == "random" else None
        sampler = QuotaSampler(scores, bins, n, plan.weights(), tiebreak, above=p.threshold)
        del scores
        result = sampler.run(plan.limit)
        self.last_result = result
        log.info(
            "%s: %d rows (%d %s) in %d rounds", self.name, result.rows.size, result.used,
            plan.unit, result.rounds,
        )  # fmt: skip
        if len(result.exhausted) == len(caps):
            why = f"every capability ran out of rows with score > {p.threshold:g}"
            warn_short(plan, result.rows, self.name, why)
        elif plan.costs is not None:  # quotas end once a share is smaller than a row's cost
            why = "the rest, split over the capabilities, is smaller than their next rows"
            slack = len(caps) * int(plan.costs.max())
            warn_short(plan, result.rows, self.name, why, slack)
        return np.sort(result.rows).tolist()

    def bins(self, view: DatasetView) -> Bins:
        """(style x source) bins of every row (rows with no style: the ``""`` style)."""
        ds = view.dataset
        n = len(ds)
        rows, styles, style_labels = style_pairs(ds)
        if self.params.source_field:
            src, src_labels = meta_values(ds, meta_paths(self.params.source_field))
        else:
            src, src_labels = np.zeros(n, dtype=np.int32), [""]
        return combine_bins(rows, styles, style_labels, src, src_labels, n)

"""Uniform random selection (Data-Juicer ``random_selector`` parameters, plus ``budget``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from pydantic import Field, model_validator

from mmcurate.ops.base import DatasetView, Selector
from mmcurate.ops.registry import register
from mmcurate.selectors.budget import (
    Budget,
    SelectionWarning,
    TokenCostParams,
    plan_budget,
    whole_pool,
)


class RandomSelectorParams(TokenCostParams):
    """Parameters of ``random_selector``: Data-Juicer's ``select_ratio`` / ``select_num``,
    or the shared ``budget`` (rows, a ratio or tokens)."""

    select_ratio: float | None = Field(None, gt=0, le=1, description="Fraction to keep.")
    select_num: int | None = Field(None, ge=0, description="Number of rows to keep.")
    budget: Budget | None = Field(
        None, description='Rows (1000), a ratio ("30%") or tokens ("2M tokens").'
    )
    seed: int = Field(42, description="Random seed (same seed, same subset).")

    @model_validator(mode="after")
    def _one_budget(self) -> RandomSelectorParams:
        dj = self.select_ratio is not None or self.select_num is not None
        if self.budget is None and not dj:
            raise ValueError("set budget, or select_num / select_ratio")
        if self.budget is not None and dj:
            raise ValueError("set either budget or select_num / select_ratio, not both")
        return self


@register("random_selector")
class RandomSelector(Selector[RandomSelectorParams]):
    """Keep a uniform random subset: a budget, or select_num rows / a select_ratio."""

    Params = RandomSelectorParams

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        n = len(view.dataset)
        rng = np.random.default_rng(p.seed)
        if p.budget is None:  # Data-Juicer's semantics: the smaller of num and ratio
            budget = n
            if p.select_ratio is not None:
                budget = min(budget, int(n * p.select_ratio))
            if p.select_num is not None:
                budget = min(budget, p.select_num)
                if p.select_num > n:
                    warnings.warn(
                        f"{self.name}: select_num={p.select_num} is larger than the pool "
                        f"({n} rows); returning all of them",
                        SelectionWarning,
                        stacklevel=2,
                    )
            return sorted(rng.choice(n, size=budget, replace=False).tolist())
        plan = plan_budget(p, view, p.budget)
        if plan.covers_pool():
            return whole_pool(plan, self.name)
        return np.sort(plan.prefix(rng.permutation(n))).tolist()

"""Uniform random selection (Data-Juicer ``random_selector`` parameters)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field, model_validator

from mmcurate.ops.base import DatasetView, Params, Selector
from mmcurate.ops.registry import register


class RandomSelectorParams(Params):
    """Parameters of ``random_selector``."""

    select_ratio: float | None = Field(None, gt=0, le=1, description="Fraction to keep.")
    select_num: int | None = Field(None, ge=0, description="Number of rows to keep.")
    seed: int = Field(42, description="Random seed (same seed, same subset).")

    @model_validator(mode="after")
    def _one_budget(self) -> RandomSelectorParams:
        if self.select_ratio is None and self.select_num is None:
            raise ValueError("set select_num or select_ratio")
        return self


@register("random_selector")
class RandomSelector(Selector[RandomSelectorParams]):
    """Keep a uniform random subset: select_num rows or a select_ratio of the pool."""

    Params = RandomSelectorParams

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        n = len(view.dataset)
        budget = n
        if p.select_ratio is not None:
            budget = min(budget, int(n * p.select_ratio))
        if p.select_num is not None:
            budget = min(budget, p.select_num)
        rng = np.random.default_rng(p.seed)
        return sorted(rng.choice(n, size=budget, replace=False).tolist())

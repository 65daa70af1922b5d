"""``topk_selector``: the best rows by one score or a weighted sum of scores."""

from __future__ import annotations

from collections.abc import Sequence

from mmcurate.ops.base import DatasetView, Selector
from mmcurate.ops.registry import register
from mmcurate.selectors.budget import BudgetParams, plan_budget, warn_short, whole_pool
from mmcurate.selectors.columns import combined_score
from mmcurate.selectors.common import as_rows, score_field, seed_field, tiebreak
from mmcurate.selectors.quota import ranked


class TopkSelectorParams(BudgetParams):
    """Parameters of ``topk_selector``."""

    score: str | dict[str, float] | None = score_field("the mean of every score column")
    seed: int = seed_field()


@register("topk_selector")
class TopkSelector(Selector[TopkSelectorParams]):
    """Keep the highest-scored rows (one score or a weighted sum) within the budget.

    Equal scores are ordered by a seeded random permutation; rows missing a needed score
    are never selected. With a token budget the best rows are taken while they fit.
    """

    Params = TopkSelectorParams

    def select(self, view: DatasetView) -> Sequence[int]:
        p = self.params
        values = combined_score(view.dataset, p.score, self.name)
        plan = plan_budget(p, view)
        if plan.covers_pool():
            return whole_pool(plan, self.name)
        chosen = plan.prefix(ranked(values, tiebreak(len(values), p.seed)))
        warn_short(plan, chosen, self.name, "the other rows have no score")
        return as_rows(chosen)

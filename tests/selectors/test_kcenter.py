import numpy as np
import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.selectors.budget import Budget, BudgetPlan
from mmcurate.selectors.kcenter import greedy_cells, greedy_exact
from tests.selectors.pools import random_pool, row, view


def naive_farthest_first(x, first, k):
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    chosen = [first]
    while len(chosen) < k:
        mind = d[:, chosen].min(axis=1)
        mind[chosen] = -1
        chosen.append(int(np.argmax(mind)))
    return chosen


def unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_is_farthest_first_traversal():
    x = unit(np.random.default_rng(0), 80, 5)
    plan = BudgetPlan(Budget.model_validate(12), 80, 12)
    got, radius = greedy_exact(x, 3, plan)
    want = naive_farthest_first(x.astype(np.float64), 3, 12)
    assert got.tolist() == want
    d = np.sqrt(((x[:, None] - x[None, got]) ** 2).sum(-1)).min(axis=1)
    assert radius == pytest.approx(d.max(), rel=1e-4)


def test_cells_with_one_cell_equals_exact():
    x = unit(np.random.default_rng(1), 120, 6)
    plan = BudgetPlan(Budget.model_validate(15), 120, 15)
    exact, _ = greedy_exact(x, 7, plan)
    cells, _ = greedy_cells(x, 7, plan, n_cells=1, nprobe=1, seed=0)
    assert cells.tolist() == exact.tolist()


def test_cells_spreads_over_clusters():
    rng = np.random.default_rng(2)
    centers = unit(rng, 8, 16) * 5
    x = np.concatenate([c + 0.05 * rng.standard_normal((50, 16)) for c in centers]).astype(
        np.float32
    )
    plan = BudgetPlan(Budget.model_validate(8), len(x), 8)
    got, _ = greedy_cells(x, 0, plan, n_cells=8, nprobe=2, seed=0)
    assert sorted(set((got // 50).tolist())) == list(range(8))  # one pick per cluster


def test_selector_uses_the_embedding_stat_and_reports_the_method():
    v = view(random_pool(200, seed=3))
    op = create("kcenter_selector", {"budget": 20, "seed": 1})
    got = op.select(v)
    assert len(got) == 20 and op.last_method == "exact"
    op = create("kcenter_selector", {"budget": 20, "seed": 1, "exact_limit": 10})
    assert len(op.select(v)) == 20 and op.last_method == "cells"


def test_token_budget_stops_at_the_first_pick_that_does_not_fit():
    v = view(random_pool(100, seed=4))
    op = create("kcenter_selector", {"budget": "2000 tokens", "image_tokens": 300})
    from mmcurate.selectors.budget import token_costs

    got = list(op.select(v))
    assert token_costs(v, image_tokens=300)[got].sum() <= 2000


def test_missing_embeddings_name_the_key_and_the_command():
    v = view([row(i, {"a": 1.0}) for i in range(5)])
    with pytest.raises(ConfigError) as err:
        create("kcenter_selector", {"budget": 2}).select(v)
    msg = str(err.value)
    assert "lite_perception_mapper.text_embedding" in msg
    assert "curate score DATA --out SCORED --backend heuristic" in msg

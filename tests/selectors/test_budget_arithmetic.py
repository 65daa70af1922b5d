"""Every selector x every budget form: never over budget, no duplicates, deterministic."""

import warnings

import numpy as np
import pytest

from mmcurate.ops.registry import create
from mmcurate.selectors.budget import Budget, SelectionWarning, resolve_budget
from tests.selectors.pools import random_pool, view

SELECTORS = [
    ("random_selector", {}),
    ("topk_selector", {"score": "ocr"}),
    ("topk_selector", {"score": {"ocr": 1.0, "stem": 2.0}}),
    ("mmssr_selector", {"capabilities": ["ocr", "stem", "spatial"]}),
    ("kcenter_selector", {"method": "exact"}),
    ("kcenter_selector", {"method": "cells", "n_cells": 4, "nprobe": 2}),
    ("cluster_balanced_selector", {"n_clusters": 5}),
    ("cluster_balanced_selector", {"n_clusters": 5, "score": "stem"}),
    ("semdedup_selector", {"threshold": 0.995}),
    ("score_then_diversify_selector", {"threshold": 0.97, "block": 16}),
]
BUDGETS = [25, "30%", "1500 tokens", 0.1]


@pytest.fixture(scope="module")
def pool_view():
    return view(random_pool(240, seed=7))


@pytest.mark.parametrize(("name", "params"), SELECTORS, ids=lambda x: str(x)[:40])
@pytest.mark.parametrize("budget", BUDGETS, ids=str)
def test_within_budget_no_duplicates_deterministic(pool_view, name, params, budget):
    n = len(pool_view.dataset)
    full = {**params, "budget": budget, "seed": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SelectionWarning)  # a threshold may leave it short
        a = list(create(name, full).select(pool_view))
        b = list(create(name, full).select(pool_view))
    assert a == b
    assert len(set(a)) == len(a) and a == sorted(a)
    assert all(0 <= r < n for r in a)
    plan = resolve_budget(Budget.model_validate(budget), pool_view)
    assert plan.total(np.asarray(a, dtype=np.int64)) <= plan.limit
    if name in ("random_selector", "topk_selector", "kcenter_selector"):
        assert a, "these always fill part of the budget"


@pytest.mark.parametrize(("name", "params"), SELECTORS, ids=lambda x: str(x)[:40])
def test_budget_larger_than_the_pool_keeps_the_whole_pool_with_a_warning(pool_view, name, params):
    n = len(pool_view.dataset)
    with pytest.warns(SelectionWarning, match="covers the whole pool"):
        got = list(create(name, {**params, "budget": n + 5}).select(pool_view))
    if name == "semdedup_selector":
        assert len(got) <= n  # duplicates still go
    else:
        assert got == list(range(n))


@pytest.mark.parametrize(
    "name", ["random_selector", "kcenter_selector", "cluster_balanced_selector"]
)
def test_seed_changes_the_subset(pool_view, name):
    def sel(seed):
        return list(create(name, {"budget": 30, "seed": seed}).select(pool_view))

    assert sel(1) == sel(1)
    assert sel(1) != sel(2)

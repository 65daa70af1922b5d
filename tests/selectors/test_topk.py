import numpy as np
import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.selectors.budget import SelectionWarning, token_costs
from tests.selectors.pools import row, view


def test_highest_score_first_and_weighted_sums():
    pool = [row(i, {"a": float(i % 7), "b": float(10 - i)}) for i in range(10)]
    v = view(pool)
    assert list(create("topk_selector", {"budget": 3, "score": "b"}).select(v)) == [0, 1, 2]
    # a + 0.1 b: row 6 (6 + 0.4), row 5 (5 + 0.5), row 4 (4 + 0.6)
    got = create("topk_selector", {"budget": 3, "score": {"a": 1, "b": 0.1}}).select(v)
    assert list(got) == [4, 5, 6]


def test_default_score_is_the_mean_of_every_score_column():
    pool = [row(i, {"a": float(i), "b": float(i % 2) * 100}) for i in range(6)]
    assert list(create("topk_selector", {"budget": 2}).select(view(pool))) == [3, 5]


def test_rows_without_the_score_are_never_selected():
    pool = [row(i, {"a": 1.0}) for i in range(3)] + [row(3 + i, {"b": 1.0}) for i in range(3)]
    with pytest.warns(SelectionWarning, match="no score"):
        got = create("topk_selector", {"budget": 5, "score": "a"}).select(view(pool))
    assert list(got) == [0, 1, 2]


def test_token_budget_takes_the_best_rows_while_they_fit():
    pool = [row(i, {"a": float(i)}, text="x" * (40 * (i + 1)), images=0) for i in range(6)]
    v = view(pool)
    costs = token_costs(v)
    budget = int(costs[5] + costs[4] + costs[3] - 1)  # 5 and 4 fit, 3 does not
    got = create("topk_selector", {"budget": f"{budget} tokens", "score": "a"}).select(v)
    assert list(got) == [4, 5]


def test_missing_score_names_it():
    with pytest.raises(ConfigError, match="nope.*curate score"):
        create("topk_selector", {"budget": 1, "score": "nope"}).select(view([row(0, {"a": 1})]))


def test_ties_are_seeded():
    v = view([row(i, {"a": 1.0}) for i in range(50)])
    sel = [list(create("topk_selector", {"budget": 5, "seed": s}).select(v)) for s in (0, 0, 1)]
    assert sel[0] == sel[1] != sel[2]
    assert np.all(np.diff(sel[0]) > 0)

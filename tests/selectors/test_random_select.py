import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.base import DatasetView, OpContext
from mmcurate.ops.registry import create
from mmcurate.sample import Sample, to_dataset
from mmcurate.selectors.budget import SelectionWarning
from tests.selectors.pools import random_pool
from tests.selectors.pools import view as pool_view


def view(n: int) -> DatasetView:
    return DatasetView(to_dataset([Sample(id=str(i)) for i in range(n)]), OpContext())


def test_budget_by_num_and_ratio_never_over_and_no_duplicates():
    v = view(50)
    by_num = create("random_selector", {"select_num": 7}).select(v)
    by_ratio = create("random_selector", {"select_ratio": 0.3}).select(v)
    both = create("random_selector", {"select_num": 5, "select_ratio": 0.5}).select(v)
    assert len(by_num) == 7 and len(set(by_num)) == 7
    assert len(by_ratio) == 15
    assert len(both) == 5
    with pytest.warns(SelectionWarning, match="larger than the pool"):
        assert len(create("random_selector", {"select_num": 500}).select(v)) == 50


def test_deterministic_for_a_seed():
    v = view(100)
    a = create("random_selector", {"select_num": 10, "seed": 1}).select(v)
    b = create("random_selector", {"select_num": 10, "seed": 1}).select(v)
    c = create("random_selector", {"select_num": 10, "seed": 2}).select(v)
    assert a == b and a != c


def test_needs_exactly_one_kind_of_budget():
    with pytest.raises(ConfigError, match="set budget, or select_num / select_ratio"):
        create("random_selector", {})
    with pytest.raises(ConfigError, match="not both"):
        create("random_selector", {"budget": 5, "select_num": 5})


def test_budget_forms():
    v = view(40)
    assert len(create("random_selector", {"budget": 8}).select(v)) == 8
    assert len(create("random_selector", {"budget": "25%"}).select(v)) == 10
    assert len(create("random_selector", {"budget": 0.5}).select(v)) == 20


def test_token_budget_is_a_random_prefix_that_fits():
    v = pool_view(random_pool(100, seed=2))
    op = create("random_selector", {"budget": "3000 tokens", "image_tokens": 100, "seed": 4})
    got = op.select(v)
    from mmcurate.selectors.budget import token_costs

    costs = token_costs(v, image_tokens=100)
    assert costs[list(got)].sum() <= 3000
    assert costs[list(got)].sum() > 3000 - costs.max()  # a prefix stops only at a row that
    # does not fit, so the gap is below one row's cost unless that row was big

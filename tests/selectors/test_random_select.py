import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.base import DatasetView, OpContext
from mmcurate.ops.registry import create
from mmcurate.sample import Sample, to_dataset


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
    assert len(create("random_selector", {"select_num": 500}).select(v)) == 50


def test_deterministic_for_a_seed():
    v = view(100)
    a = create("random_selector", {"select_num": 10, "seed": 1}).select(v)
    b = create("random_selector", {"select_num": 10, "seed": 1}).select(v)
    c = create("random_selector", {"select_num": 10, "seed": 2}).select(v)
    assert a == b and a != c


def test_needs_a_budget():
    with pytest.raises(ConfigError, match="select_num or select_ratio"):
        create("random_selector", {})

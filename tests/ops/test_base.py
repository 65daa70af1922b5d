import pickle

from mmcurate.ops.base import combine_any_or_all, range_reason
from mmcurate.ops.registry import create
from mmcurate.sample import Message, Sample


def test_range_reason_inclusive_bounds():
    assert range_reason("x", 10, 10, 20) is None
    assert range_reason("x", 20, 10, 20) is None
    assert range_reason("x", 9, 10, 20) == "x=9 < min=10"
    assert range_reason("x", 21.5, 10, 20) == "x=21.5 > max=20"
    assert range_reason("x", float("nan"), None, None) == "x=nan"


def test_any_or_all():
    assert combine_any_or_all([], "any", "images") is None
    assert combine_any_or_all([None, "bad"], "any", "images") is None
    assert combine_any_or_all([None, "bad"], "all", "images") == "images[1] bad"
    assert combine_any_or_all(["a", "b"], "any", "images").startswith("no images passes")


def test_filter_reuses_stored_stats_without_recomputing():
    op = create("text_length_filter", {"min_len": 5})
    s = Sample(
        id="a",
        messages=[Message(role="user", content="hello world")],
        stats={"text_length_filter.text_len": 3},
    )
    # a stored stat wins (a threshold change needs no recomputation)
    assert op.compute_stats_batch([s]) == [{"text_len": 3}]


def test_ops_pickle_without_setup_state():
    op = create("text_length_filter", {"min_len": 5})
    op.ensure_setup()
    clone = pickle.loads(pickle.dumps(op))
    assert clone.params == op.params and clone._ready is False

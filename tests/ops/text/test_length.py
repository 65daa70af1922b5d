from mmcurate.ops.registry import create
from mmcurate.sample import Message, Sample


def sample(text: str) -> Sample:
    return Sample(
        id="a", images=["x.png"], messages=[Message(role="user", content="<image>\n" + text)]
    )


def test_counts_text_without_placeholders():
    op = create("text_length_filter", {"min_len": 6, "max_len": 8})
    assert op.compute_stats(sample("A bus.")) == {"text_len": 6}


def test_boundaries_inclusive():
    op = create("text_length_filter", {"min_len": 6, "max_len": 8})
    assert op.drop_reason({"text_len": 6}) is None
    assert op.drop_reason({"text_len": 8}) is None
    assert op.drop_reason({"text_len": 5}) == "text_len=5 < min_len=6"
    assert op.drop_reason({"text_len": 9}) == "text_len=9 > max_len=8"


def test_empty_text_is_dropped_by_default_min():
    op = create("text_length_filter", {})
    assert op.drop_reason(op.compute_stats(Sample(id="e"))) == "text_len=0 < min_len=10"


def test_dj_text_view_counts_dj_tokens_like_data_juicer():
    from mmcurate.ops.base import OpContext

    op = create("text_length_filter", {"min_len": 10})
    s = Sample(id="a", images=["x.png"], messages=[Message(role="user", content="<image> A bus.")])
    assert op.compute_stats(s) == {"text_len": 6}  # plain: placeholders are not text
    op.bind(OpContext(text_view="dj"))
    assert op.compute_stats(s) == {"text_len": len("<__dj__image> A bus.")}


def test_accepts_data_juicer_filter_options():
    op = create("text_length_filter", {"min_len": 6, "max_len": 8, "max_closed_interval": False})
    assert op.drop_reason({"text_len": 7}) is None
    assert op.drop_reason({"text_len": 8}) == "text_len=8 outside [min_len=6, max_len=8)"

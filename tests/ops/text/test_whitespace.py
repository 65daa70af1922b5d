from mmcurate.ops.registry import create
from mmcurate.ops.text.whitespace import normalize_whitespace
from mmcurate.sample import Message, Sample


def test_normalizes_variants_and_strips():
    assert normalize_whitespace("\u3000a\u00a0b\u200bc\tz  ") == "a b c z"


def test_unchanged_sample_is_returned_as_is():
    op = create("whitespace_normalization_mapper", {})
    s = Sample(id="a", messages=[Message(role="user", content="plain text")])
    assert op.process(s) is s


def test_changed_sample_is_a_new_object():
    op = create("whitespace_normalization_mapper", {})
    s = Sample(id="a", messages=[Message(role="user", content=" x\u00a0y ")])
    out = op.process(s)
    assert out is not s and out.messages[0].content == "x y"
    assert s.messages[0].content == " x\u00a0y "

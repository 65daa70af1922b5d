import pytest

from mmcurate.ops.base import SampleError
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason, map_text, reject_tokenization
from tests.ops.text.helpers import chat, mapper, user


def reason(value, **options):
    return dj_range_reason("x", value, 1, 3, "lo", "hi", DJRangeParams(**options))


def test_default_is_closed_interval():
    assert [reason(v) for v in (1, 2, 3)] == [None, None, None]
    assert reason(0) == "x=0 < lo=1"
    assert reason(4) == "x=4 > hi=3"
    assert reason(float("nan")) == "x=nan"


def test_open_bounds():
    assert reason(1, min_closed_interval=False) == "x=1 outside (lo=1, hi=3]"
    assert reason(3, max_closed_interval=False) == "x=3 outside [lo=1, hi=3)"
    assert reason(2, min_closed_interval=False, max_closed_interval=False) is None


def test_reversed_range_keeps_outside_with_flipped_bounds():
    # Data-Juicer: reversed keeps (-inf, lo] and [hi, +inf) for the default closed bounds
    assert [reason(v, reversed_range=True) for v in (0, 1, 3, 4)] == [None] * 4
    assert reason(2, reversed_range=True) == "x=2 inside (lo=1, hi=3) (reversed_range)"
    opened = {"reversed_range": True, "min_closed_interval": False}
    assert reason(1, **opened) == "x=1 inside [lo=1, hi=3) (reversed_range)"


def test_reject_tokenization():
    assert reject_tokenization(False, "m") is False
    with pytest.raises(ValueError, match=r"needs a model download \(m\)"):
        reject_tokenization(True, "m")


def test_map_text_plain_maps_each_turn():
    m = mapper("punctuation_normalization_mapper")
    s = chat("a，b", "c")
    out = map_text(m, s, str.upper)
    assert [x.content for x in out.messages] == ["A，B", "C"]
    assert map_text(m, s, lambda t: t) is s


def test_map_text_dj_maps_the_data_juicer_text():
    m = mapper("punctuation_normalization_mapper", view="dj")
    s = chat("<image>\nq", "a", images=1)
    seen = []
    out = map_text(m, s, lambda t: seen.append(t) or t.replace("q", "Q"))
    assert seen == ["[[human]]: <__dj__image>\nq\n[[gpt]]: a <|__dj__eoc|>"]
    assert [x.content for x in out.messages] == ["<image>\nQ", "a"]
    # one user turn is the text itself, even when emptied
    assert map_text(m, user("q"), lambda t: "").messages[0].content == ""


def test_map_text_dj_rejects_a_rewrite_that_breaks_turns():
    m = mapper("punctuation_normalization_mapper", view="dj")
    with pytest.raises(SampleError, match="changed the turns"):
        map_text(m, chat("q", "a"), lambda t: t.replace("[[gpt]]: ", ""))
    with pytest.raises(SampleError, match="<image> placeholders"):
        map_text(m, chat("<image>q", "a", images=1), lambda t: t.replace("<__dj__image>", ""))

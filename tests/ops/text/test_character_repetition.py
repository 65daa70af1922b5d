import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.ops.text.character_repetition import char_rep_ratio
from tests.ops.text.helpers import DJ_PUNCT, chat, dj_kept, filt, user


def test_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_character_repetition_filter.py::test_case
    texts = [
        "Today is Sund Sund Sund Sund Sund Sunda and it's a happy day!",
        "a v s e c s f e f g a a a a a a a a a a",
        DJ_PUNCT,
        "中文也是一个字算一个长度",
    ]
    params = {"rep_len": 5, "min_ratio": 0.0, "max_ratio": 0.4}
    assert dj_kept("character_repetition_filter", params, texts) == texts[2:]


def test_hand_computed_ratios():
    # 'aaaa', n=2: one 2-gram 'aa' seen 3 times; m=1 distinct -> top floor(sqrt(1))=1
    assert char_rep_ratio("aaaa", 2) == 1.0
    # 'abab', n=2: ab x2, ba x1 -> m=2, top 1 repeated n-gram: 2/3
    assert char_rep_ratio("abab", 2) == 2 / 3
    # no n-gram repeats -> 0
    assert char_rep_ratio("abcdef", 2) == 0.0
    # shorter than n, and empty
    assert char_rep_ratio("abc", 5) == 0.0
    assert char_rep_ratio("", 10) == 0.0
    # m=5 distinct (aa x3, ab, bc, cd, de) -> k = min(floor(sqrt(5))=2, 1 repeated) = 1
    assert char_rep_ratio("aaaabcde", 2) == 3 / 7


def test_data_juicer_stat_value():
    # 'a v s e c s f e f g a a a a a a a a a a' with n=5: 35 5-grams, 'a a ' runs dominate
    text = "a v s e c s f e f g a a a a a a a a a a"
    assert char_rep_ratio(text, 5) == pytest.approx(16 / 35)


def test_boundaries():
    f = filt("character_repetition_filter", {"min_ratio": 0.1, "max_ratio": 0.5})
    assert f.drop_reason({"char_rep_ratio": 0.5}) is None
    assert f.drop_reason({"char_rep_ratio": 0.1}) is None
    assert f.drop_reason({"char_rep_ratio": 0.51}) == "char_rep_ratio=0.51 > max_ratio=0.5"


def test_rep_len_must_be_positive():
    with pytest.raises(ConfigError, match="rep_len"):
        create("character_repetition_filter", {"rep_len": 0})


def test_plain_and_dj_views():
    s = chat("<image>\nabab", "abab", images=1)
    f = filt("character_repetition_filter", {"rep_len": 4})
    assert f.compute_stats(s) == {"char_rep_ratio": char_rep_ratio("abab\nabab", 4)}
    dj = filt("character_repetition_filter", {"rep_len": 4}, view="dj").compute_stats(s)
    text = "[[human]]: <__dj__image>\nabab\n[[gpt]]: abab <|__dj__eoc|>"
    assert dj == {"char_rep_ratio": char_rep_ratio(text, 4)}
    assert filt("character_repetition_filter").compute_stats(user("")) == {"char_rep_ratio": 0.0}

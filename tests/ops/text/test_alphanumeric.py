import sys

import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.ops.text.alphanumeric import alnum_ratio
from tests.ops.text.helpers import DJ_PUNCT, chat, dj_kept, filt, user

DJ_TEXTS = [
    "a=1\nb\nc=1+2+3+5\nd=6",
    "Today is Sund Sund Sund Sunda and it's a happy day!\nYou know",
    "a v s e e f g a qkc",
    DJ_PUNCT,
    "Do you need a cup of coffee?",
    "emoji表情测试下😊，😸31231\n",
]


def test_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_alphanumeric_filter.py::test_case
    kept = dj_kept("alphanumeric_filter", {"min_ratio": 0.2, "max_ratio": 0.9}, DJ_TEXTS)
    assert kept == [t for t in DJ_TEXTS if t != DJ_PUNCT]


def test_ratio_values():
    assert alnum_ratio("") == 0.0
    assert alnum_ratio("a=1\nb\nc=1+2+3+5\nd=6") == 10 / 19
    assert alnum_ratio("Do you need a cup of coffee?") == 21 / 28
    # CJK ideographs and full-width digits are alphanumeric; emoji and '，' are not
    assert alnum_ratio("emoji表情测试下😊，😸31231\n") == 15 / 19
    assert alnum_ratio("１２ab") == 1.0


def test_ascii_fast_path_matches_isalnum():
    text = "".join(chr(c) for c in range(128)) * 3
    assert alnum_ratio(text) == sum(c.isalnum() for c in text) / len(text)
    mixed = text + "é"
    assert alnum_ratio(mixed) == sum(c.isalnum() for c in mixed) / len(mixed)


def test_boundaries_and_defaults():
    f = filt("alphanumeric_filter", {"min_ratio": 0.5, "max_ratio": 0.75})
    assert f.drop_reason({"alnum_ratio": 0.5}) is None
    assert f.drop_reason({"alnum_ratio": 0.75}) is None
    assert f.drop_reason({"alnum_ratio": 0.49}) == "alnum_ratio=0.49 < min_ratio=0.5"
    assert f.drop_reason({"alnum_ratio": 0.76}) == "alnum_ratio=0.76 > max_ratio=0.75"
    p = create("alphanumeric_filter").params
    assert (p.min_ratio, p.max_ratio) == (0.25, float(sys.maxsize))


def test_empty_text_dropped_by_default():
    f = filt("alphanumeric_filter")
    assert f.drop_reason(f.compute_stats(user(""))) == "alnum_ratio=0 < min_ratio=0.25"


def test_plain_and_dj_views():
    s = user("<image> A bus.", images=1)
    assert filt("alphanumeric_filter").compute_stats(s) == {"alnum_ratio": 4 / 6}
    dj = filt("alphanumeric_filter", view="dj").compute_stats(s)
    assert dj == {"alnum_ratio": 11 / 20}  # '<__dj__image> A bus.': 'djimage' + 'Abus'


def test_multi_turn():
    s = chat("ab", "cd")
    assert filt("alphanumeric_filter").compute_stats(s) == {"alnum_ratio": 4 / 5}


def test_tokenization_is_a_config_error():
    with pytest.raises(ConfigError, match="pythia"):
        create("alphanumeric_filter", {"tokenization": True})

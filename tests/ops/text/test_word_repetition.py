import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.ops.text.word_repetition import word_rep_ratio
from tests.ops.text.helpers import chat, dj_kept, filt, user


def test_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_word_repetition_filter.py::test_en_case
    texts = [
        "Today is Sunday Sunday Sunday Sunday Sunday and it's a happy day!",
        "Today is Sunday Sunday Sunday and it's a happy day!",
        "Today is Sund Sund Sund Sund Sund Sunda and it's a happy day!",
        "plusieurs èrdash@hqbchd.ckd d'accéder à ces wwwasdasd fonc",
        "This proposed a novel proposed pretraining proposed pretraining.",
    ]
    params = {"rep_len": 3, "min_ratio": 0.0, "max_ratio": 0.2}
    assert dj_kept("word_repetition_filter", params, texts) == [texts[1], texts[3], texts[4]]


def test_stat_values():
    f = filt("word_repetition_filter", {"rep_len": 3}, view="dj")
    s = user("Today is Sunday Sunday Sunday Sunday Sunday and it's a happy day!")
    # 10 trigrams; 'sunday sunday sunday' occurs 3 times -> 3/10
    assert f.compute_stats(s) == {"word_rep_ratio": 0.3}
    # 'pretraining.' strips to 'pretraining': 'proposed pretraining' repeats, but no trigram
    s2 = user("This proposed a novel proposed pretraining proposed pretraining.")
    assert f.compute_stats(s2) == {"word_rep_ratio": 0.0}


def test_lower_cased_and_stripped_before_counting():
    assert word_rep_ratio([], 2) == 0.0
    assert word_rep_ratio(["a"], 2) == 0.0
    f = filt("word_repetition_filter", {"rep_len": 1})
    # 'Hello,' 'hello' 'HELLO!' are one word after lower-casing and stripping
    assert f.compute_stats(user("Hello, hello HELLO! world")) == {"word_rep_ratio": 0.75}
    # words made of special characters only are dropped
    assert f.compute_stats(user("... --- x")) == {"word_rep_ratio": 0.0}


def test_cjk_without_spaces_is_one_word():
    f = filt("word_repetition_filter", {"rep_len": 1})
    assert f.compute_stats(user("欢迎来到阿里巴巴巴巴巴巴巴巴")) == {"word_rep_ratio": 0.0}
    assert f.compute_stats(user("你好 你好")) == {"word_rep_ratio": 1.0}


def test_boundaries_and_empty():
    f = filt("word_repetition_filter", {"min_ratio": 0.0, "max_ratio": 0.3})
    assert f.drop_reason({"word_rep_ratio": 0.3}) is None
    assert f.drop_reason({"word_rep_ratio": 0.31}) == "word_rep_ratio=0.31 > max_ratio=0.3"
    assert f.compute_stats(user("")) == {"word_rep_ratio": 0.0}


def test_multi_turn_repeats_across_turns_and_dj_view():
    s = chat("<image>\nred bus", "red bus", images=1)
    assert filt("word_repetition_filter", {"rep_len": 2}).compute_stats(s) == {
        "word_rep_ratio": 2 / 3
    }
    # dj: human, dj__image, red, bus, gpt, red, bus, dj__eoc -> 7 bigrams, 'red bus' x2
    dj = filt("word_repetition_filter", {"rep_len": 2}, view="dj").compute_stats(s)
    assert dj == {"word_rep_ratio": 2 / 7}


def test_tokenization_is_a_config_error():
    with pytest.raises(ConfigError, match="sentencepiece"):
        create("word_repetition_filter", {"tokenization": True, "lang": "zh"})

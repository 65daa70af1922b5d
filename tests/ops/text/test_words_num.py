import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from tests.ops.text.helpers import DJ_PUNCT, chat, dj_kept, filt, user


def test_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_word_num_filter.py::test_case
    texts = [
        "Today is Sun",
        "Today is Sund Sund Sund Sund Sund Sunda and it's a happy day!",
        "a v s e c s f e f g a a a  ",
        DJ_PUNCT,
    ]
    assert dj_kept("words_num_filter", {"min_num": 5, "max_num": 15}, texts) == texts[1:3]


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("a  b\tc\nd", 4),
        ("hello , world !!! 42 ...", 2),  # ',', '!!!', '42', '...' are special only
        ("«quoted» (word)", 2),
        ("non\u00a0breaking space", 2),  # only ' ', \n, \t split words
        ("中文没有空格所以是一个词", 1),
        ("😊 emoji 😸", 1),
    ],
)
def test_word_counts(text, n):
    assert filt("words_num_filter").compute_stats(user(text)) == {"num_words": n}


def test_boundaries_inclusive_and_reason():
    f = filt("words_num_filter", {"min_num": 2, "max_num": 3})
    assert f.drop_reason({"num_words": 2}) is None
    assert f.drop_reason({"num_words": 3}) is None
    assert f.drop_reason({"num_words": 1}) == "num_words=1 < min_num=2"
    assert f.drop_reason({"num_words": 4}) == "num_words=4 > max_num=3"


def test_open_interval_and_reversed_range():
    f = filt("words_num_filter", {"min_num": 2, "max_num": 3, "min_closed_interval": False})
    assert f.drop_reason({"num_words": 2}) == "num_words=2 outside (min_num=2, max_num=3]"
    r = filt("words_num_filter", {"min_num": 2, "max_num": 3, "reversed_range": True})
    assert r.drop_reason({"num_words": 1}) is None
    assert r.drop_reason({"num_words": 3}) is None  # bounds flip to closed on the outside
    assert r.drop_reason({"num_words": 2}) is None
    r2 = filt("words_num_filter", {"min_num": 2, "max_num": 4, "reversed_range": True})
    assert r2.drop_reason({"num_words": 3}) == (
        "num_words=3 inside (min_num=2, max_num=4) (reversed_range)"
    )


def test_plain_and_dj_views():
    s = user("<image> A bus.", images=1)
    assert filt("words_num_filter").compute_stats(s) == {"num_words": 2}
    # Data-Juicer counts its image token as a word ('<__dj__image>' -> 'dj__image')
    assert filt("words_num_filter", view="dj").compute_stats(s) == {"num_words": 3}


def test_multi_turn_counts_all_turns():
    s = chat("What is on the table?", "A red apple.")
    assert filt("words_num_filter").compute_stats(s) == {"num_words": 8}
    # '[[human]]:' and '[[gpt]]:' are words too ('human', 'gpt'); the end token
    # '<|__dj__eoc|>' strips to '__dj__eoc'
    assert filt("words_num_filter", view="dj").compute_stats(s) == {"num_words": 11}


def test_tokenization_is_a_config_error_lang_is_accepted():
    with pytest.raises(ConfigError, match="tokenization: true needs a model download"):
        create("words_num_filter", {"tokenization": True, "lang": "zh"})
    assert create("words_num_filter", {"lang": "zh"}).params.lang == "zh"
    with pytest.raises(ConfigError, match="min_nmu"):
        create("words_num_filter", {"min_nmu": 3})

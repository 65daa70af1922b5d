from mmcurate.ops.text.special_characters import special_char_ratio
from tests.ops.text.helpers import DJ_PUNCT, chat, dj_kept, filt, user


def test_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_special_characters_filter.py::test_case
    texts = [
        "Today is Sunday and it's a happy day!",
        "Today is Sund Sund Sund Sund Sunda and it's a happy day!",
        "a v s e c s f e f g a qkc",
        DJ_PUNCT,
        "Do you need a cup of coffee?",  # exactly 0.25: kept (closed interval)
        "emoji表情测试下😊，😸31231",
    ]
    kept = dj_kept("special_characters_filter", {"min_ratio": 0.0, "max_ratio": 0.25}, texts)
    assert kept == [texts[0], texts[1], texts[4]]


def test_ratio_values():
    assert special_char_ratio("") == 0.0
    assert special_char_ratio("Do you need a cup of coffee?") == 0.25
    # digits, '，' and both emoji are special; CJK ideographs are not, except '一' and '上'
    assert special_char_ratio("emoji表情测试下😊，😸31231") == 8 / 18
    assert special_char_ratio("一上下") == 2 / 3
    assert special_char_ratio("\u200b\u00ad") == 1.0  # invisible characters count


def test_ascii_fast_path_matches_the_set():
    from mmcurate.ops.text.chars import SPECIAL_CHARACTERS

    text = "".join(chr(c) for c in range(128))
    assert special_char_ratio(text) == sum(c in SPECIAL_CHARACTERS for c in text) / 128


def test_boundaries():
    f = filt("special_characters_filter", {"min_ratio": 0.1, "max_ratio": 0.25})
    assert f.drop_reason({"special_char_ratio": 0.1}) is None
    assert f.drop_reason({"special_char_ratio": 0.25}) is None
    assert f.drop_reason({"special_char_ratio": 0.26}) == (
        "special_char_ratio=0.26 > max_ratio=0.25"
    )
    assert f.drop_reason({"special_char_ratio": 0.0}) == "special_char_ratio=0 < min_ratio=0.1"


def test_plain_and_dj_views():
    s = user("<image> A bus.", images=1)
    assert filt("special_characters_filter").compute_stats(s) == {"special_char_ratio": 2 / 6}
    dj = filt("special_characters_filter", view="dj").compute_stats(s)
    assert dj == {"special_char_ratio": 9 / 20}


def test_multi_turn_joins_turns_with_newline():
    s = chat("ab", "cd")
    assert filt("special_characters_filter").compute_stats(s) == {"special_char_ratio": 1 / 5}

from tests.ops.text.helpers import DJ_PUNCT, chat, dj_kept, filt, user

DJ_TEXTS = [
    "a=1\nb\nc=1+2+3+5\nd=6",
    "Today is Sund Sund Sunda and it's a happy day!\nYou know",
    "a v s e e f g a qkc",
    DJ_PUNCT,
    "Do you need a cup of coffee?",
    "emoji表情测试下😊，😸31231\n",
]


def test_average_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_average_line_length_filter.py::test_case
    kept = dj_kept("average_line_length_filter", {"min_len": 10, "max_len": 20}, DJ_TEXTS)
    assert kept == [DJ_TEXTS[2], DJ_TEXTS[5]]


def test_maximum_data_juicer_unit_test_case():
    # data-juicer tests/ops/filter/test_maximum_line_length_filter.py::test_case
    texts = list(DJ_TEXTS)
    texts[1] = "Today is Sund Sund Sund Sunda and it's a happy day!\nYou know"
    kept = dj_kept("maximum_line_length_filter", {"min_len": 10, "max_len": 20}, texts)
    assert kept == [texts[2], texts[5]]


def test_average_values():
    avg = filt("average_line_length_filter", view="dj")
    assert avg.compute_stats(user("")) == {"avg_line_length": 0.0}
    assert avg.compute_stats(user("a=1\nb\nc=1+2+3+5\nd=6")) == {"avg_line_length": 19 / 4}
    # the trailing newline counts as a character but ends no extra line
    assert avg.compute_stats(user("emoji表情测试下😊，😸31231\n")) == {"avg_line_length": 19.0}
    # str.splitlines: '\r\n' is one break, '\u2028' breaks too
    assert avg.compute_stats(user("ab\r\ncd\u2028ef")) == {"avg_line_length": 9 / 3}


def test_maximum_values():
    mx = filt("maximum_line_length_filter", view="dj")
    assert mx.compute_stats(user("")) == {"max_line_length": 0}
    assert mx.compute_stats(user("a=1\nb\nc=1+2+3+5\nd=6")) == {"max_line_length": 9}
    assert mx.compute_stats(user("中文\n一二三四")) == {"max_line_length": 4}


def test_boundaries():
    avg = filt("average_line_length_filter", {"min_len": 10, "max_len": 20})
    assert avg.drop_reason({"avg_line_length": 10.0}) is None
    assert avg.drop_reason({"avg_line_length": 20.0}) is None
    assert avg.drop_reason({"avg_line_length": 9.5}) == "avg_line_length=9.5 < min_len=10"
    assert avg.drop_reason({"avg_line_length": 20.5}) == "avg_line_length=20.5 > max_len=20"
    mx = filt("maximum_line_length_filter", {"min_len": 10, "max_len": 20})
    assert mx.drop_reason({"max_line_length": 10}) is None
    assert mx.drop_reason({"max_line_length": 21}) == "max_line_length=21 > max_len=20"


def test_plain_and_dj_views_multi_turn():
    s = chat("<image>\nWhat is it?", "A bus.", images=1)
    plain_avg = filt("average_line_length_filter").compute_stats(s)
    assert plain_avg == {"avg_line_length": len("What is it?\nA bus.") / 2}
    dj_text = "[[human]]: <__dj__image>\nWhat is it?\n[[gpt]]: A bus. <|__dj__eoc|>"
    dj_avg = filt("average_line_length_filter", view="dj").compute_stats(s)
    assert dj_avg == {"avg_line_length": len(dj_text) / 3}
    dj_max = filt("maximum_line_length_filter", view="dj").compute_stats(s)
    assert dj_max == {"max_line_length": len("[[gpt]]: A bus. <|__dj__eoc|>")}

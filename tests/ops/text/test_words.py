from mmcurate.ops.text.words import count_words, refine_words, split_words, strip_special


def test_split_only_on_space_newline_tab():
    assert split_words("a  b\tc\n\nd\u3000e\r\nf") == ["a", "b", "c", "d\u3000e\r", "f"]
    assert split_words("") == []


def test_strip_special_both_ends_only():
    assert strip_special("«hello»") == "hello"
    assert strip_special("(a-b)") == "a-b"
    assert strip_special("😊ok😊") == "ok"
    assert strip_special("!!!") == ""
    assert strip_special("12abc34") == "abc"  # digits are special


def test_refine_lower_cases_before_stripping():
    # 'Г' (Cyrillic capital Ghe) is special, its lower case 'г' is not
    assert refine_words(["Гa"]) == ["a"]
    assert refine_words(["Гa"], lower_case=True) == ["гa"]
    assert refine_words(["Hello,", "...", "World"], lower_case=True) == ["hello", "world"]


def test_count_words_equals_len_of_refined():
    words = split_words("Hello , world !!! 42 ... «x» 😊 -a- 中文")
    assert count_words(words) == len(refine_words(words)) == 5

import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.ops.text.repeat_sentences import split_sentences
from tests.ops.text.helpers import chat, dj_mapped, mapper, user

DEFAULT_CASES = [
    (
        "今天天气真不错，阳光明媚，适合出去散步。小明说：“今天天气真不错，我们去海边吧。” "
        "小红回答说：“好主意！” 但是，小李觉得：“今天天气真不错，我们去爬山吧。” "
        "今天天气真不错，阳光明媚，适合出去散步。昨天下了一整天的雨，今天终于放晴了。"
        "昨天下了一整天的雨，今天终于放晴了。",
        "今天天气真不错，阳光明媚，适合出去散步。小明说：“今天天气真不错，我们去海边吧。” "
        "小红回答说：“好主意！” 但是，小李觉得：“今天天气真不错，我们去爬山吧。”"
        "昨天下了一整天的雨，今天终于放晴了。",
    ),
    (
        "The quick brown fox jumps over the lazy dog. Isn't it amazing how a simple sentence "
        "can contain every letter of the alphabet? The quick brown fox jumps over the lazy "
        "dog. Speaking of weather, yesterday was quite dreary; however, today is absolutely "
        "delightful. Isn't it amazing how a simple sentence can contain every letter of the "
        'alphabet? "Let\'s seize the day," Tom exclaimed, full of enthusiasm. "Let\'s seize '
        'the day," Tom exclaimed, full of enthusiasm.',
        "The quick brown fox jumps over the lazy dog. Isn't it amazing how a simple sentence "
        "can contain every letter of the alphabet? Speaking of weather, yesterday was quite "
        'dreary; however, today is absolutely delightful. "Let\'s seize the day," Tom '
        "exclaimed, full of enthusiasm.",
    ),
    (
        "我很开心 。但是你不开心  。我很开心 。\n你好呀！我很开心 。我好的。你好呀！",
        "我很开心 。但是你不开心  。\n你好呀！我好的。",
    ),
    (
        "默认配置下，长度低于2的句子不会被去重。"
        "去重？去重。去重！重。重...... 重! 1234？3215. 1234. 3. 3. 3",
        "默认配置下，长度低于2的句子不会被去重。去重？重。重...... 重! 1234？3215. 3. 3. 3",
    ),
]


@pytest.mark.parametrize(("text", "target"), DEFAULT_CASES)
@pytest.mark.parametrize("view", ["plain", "dj"])
def test_data_juicer_default_cases(text, target, view):
    # data-juicer tests/ops/mapper/test_remove_repeat_sentences_mapper.py::test_text
    assert (
        mapper("remove_repeat_sentences_mapper", view=view).process(user(text)).messages[0].content
        == target
    )


@pytest.mark.parametrize(
    ("text", "target"),
    [
        (
            "我很开心 。但是你不开心  。我很开心 。\n你好呀！我很开心 。我好的。你好呀！",
            "我很开心 。但是你不开心  。\n你好呀！我好的。你好呀！",
        ),
        (
            "去重？去重。去重！重。重...... 重! 1234？3215. 1234. 3. 3. 3",
            "去重？去重。去重！重。重...... 重! 1234？3215. 1234. 3. 3. 3",
        ),
    ],
)
def test_data_juicer_custom_params_cases(text, target):
    # data-juicer tests/ops/mapper/test_remove_repeat_sentences_mapper.py::test_text2
    params = {"lowercase": True, "ignore_special_character": False, "min_repeat_sentence_length": 5}
    assert dj_mapped("remove_repeat_sentences_mapper", params, text) == target


def test_splitter_quirks_kept():
    assert split_sentences("A. B! C? D") == ["A.", " B!", " C?", " D"]
    assert split_sentences("他说：“好。”然后") == ["他说：“好。”", "然后"]
    # Data-Juicer's last pattern has '{6}' inside a character class: '6' + quote splits
    assert split_sentences("x6”y") == ["x6”", "y"]


def test_lowercase_option():
    text = "Hello there. HELLO THERE."
    assert dj_mapped("remove_repeat_sentences_mapper", {}, text) == text
    assert dj_mapped("remove_repeat_sentences_mapper", {"lowercase": True}, text) == "Hello there."


def test_repeats_across_turns_are_removed_placeholders_kept():
    s = chat(
        "<image>\nWhat colour is the bus?\nAnswer with one word.",
        "Red.",
        "<image>\nWhat is behind it?\nAnswer with one word.",
        "A tree.",
        images=2,
    )
    out = mapper("remove_repeat_sentences_mapper").process(s)
    assert [m.content for m in out.messages] == [
        "<image>\nWhat colour is the bus?\nAnswer with one word.",
        "Red.",
        "<image>\nWhat is behind it?\n",
        "A tree.",
    ]
    dj = mapper("remove_repeat_sentences_mapper", view="dj").process(s)
    assert [m.content for m in dj.messages] == [m.content for m in out.messages]


def test_turn_prefix_is_part_of_the_first_sentence_key_in_dj_view():
    s = chat("Is it red? Yes.", "Yes. It is red.")
    plain = mapper("remove_repeat_sentences_mapper").process(s)
    assert [m.content for m in plain.messages] == ["Is it red? Yes.", " It is red."]
    # Data-Juicer's key for the answer's first sentence is 'gptYes', not 'Yes'
    assert mapper("remove_repeat_sentences_mapper", view="dj").process(s) is s


def test_dj_view_keeps_turn_prefix_of_a_removed_first_sentence():
    s = chat("Hello there.", "Sure thing.", "Hello there.", "Bye now.")
    out = mapper("remove_repeat_sentences_mapper", view="dj").process(s)
    assert [m.content for m in out.messages] == ["Hello there.", "Sure thing.", "", "Bye now."]
    assert [m.role for m in out.messages] == ["user", "assistant", "user", "assistant"]


def test_duplicate_image_lines_are_never_removed():
    s = user("<image>\n<image>\nCompare them. Compare them.", images=2)
    for view in ("plain", "dj"):
        out = mapper("remove_repeat_sentences_mapper", view=view).process(s)
        assert out.messages[0].content == "<image>\n<image>\nCompare them.", view


def test_empty_and_unchanged():
    for text in ("", "\n\n", "One. Two."):
        s = user(text)
        assert mapper("remove_repeat_sentences_mapper").process(s) is s


def test_custom_tokenizer_is_a_config_error():
    with pytest.raises(ConfigError, match="custom tokenizers are not supported"):
        create("remove_repeat_sentences_mapper", {"tokenizer": "lambda t: t.split('.')"})

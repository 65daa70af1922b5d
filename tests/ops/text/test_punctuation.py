from mmcurate.ops.text.punctuation import normalize_punctuation
from tests.ops.text.helpers import DJ_PUNCT, chat, dj_mapped, mapper, user


def test_data_juicer_unit_test_case():
    # data-juicer tests/ops/mapper/test_punctuation_normalization_mapper.py
    target = ',.,""""""""""\'::?!();- - . ~\'...-<>[]%-'
    assert dj_mapped("punctuation_normalization_mapper", {}, DJ_PUNCT) == target


def test_mixed_text():
    assert normalize_punctuation("你好，世界。“引号”（括号）") == '你好,世界."引号"(括号)'
    assert normalize_punctuation("plain ascii, unchanged.") == "plain ascii, unchanged."


def test_unchanged_sample_is_returned_as_is():
    s = user("<image>\nNo fancy punctuation here.", images=1)
    assert mapper("punctuation_normalization_mapper").process(s) is s


def test_each_turn_mapped_placeholders_kept():
    s = chat("<image>\n这是什么？", "一辆公交车。", images=1)
    out = mapper("punctuation_normalization_mapper").process(s)
    assert out is not s
    assert [m.content for m in out.messages] == ["<image>\n这是什么?", "一辆公交车."]
    assert [m.role for m in out.messages] == ["user", "assistant"]
    assert s.messages[0].content == "<image>\n这是什么？"


def test_dj_view_gives_the_same_turns():
    s = chat("<image>\n这是什么？", "一辆公交车。", images=1)
    out = mapper("punctuation_normalization_mapper", view="dj").process(s)
    assert [m.content for m in out.messages] == ["<image>\n这是什么?", "一辆公交车."]

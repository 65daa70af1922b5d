import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.ops.text.fix_unicode import fix_unicode
from tests.ops.text.helpers import chat, dj_mapped, mapper, user


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("âœ” No problems", "✔ No problems"),
        (
            "The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.",
            "The Mona Lisa doesn't have eyebrows.",
        ),
        ("No problems", "No problems"),
        ("阿里巴巴", "阿里巴巴"),
    ],
)
def test_data_juicer_unit_test_cases(text, target):
    # data-juicer tests/ops/mapper/test_fix_unicode_mapper.py
    assert dj_mapped("fix_unicode_mapper", {}, text) == target


def test_normalization_forms():
    assert fix_unicode("e\u0301") == "\u00e9"  # NFC composes
    assert fix_unicode("\u00e9", "NFD") == "e\u0301"
    assert create("fix_unicode_mapper", {"normalization": "nfkd"}).params.form == "NFKD"
    assert create("fix_unicode_mapper", {"normalization": ""}).params.form == "NFC"
    with pytest.raises(ConfigError, match="normalization 'NFX' is not one of"):
        create("fix_unicode_mapper", {"normalization": "NFX"})


def test_unchanged_sample_is_returned_as_is():
    s = user("<image>\nFine text.", images=1)
    assert mapper("fix_unicode_mapper").process(s) is s


def test_html_entities_follow_the_view():
    # ftfy unescapes entities only until it meets a line with '<' (then it assumes HTML)
    s = chat("<image>\nWhat is it?", "Tom &amp; Jerry", images=1)
    plain = mapper("fix_unicode_mapper").process(s)
    assert plain.messages[1].content == "Tom & Jerry"  # each turn on its own
    # Data-Juicer fixes its whole text, where '<__dj__image>' comes first: no unescaping
    assert mapper("fix_unicode_mapper", view="dj").process(s) is s


def test_ascii_fast_path_agrees_with_ftfy():
    import ftfy

    texts = [
        "plain\ttext\nwith <tags> and 'quotes' \"here\"; x=1 % y / z {} [] ~ `code`",
        "Tom &amp; Jerry",  # entity: not the fast path, ftfy unescapes
        "bell\x07 and escape\x1b[31m red",  # control characters: ftfy removes
        "line\r\nbreak",
        "",
    ]
    for text in texts:
        for form in ("NFC", "NFKD"):
            assert fix_unicode(text, form) == ftfy.fix_text(text, normalization=form), text

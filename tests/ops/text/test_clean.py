import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.base import SampleError
from mmcurate.ops.registry import create
from tests.ops.text.helpers import DJ_PUNCT, chat, dj_mapped, mapper, user

EMAILS = [
    ("happy day euqdh@cjqi.com", "happy day "),
    ("请问你是谁dasoidhao@1264fg.45om", "请问你是谁dasoidhao@1264fg.45om"),
    ("ftp://examplema-nièrdash@hqbchd.ckdhnfes.cds", "ftp://examplema-niè"),
    ("👊23da44sh12@46hqb12chd.ckdhnfes.comd.dasd.asd.dc", "👊"),
]


@pytest.mark.parametrize(("text", "target"), EMAILS)
def test_email_data_juicer_cases(text, target):
    # data-juicer tests/ops/mapper/test_clean_email_mapper.py
    assert dj_mapped("clean_email_mapper", {}, text) == target
    replaced = target if text == target else target + "<EMAIL>"
    assert dj_mapped("clean_email_mapper", {"repl": "<EMAIL>"}, text) == replaced


LINKS = [
    ("ftp://user:password@ftp.example.com:21/", ""),
    ("FTP://www.example.com/path/to/file.txt", ""),
    ("Ftp://example.com/my-page.HTMl", ""),
    ("hTTps://www.example.com/file.html?param1=value1&param2=value2", ""),
    ("HTTPS://EXAMPLE.COM", ""),
    (
        "This is a test,https://www.example.com/file.html?param1=value1&param2=value2",
        "This is a test,",
    ),
    ("这是个测试,https://example.com", "这是个测试,"),
    ("This is a sample@example for test", "This is a sample@example for test"),
    ("abcd:/e f is a sample for test", "abcd:/e f is a sample for test"),
    ("abcd://ef is a sample for test", " is a sample for test"),
    ("This is a test,http测试://www.example.com/file.html?param1=value1", "This is a test,"),
    ("This is a test,http://www.测试.com/path/file.html?a=1&b=2", "This is a test,"),
    ("这是一个测试", "这是一个测试"),
    (DJ_PUNCT, DJ_PUNCT),
]


@pytest.mark.parametrize(("text", "target"), LINKS)
def test_links_data_juicer_cases(text, target):
    # data-juicer tests/ops/mapper/test_clean_links_mapper.py
    assert dj_mapped("clean_links_mapper", {}, text) == target


def test_links_replacement_and_link_kinds():
    out = dj_mapped("clean_links_mapper", {"repl": "<LINKS>"}, "abcd://ef is a sample for test")
    assert out == "<LINKS> is a sample for test"
    assert (
        dj_mapped("clean_links_mapper", {}, "see www.example.org or a.bc/de now") == "see  or  now"
    )
    # a link in parentheses keeps the closing parenthesis outside
    assert dj_mapped("clean_links_mapper", {}, "(http://x.io/a)") == "()"


def test_custom_pattern_with_data_juicer_r_quotes_and_backreference():
    m = mapper("clean_email_mapper", {"pattern": "r'(\\w+)@example\\.com'", "repl": r"\1@…"})
    assert m.process(user("mail bob@example.com now")).messages[0].content == "mail bob@… now"


def test_invalid_pattern_is_a_config_error():
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        create("clean_links_mapper", {"pattern": "(unclosed"})


def test_multi_turn_each_turn_and_unchanged_identity():
    s = chat("<image>\nmail me: a@b.com", "ok http://x.io", images=1)
    out = mapper("clean_email_mapper").process(s)
    assert [m.content for m in out.messages] == ["<image>\nmail me: ", "ok http://x.io"]
    plain = user("nothing to clean")
    assert mapper("clean_links_mapper").process(plain) is plain
    dj = mapper("clean_links_mapper", view="dj").process(s)
    assert [m.content for m in dj.messages] == ["<image>\nmail me: a@b.com", "ok "]


def test_a_rewrite_that_removes_a_placeholder_is_a_sample_error():
    m = mapper("clean_links_mapper", {"pattern": "<image>"})
    with pytest.raises(SampleError, match="placeholders"):
        m.process(user("<image>\nhi", images=1))


def test_link_prefilter_never_hides_a_match():
    from mmcurate.ops.text.clean import LINK_PATTERN, could_hold_link, regex

    link = regex.compile(LINK_PATTERN, regex.DOTALL)
    texts = ["no link here.", "a.b.c", "WwW.example.com", "mailto:x", "x.io/a", "wwW9.a"]
    texts += ["ab:\u212axyz q", "ab:\u017fxy", "ab:%2F", "Note: fine", "[[human]]: hi"]
    for text in texts:
        if link.search(text):
            assert could_hold_link(text), text
    assert link.search("ab:\u212axyz q")  # KELVIN SIGN folds to k under (?i)
    assert not could_hold_link("example.com is a domain. Note: fine")
    assert dj_mapped("clean_links_mapper", {}, "WwW.example.com") == ""

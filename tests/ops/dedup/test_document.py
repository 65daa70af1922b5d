from mmcurate.ops.registry import create
from mmcurate.sample import Message, Sample


def s(text: str, i: int = 0) -> Sample:
    return Sample(id=str(i), messages=[Message(role="user", content=text)])


def test_exact_duplicates_group_to_first():
    op = create("document_deduplicator", {})
    keys = [op.hash_key(s(t)) for t in ["a b", "a b", "c", "a b"]]
    assert op.group(keys) == [None, 0, None, 0]


def test_lowercase_and_ignore_non_character():
    plain = create("document_deduplicator", {})
    norm = create("document_deduplicator", {"lowercase": True, "ignore_non_character": True})
    a, b = s("Hello, World 2024!"), s("hello world")
    assert plain.hash_key(a) != plain.hash_key(b)
    assert norm.hash_key(a) == norm.hash_key(b)


def test_errored_rows_never_grouped():
    op = create("document_deduplicator", {})
    assert op.group([None, None, "k", "k"]) == [None, None, None, 2]

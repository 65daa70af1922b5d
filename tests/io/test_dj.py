"""Data-Juicer jsonl reading and writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmcurate.io import read_dataset, write_dataset
from mmcurate.io.dj import from_dj, messages_to_text, text_to_messages, to_dj
from tests.io.util import AUDIO, JPG, PNG, VIDEO, read_json, samples, write_json


def dj_records() -> list[dict[str, Any]]:
    """Data-Juicer rows in the writer's normal form."""
    return [
        {"id": "d0", "text": "<__dj__image>\n A bus. <|__dj__eoc|>", "images": [JPG]},
        {
            "id": "d1",
            "text": "<__dj__image> first <|__dj__eoc|> <__dj__image> second <|__dj__eoc|>",
            "images": [JPG, PNG],
            "__dj__stats__": {"lang": "en", "lang_score": 0.93},
            "__dj__meta__": {"tags": ["x"]},
        },
        {
            "id": "d2",
            "text": "[[human]]: <__dj__video><__dj__audio>\nWhat?\n[[gpt]]: A clip. <|__dj__eoc|>",
            "videos": [VIDEO],
            "audios": [AUDIO],
            "meta": {"source": "dj"},
            "stats": {"text_length.chars": 30},
        },
        {"id": "d3", "text": "plain text, no media"},
    ]


def test_round_trip_keeps_samples_and_raw_json(data_dir: Path) -> None:
    first = read_dataset(write_json(data_dir / "dj.jsonl", dj_records()), "dj")
    assert first.errors == []
    out = write_dataset(first.dataset, data_dir / "out.jsonl", "dj", root=first.root)
    assert samples(read_dataset(out, "dj")) == samples(first)
    assert read_json(out) == dj_records()


def test_mapping_to_canonical(data_dir: Path) -> None:
    got = samples(read_dataset(write_json(data_dir / "dj.jsonl", dj_records())))
    assert [(m.role, m.content) for m in got[0].messages] == [
        ("user", "<image>\n A bus. <|__dj__eoc|>")
    ]
    assert got[1].meta == {
        "__dj__stats__": {"lang": "en", "lang_score": 0.93},
        "_extra": {"__dj__meta__": {"tags": ["x"]}},
    }
    assert got[1].stats == {}
    assert [(m.role, m.content) for m in got[2].messages] == [
        ("user", "<video><audio>\nWhat?"),
        ("assistant", "A clip."),
    ]


def test_token_mapping_is_one_to_one() -> None:
    text = "<__dj__image> a <__dj__video> b <__dj__audio> <|__dj__eoc|>"
    assert from_dj(text) == "<image> a <video> b <audio> <|__dj__eoc|>"
    assert to_dj(from_dj(text)) == text


def test_multi_turn_rendering_follows_llava_to_dj() -> None:
    messages = [
        {"role": "user", "content": "<image>\nWhat are the colors of the bus?"},
        {"role": "assistant", "content": "White and red."},
        {"role": "user", "content": "What is on the back?"},
        {"role": "assistant", "content": "An advertisement."},
    ]
    text = messages_to_text(messages)
    assert text == (
        "[[human]]: <__dj__image>\nWhat are the colors of the bus?\n"
        "[[gpt]]: White and red.\n"
        "[[human]]: What is on the back?\n"
        "[[gpt]]: An advertisement. <|__dj__eoc|>"
    )
    assert text_to_messages(text) == messages


def test_reads_split_chunk_output_and_system_turns() -> None:
    text = "[[system]]: Be nice.\n[[human]]: Q1 <|__dj__eoc|>\n[[gpt]]: A1 <|__dj__eoc|>"
    assert text_to_messages(text) == [
        {"role": "system", "content": "Be nice."},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
    ]


def test_single_user_message_is_written_verbatim() -> None:
    messages = [{"role": "user", "content": "<image> caption <|__dj__eoc|>"}]
    assert messages_to_text(messages) == "<__dj__image> caption <|__dj__eoc|>"
    assert messages_to_text([]) == ""
    assert text_to_messages("") == []


def test_missing_text_is_an_error(data_dir: Path) -> None:
    records = [{"id": "no-text", "images": [JPG]}, {"id": "ok", "text": "fine"}]
    result = read_dataset(write_json(data_dir / "dj.jsonl", records), "dj")
    assert [e.reason for e in result.errors] == ["text: missing"]
    assert [s.id for s in samples(result)] == ["ok"]

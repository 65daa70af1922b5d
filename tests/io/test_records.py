"""The shared record <-> canonical row mapping."""

from __future__ import annotations

from typing import Any

import pytest

from mmcurate.errors import ErrorRecord
from mmcurate.io.formats import CODECS
from mmcurate.io.records import (
    CONVERSATIONS,
    RecordError,
    parse_turns,
    record_to_item,
    record_to_row,
    record_to_sample,
    render_turns,
    row_to_record,
    sample_to_record,
)

LLAVA = CODECS["llava"]
SHAREGPT = CODECS["sharegpt"]
CONV = [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]


def test_default_id_and_integer_id() -> None:
    assert record_to_row(LLAVA, {"conversations": CONV}, "file:3")["id"] == "file:3"
    assert record_to_row(LLAVA, {"id": None, "conversations": CONV}, "file:3")["id"] == "file:3"
    assert record_to_row(LLAVA, {"id": 12, "conversations": CONV}, "file:3")["id"] == "12"
    with pytest.raises(RecordError, match="^id: expected a string or an integer, got list"):
        record_to_row(LLAVA, {"id": [1], "conversations": CONV}, "f:0")


def test_meta_string_and_extras_merge() -> None:
    row = record_to_row(
        LLAVA,
        {"conversations": CONV, "meta": '{"a": 1, "_extra": {"old": 0}}', "new": 2},
        "f:0",
    )
    assert row["meta"] == {"a": 1, "_extra": {"old": 0, "new": 2}}
    with pytest.raises(RecordError, match="^meta: expected an object"):
        record_to_row(LLAVA, {"conversations": CONV, "meta": 5}, "f:0")


def test_stats_scores_styles_validation() -> None:
    row = record_to_row(
        LLAVA,
        {
            "conversations": CONV,
            "stats": {"a": 1, "b": None, "c": [0.5, 1.0]},
            "scores": {"x": 3, "y": None},
            "styles": ["yes/no"],
        },
        "f:0",
    )
    assert row["stats"] == {"a": 1, "c": [0.5, 1.0]}
    assert row["scores"] == {"x": 3.0}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"stats": {"a": {"b": 1}}}, "^stats.a: expected a number"),
        ({"scores": {"x": "high"}}, "^scores.x: expected a number, got str"),
        ({"scores": {"x": True}}, "^scores.x: expected a number, got bool"),
        ({"styles": "yes/no"}, "^styles: expected a list of strings"),
    ]
    for bad, message in cases:
        with pytest.raises(RecordError, match=message):
            record_to_row(LLAVA, {"conversations": CONV, **bad}, "f:0")


def test_turn_errors_name_the_turn() -> None:
    for turns, message in [
        ("hello", r"^conversations: expected a list of turns, got str"),
        (["hello"], r"^conversations\[0\]: expected an object, got str"),
        ([{"value": "x"}], r"^conversations\[0\]\.from: unknown speaker None"),
        ([{"from": "human"}], r"^conversations\[0\]\.value: expected a string, got null"),
    ]:
        with pytest.raises(RecordError, match=message):
            parse_turns({"conversations": turns}, CONVERSATIONS)


def test_turn_extras_round_trip() -> None:
    turns = [{"from": "human", "value": "q", "lang": "en"}, {"from": "gpt", "value": "a"}]
    messages, extras = parse_turns({"conversations": turns}, CONVERSATIONS)
    assert extras == [{"lang": "en"}, None]
    assert render_turns(messages, CONVERSATIONS, extras) == turns


def test_extra_keys_that_collide_with_the_writer_stay_in_meta() -> None:
    # Read as LLaVA, `images` is unknown; written as ShareGPT it would clash with `images`.
    row = record_to_row(LLAVA, {"conversations": CONV, "images": ["x"], "k": 1}, "f:0")
    record = row_to_record(SHAREGPT, row)
    assert record["k"] == 1
    assert "images" not in record
    assert record["meta"] == {"_extra": {"images": ["x"]}}


def test_turn_extras_dropped_when_turn_count_changes() -> None:
    row = record_to_row(LLAVA, {"conversations": [{"from": "human", "value": "q", "w": 1}]}, "f:0")
    row["messages"].append({"role": "assistant", "content": "a"})
    record = row_to_record(LLAVA, row)
    assert record["conversations"] == [
        {"from": "human", "value": "q"},
        {"from": "gpt", "value": "a"},
    ]
    assert record["meta"] == {"_turn_extra": [{"w": 1}]}


def test_sample_wrappers_and_item_errors() -> None:
    sample = record_to_sample(LLAVA, {"id": "s", "conversations": CONV, "image": "a.jpg"}, "f:0")
    assert sample.images == ["a.jpg"]
    assert sample_to_record(LLAVA, sample) == {
        "id": "s",
        "image": "a.jpg",
        "conversations": CONV,
    }
    item = record_to_item(LLAVA, {"id": "bad", "conversations": 1}, "f:4", "f.jsonl", 5)
    assert item == ErrorRecord(
        sample_id="bad",
        op="load",
        reason="conversations: expected a list of turns, got int",
        file="f.jsonl",
        line=5,
    )
    item = record_to_item(LLAVA, ["not", "an", "object"], "f:4", "f.jsonl", 5)
    assert isinstance(item, ErrorRecord)
    assert item.sample_id == "f:4"
    assert item.reason == "record: expected a JSON object, got list"

"""LLaVA json/jsonl reading and writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mmcurate.io import read_dataset, write_dataset
from tests.io.util import AUDIO, JPG, PNG, VIDEO, read_json, samples, write_json


def llava_records() -> list[dict[str, Any]]:
    """LLaVA records in the writer's normal form (so raw JSON must round-trip exactly)."""
    return [
        {
            "id": "one-image",
            "image": JPG,
            "conversations": [
                {"from": "human", "value": "<image>\nWhat colour is it?"},
                {"from": "gpt", "value": "Red."},
            ],
        },
        {
            "id": "two-images",
            "image": [JPG, PNG],
            "conversations": [
                {"from": "system", "value": "Answer briefly."},
                {"from": "human", "value": "Compare <image> with <image>."},
                {"from": "gpt", "value": "Different shapes."},
                {"from": "human", "value": "And colours?"},
                {"from": "gpt", "value": "Red and green.", "weight": 0},
            ],
            "meta": {"source": "unit-test", "license": "CC0"},
            "data_source": "extra top-level key",
        },
        {
            "id": "video-audio",
            "video": VIDEO,
            "audio": AUDIO,
            "conversations": [
                {"from": "human", "value": "<video><audio>What happens?"},
                {"from": "gpt", "value": "Nothing."},
            ],
            "stats": {"text_length.chars": 12, "image_shape.ratio": 0.5},
            "scores": {"optical_character_recognition": 4.0},
            "styles": ["short description"],
        },
        {
            "id": "no-placeholder",
            "image": JPG,
            "conversations": [
                {"from": "human", "value": "Describe the picture."},
                {"from": "gpt", "value": "A red rectangle."},
            ],
        },
        {
            "id": "text-only",
            "conversations": [
                {"from": "human", "value": "Hello?"},
                {"from": "gpt", "value": "Hi."},
            ],
        },
    ]


@pytest.mark.parametrize("name", ["ds.jsonl", "ds.json"])
def test_round_trip_keeps_samples_and_raw_json(data_dir: Path, name: str) -> None:
    src = write_json(data_dir / name, llava_records())
    first = read_dataset(src, "llava")
    assert first.errors == [] and first.n_input == 5 and first.root == data_dir

    out = write_dataset(first.dataset, data_dir / f"out-{name}", "llava", root=first.root)
    second = read_dataset(out, "llava")

    assert samples(second) == samples(first)
    assert read_json(out) == llava_records()
    assert out.read_text().lstrip().startswith("[") == (name == "ds.json")


def test_mapping_to_canonical(data_dir: Path) -> None:
    src = write_json(data_dir / "ds.jsonl", llava_records())
    got = {s.id: s for s in samples(read_dataset(src))}

    two = got["two-images"]
    assert two.images == [JPG, PNG]
    assert [m.role for m in two.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert two.messages[1].content == "Compare <image> with <image>."
    assert two.meta["source"] == "unit-test"
    assert two.meta["_extra"] == {"data_source": "extra top-level key"}
    assert two.meta["_turn_extra"] == [None, None, None, None, {"weight": 0}]

    av = got["video-audio"]
    assert (av.videos, av.audios) == ([VIDEO], [AUDIO])
    assert av.stats == {"text_length.chars": 12, "image_shape.ratio": 0.5}
    assert av.scores == {"optical_character_recognition": 4.0}
    assert av.styles == ["short description"]

    # No <image> token: kept as is, nothing invented.
    assert got["no-placeholder"].messages[0].content == "Describe the picture."
    assert got["text-only"].images == []


def test_writer_normalisation(data_dir: Path) -> None:
    records = [
        {
            "id": 7,
            "image": [JPG],
            "video": [],
            "conversations": [
                {"from": "user", "value": "<image>Hi"},
                {"from": "assistant", "value": "Yo"},
            ],
        },
        {
            "image": JPG,
            "video": [VIDEO, VIDEO],
            "conversations": [{"from": "human", "value": "<video><video>"}],
        },
    ]
    src = write_json(data_dir / "raw.jsonl", records)
    result = read_dataset(src, "llava")
    out = write_dataset(result.dataset, data_dir / "norm.jsonl", "llava", root=result.root)
    assert read_json(out) == [
        {
            "id": "7",
            "image": JPG,
            "conversations": [
                {"from": "human", "value": "<image>Hi"},
                {"from": "gpt", "value": "Yo"},
            ],
        },
        {
            "id": "raw:1",
            "image": JPG,
            "video": [VIDEO, VIDEO],
            "conversations": [{"from": "human", "value": "<video><video>"}],
        },
    ]


def test_bad_records_name_the_field(data_dir: Path) -> None:
    good = llava_records()[0]
    records = [
        good,
        {"id": "no-conv", "image": JPG},
        {"id": "bad-from", "conversations": [{"from": "robot", "value": "beep"}]},
        {"id": "bad-value", "conversations": [{"from": "human", "value": ["a", "b"]}]},
        {"id": "bad-image", "image": 3, "conversations": []},
    ]
    result = read_dataset(write_json(data_dir / "bad.jsonl", records), "llava")
    reasons = {e.sample_id: e.reason for e in result.errors}
    assert [s.id for s in samples(result)] == ["one-image"]
    assert reasons["no-conv"] == "conversations: missing"
    assert reasons["bad-from"].startswith("conversations[0].from: unknown speaker 'robot'")
    assert reasons["bad-value"] == "conversations[0].value: expected a string, got list"
    assert reasons["bad-image"].startswith("image: expected a string or a list of strings")
    assert all(e.op == "load" and e.line is not None for e in result.errors)
    assert result.n_input == len(result.dataset) + len(result.errors) == 5

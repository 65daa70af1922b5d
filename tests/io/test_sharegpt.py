"""ShareGPT (LLaMA-Factory) and OpenAI-style messages records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mmcurate.io import read_dataset, write_dataset
from mmcurate.sample import Message, Sample
from tests.io.util import AUDIO, JPG, PNG, VIDEO, read_json, samples, write_json


def sharegpt_records() -> list[dict[str, Any]]:
    """ShareGPT records in the writer's normal form."""
    return [
        {
            "id": "g0",
            "conversations": [
                {"from": "human", "value": "<image>Who is this?"},
                {"from": "gpt", "value": "A red square."},
                {"from": "human", "value": "And this?<image>"},
                {"from": "gpt", "value": "A green one."},
            ],
            "images": [JPG, PNG],
            "system": "You are a helpful assistant.",
            "tools": "[]",
        },
        {
            "id": "g1",
            "conversations": [
                {"from": "human", "value": "<video><audio>What is said?"},
                {"from": "gpt", "value": "Nothing."},
            ],
            "videos": [VIDEO],
            "audios": [AUDIO],
            "meta": {"source": "llamafactory"},
            "scores": {"activity_recognition": 2.0},
        },
    ]


def messages_records() -> list[dict[str, Any]]:
    """``messages`` records in the writer's normal form."""
    return [
        {
            "id": "m0",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "<image>What is it?"},
                {"role": "assistant", "content": "A square.", "loss": False},
            ],
            "images": [JPG],
        },
        {
            "id": "m1",
            "messages": [{"role": "user", "content": "no media"}],
            "stats": {"lang.code": "en"},
            "styles": ["yes/no", "comparison"],
        },
    ]


@pytest.mark.parametrize(
    ("fmt", "records"), [("sharegpt", sharegpt_records()), ("messages", messages_records())]
)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_round_trip(data_dir: Path, fmt: str, records: list[dict[str, Any]], suffix: str) -> None:
    first = read_dataset(write_json(data_dir / f"in{suffix}", records), fmt)
    assert first.errors == []
    out = write_dataset(first.dataset, data_dir / f"out{suffix}", fmt, root=first.root)
    assert samples(read_dataset(out, fmt)) == samples(first)
    assert read_json(out) == records


def test_sharegpt_mapping(data_dir: Path) -> None:
    got = samples(read_dataset(write_json(data_dir / "s.jsonl", sharegpt_records())))
    assert got[0].images == [JPG, PNG]
    assert got[0].messages[2] == Message(role="user", content="And this?<image>")
    assert got[0].meta == {"_extra": {"system": "You are a helpful assistant.", "tools": "[]"}}
    assert (got[1].videos, got[1].audios) == ([VIDEO], [AUDIO])


def test_sharegpt_accepts_role_names_and_writes_speakers(data_dir: Path) -> None:
    records = [
        {
            "id": "x",
            "conversations": [
                {"from": "user", "value": "<image>Hi"},
                {"from": "assistant", "value": "Hello"},
            ],
            "images": [JPG],
        }
    ]
    result = read_dataset(write_json(data_dir / "s.json", records), "sharegpt")
    out = write_dataset(result.dataset, data_dir / "o.json", "sharegpt", root=result.root)
    assert [t["from"] for t in read_json(out)[0]["conversations"]] == ["human", "gpt"]


def test_canonical_sample_json_reads_as_messages(data_dir: Path) -> None:
    sample = Sample(
        id="c0",
        images=[JPG],
        messages=[Message(role="user", content="<image>q"), Message(role="assistant", content="a")],
        meta={"source": "x"},
        stats={"n": 1},
        scores={"humanities": 3.0},
        styles=["yes/no"],
    )
    src = write_json(data_dir / "canon.jsonl", [sample.model_dump()])
    result = read_dataset(src)
    assert result.format == "messages"
    assert samples(result) == [sample]


def test_content_parts_are_reported(data_dir: Path) -> None:
    records = [
        {
            "id": "parts",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        },
        {"id": "ok", "messages": [{"role": "user", "content": "hi"}]},
    ]
    result = read_dataset(write_json(data_dir / "m.jsonl", records), "messages")
    assert [s.id for s in samples(result)] == ["ok"]
    assert result.errors[0].sample_id == "parts"
    assert result.errors[0].reason == "messages[0].content: expected a string, got list"

"""Format detection."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from mmcurate.errors import FormatError
from mmcurate.io import FORMATS, detect_format
from mmcurate.io.detect import record_kind, table_codec
from mmcurate.sample import COLUMNS
from tests.io.util import JPG, write_json

CONV = [{"from": "human", "value": "q"}]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": "1", "image": "a.jpg", "conversations": CONV}, "llava"),
        ({"video": "a.mp4", "conversations": CONV}, "llava"),
        ({"conversations": CONV}, "llava"),
        ({"images": ["a.jpg"], "conversations": CONV}, "sharegpt"),
        ({"audios": ["a.mp3"], "conversations": CONV}, "sharegpt"),
        ({"messages": [{"role": "user", "content": "q"}], "images": []}, "messages"),
        ({"text": "<__dj__image> a bus", "images": ["a.jpg"]}, "dj"),
        ({"text": "plain"}, "dj"),
    ],
)
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_record_formats(tmp_path: Path, record: dict, expected: str, suffix: str) -> None:
    assert detect_format(write_json(tmp_path / f"x{suffix}", [record, record])) == expected


def test_text_only_first_records_then_images(tmp_path: Path) -> None:
    records = [{"conversations": CONV}, {"conversations": CONV, "images": [JPG]}]
    assert detect_format(write_json(tmp_path / "x.jsonl", records)) == "sharegpt"


def test_folders_and_parquet(tmp_path: Path, data_dir: Path) -> None:
    ds = datasets.Dataset.from_dict({"id": ["a"], "messages": [[]]})
    ds.save_to_disk(str(tmp_path / "saved"))
    ds.to_parquet(str(tmp_path / "p" / "train-0.parquet"))
    assert detect_format(tmp_path / "saved") == "hf"
    assert detect_format(tmp_path / "p") == "parquet"
    assert detect_format(tmp_path / "p" / "train-0.parquet") == "parquet"
    assert detect_format(data_dir) == "folder"


def _error(path: Path) -> str:
    with pytest.raises(FormatError) as info:
        detect_format(path)
    message = str(info.value)
    assert "valid --format values: " + ", ".join(FORMATS) in message
    return message


def test_errors_say_what_was_seen(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    assert "the file is empty" in _error(tmp_path / "empty.jsonl")

    unknown = write_json(tmp_path / "u.jsonl", [{"question": "q", "answer": "a"}])
    assert "['answer', 'question']" in _error(unknown)

    mixed = write_json(
        tmp_path / "m.jsonl",
        [{"conversations": CONV, "image": JPG}, {"messages": [], "images": [JPG]}],
    )
    message = _error(mixed)
    assert "ambiguous" in message and "llava (record 0)" in message
    assert "messages (record 1)" in message

    both = write_json(tmp_path / "b.jsonl", [{"conversations": CONV, "image": JPG, "images": []}])
    assert "cannot tell the format of record 0" in _error(both)

    (tmp_path / "notes.txt").write_text("hello")
    assert "suffix '.txt'" in _error(tmp_path / "notes.txt")

    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "readme.md").write_text("x")
    assert "it holds ['readme.md']" in _error(tmp_path / "stuff")

    scalars = tmp_path / "s.json"
    scalars.write_text(json.dumps([1, 2]))
    assert "record 0 is a int" in _error(scalars)

    with pytest.raises(FormatError, match="missing.jsonl: no such file or folder"):
        detect_format(tmp_path / "missing.jsonl")


def test_table_codec() -> None:
    assert table_codec(COLUMNS, "t") == "messages"
    assert table_codec([c for c in COLUMNS if c not in ("stats", "scores")], "t") == "messages"
    assert table_codec(["id", "image", "conversations", "data_source"], "t") == "llava"
    assert table_codec(["conversations"], "t") == "llava"
    with pytest.raises(FormatError, match="match no record format"):
        table_codec(["question", "answer"], "t")
    assert record_kind({"conversations", "messages"}) is None

"""Streaming JSON / JSONL reading with per-record errors, and writing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mmcurate.errors import ErrorRecord, FormatError
from mmcurate.io import jsonfile
from mmcurate.io.formats import CODECS
from mmcurate.io.jsonfile import (
    JsonArrayShard,
    JsonlShard,
    first_char,
    json_shards,
    peek_records,
    write_records,
)
from mmcurate.io.records import record_to_row

CONV = [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _items(path: Path, parts: int = 1) -> list[Any]:
    return [item for shard in json_shards(path, "llava", parts) for item in shard.items()]


def test_malformed_line_gives_one_error_with_recovered_id(tmp_path: Path) -> None:
    path = _lines(
        tmp_path / "f.jsonl",
        [
            json.dumps({"id": "a", "conversations": CONV}),
            '{"id": "broken", "conversations": [',
            "",
            '{"conversations": oops}',
            json.dumps({"conversations": CONV}),
        ],
    )
    items = _items(path)
    errors = [i for i in items if isinstance(i, ErrorRecord)]
    rows = [i for i in items if not isinstance(i, ErrorRecord)]
    assert [r["id"] for r in rows] == ["a", "f:4"]  # id = stem:(line - 1); blank line skipped
    assert [(e.sample_id, e.line, e.file) for e in errors] == [
        ("broken", 2, str(path)),
        ("f:3", 4, str(path)),
    ]
    assert all(e.reason.startswith("invalid JSON: ") and e.op == "load" for e in errors)


def test_non_object_line_is_an_error(tmp_path: Path) -> None:
    items = _items(_lines(tmp_path / "f.jsonl", [json.dumps({"conversations": CONV}), "[1, 2]"]))
    assert isinstance(items[1], ErrorRecord)
    assert items[1].reason == "record: expected a JSON object, got list"


def test_json_array_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("\ufeff  [" + json.dumps({"conversations": CONV}) + "]", encoding="utf-8")
    assert first_char(path) == "["
    shards = json_shards(path, "llava")
    assert isinstance(shards[0], JsonArrayShard)
    assert _items(path) == [record_to_row(CODECS["llava"], {"conversations": CONV}, "a:0")]

    bom = tmp_path / "b.jsonl"
    bom.write_text("\ufeff" + json.dumps({"id": "x", "conversations": CONV}) + "\n", "utf-8")
    assert [i["id"] for i in _items(bom)] == ["x"]


def test_broken_json_array_is_a_run_level_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"conversations": []}, {', encoding="utf-8")
    with pytest.raises(FormatError, match="not valid JSON"):
        list(json_shards(path, "llava")[0].items())
    path.write_text('{"a": 1}\n{"b": 2', encoding="utf-8")  # jsonl: only line 2 is bad
    assert isinstance(_items(path)[1], ErrorRecord)


def test_not_json_at_all(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("id,text\n1,hello\n")
    with pytest.raises(FormatError, match="does not look like JSON"):
        json_shards(path, "llava")


def test_byte_range_shards_match_a_single_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonfile, "_MIN_SPLIT_BYTES", 64)
    lines = [json.dumps({"conversations": CONV, "pad": "x" * (i % 13)}) for i in range(200)]
    lines[57] = "{not json"
    lines.insert(100, "")
    path = _lines(tmp_path / "big.jsonl", lines)
    shards = [s for s in json_shards(path, "llava", parts=7) if isinstance(s, JsonlShard)]
    assert len(shards) == 7
    starts, ends = [s.start for s in shards], [s.end for s in shards]
    assert starts[0] == 0 and ends[-1] == path.stat().st_size
    assert starts[1:] == ends[:-1]
    single = _items(path, 1)
    assert _items(path, 7) == single
    assert len(single) == 200


def test_peek_records(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"i": i} for i in range(50)], indent=2))
    assert peek_records(path, limit=3) == [{"i": 0}, {"i": 1}, {"i": 2}]
    lines = _lines(tmp_path / "l.jsonl", ["garbage", '{"i": 0}', '{"i": 1}'])
    assert peek_records(lines) == [{"i": 0}, {"i": 1}]
    (tmp_path / "e.jsonl").write_text("\n\n")
    assert peek_records(tmp_path / "e.jsonl") == []


def test_write_records(tmp_path: Path) -> None:
    records = [{"id": "1", "text": "é"}, {"id": "2"}]
    write_records(iter(records), tmp_path / "sub" / "o.json")
    write_records(iter(records), tmp_path / "o.jsonl")
    assert json.loads((tmp_path / "sub" / "o.json").read_text("utf-8")) == records
    assert (tmp_path / "o.jsonl").read_text("utf-8").splitlines()[0] == '{"id": "1", "text": "é"}'
    write_records(iter([]), tmp_path / "empty.json")
    assert json.loads((tmp_path / "empty.json").read_text()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.json", "o.jsonl", "sub"]

"""Streaming rows into the canonical Arrow dataset; stat typing."""

from __future__ import annotations

import json
from pathlib import Path

from mmcurate.io import build
from mmcurate.io.build import build_dataset, stat_type, widen
from mmcurate.io.jsonfile import json_shards
from mmcurate.sample import features
from tests.io.util import write_json

CONV = [{"role": "user", "content": "q"}]


def test_widen_and_stat_type() -> None:
    assert widen(int, float) is float and widen(bool, int) is int
    assert widen(int, str) is str and widen(float, float) is float
    assert widen(list[int], list[float]) == list[float]
    assert widen(list[int], int) is str
    assert stat_type([1, 2.5]) == list[float]
    assert stat_type(["a"]) == list[str]
    assert stat_type(True) is bool


def _build(tmp_path: Path, records: list[dict], **kwargs):
    src = write_json(tmp_path / "in.jsonl", records)
    return build_dataset(
        list(json_shards(src, "messages")), tmp_path / "work", tmp_path, media_check=False, **kwargs
    )


def test_stats_and_scores_become_typed_columns(tmp_path: Path) -> None:
    records = [
        {"messages": CONV, "stats": {"a.n": 1, "b.r": 1, "c.s": "x", "d.l": []}},
        {"messages": CONV, "stats": {"a.n": 2, "b.r": 0.5, "c.s": 3, "d.l": [1, 2]}},
        {"messages": CONV, "scores": {"humanities": 5}},
        {"messages": CONV, "stats": {"e.empty": []}},
    ]
    built = _build(tmp_path, records)
    types = {"a.n": int, "b.r": float, "c.s": str, "d.l": list[int], "e.empty": list[float]}
    assert built.dataset.features == features(types, ["humanities"])
    rows = built.dataset.to_list()
    assert [r["stats"]["b.r"] for r in rows] == [1.0, 0.5, None, None]
    assert [r["stats"]["c.s"] for r in rows] == ["x", "3", None, None]
    assert rows[1]["stats"]["d.l"] == [1, 2]
    assert [r["scores"]["humanities"] for r in rows] == [None, None, 5.0, None]


def test_declared_stat_types_are_kept(tmp_path: Path) -> None:
    built = _build(tmp_path, [{"messages": CONV}], stat_types={"x.flag": bool})
    assert built.dataset.features == features({"x.flag": bool})
    assert built.dataset[0]["stats"] == {"x.flag": None}


def test_chunked_writing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(build, "CHUNK_ROWS", 7)
    records = [{"id": str(i), "messages": CONV, "meta": {"i": i}} for i in range(50)]
    built = _build(tmp_path, records)
    assert built.n_input == 50 and built.errors == []
    assert [json.loads(m)["i"] for m in built.dataset["meta"]] == list(range(50))

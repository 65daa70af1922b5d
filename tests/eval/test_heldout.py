"""Held-out QA from demo data: answers from ground truth, deterministic, disjoint from a pool."""

from __future__ import annotations

import json
import random
from pathlib import Path

from mmcurate.eval.heldout import EVENTS, make_heldout, question_for
from mmcurate.eval.qa import load_qa


def test_questions_from_ground_truth() -> None:
    rng = random.Random(0)
    scene = {"kind": "scene", "objects": [{}, {}, {}]}
    q = question_for(scene, rng, [])
    assert q is not None and q["answer"] == "3" and "3" in q["choices"]
    chart = {"kind": "chart", "labels": ["a", "b", "c"], "values": [1, 5, 2], "title": "T"}
    q = question_for(chart, rng, [])
    assert q is not None and q["answer"] == "b"
    tie = {**chart, "values": [5, 5, 1]}
    q = question_for(tie, rng, [])
    assert q is not None and q["choices"] is None and q["answer"] == "T"
    video = {"kind": "video", "event": "bounce", "shape": "circle", "color": "red"}
    q = question_for(video, rng, [])
    assert q is not None and q["answer"] == EVENTS["bounce"] and "red circle" in q["question"]
    assert question_for({"kind": "unknown"}, rng, []) is None


def test_make_heldout_deterministic_and_disjoint(tmp_path: Path) -> None:
    a = make_heldout(tmp_path / "a", n=8, seed=5, videos=1)
    b = make_heldout(tmp_path / "b", n=8, seed=5, videos=1)
    assert a.read_text() == b.read_text()
    items = load_qa(a)
    assert items and all((a.parent / p).is_file() for it in items for p in it.images + it.videos)
    # a "pool" made with the same seed shares every media file: nothing is left
    pool = tmp_path / "a" / "source" / "data.jsonl"
    c = make_heldout(tmp_path / "c", n=8, seed=5, videos=1, pool=pool)
    assert c.read_text() == ""
    rows = [json.loads(x) for x in a.read_text().splitlines()]
    assert {r["meta"]["kind"] for r in rows} <= {
        "scene",
        "chart",
        "document",
        "sign",
        "photo",
        "video",
    }

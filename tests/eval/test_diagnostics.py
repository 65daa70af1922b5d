"""Selection diagnostics on a small real Arrow dataset (canonical schema)."""

from __future__ import annotations

from pathlib import Path

import datasets

from mmcurate.eval.diagnostics import selection_diagnostics
from mmcurate.sample import Message, Sample
from tests.conftest import draw_test_image


def _pool(root: Path) -> datasets.Dataset:
    draw_test_image("red", (64, 48)).save(root / "a.png")
    draw_test_image("blue", (64, 48)).save(root / "b.png")
    msgs = [
        Message(role="user", content="<image>\nWhat?"),
        Message(role="assistant", content="A box."),
    ]
    other = [msgs[0], Message(role="assistant", content="Two boxes.")]
    rows = []
    specs = [  # id, image, scores, styles, demo capabilities
        (
            "s0",
            "a.png",
            {"optical_character_recognition": 5.0, "stem_knowledge": 0.0},
            ["yes/no"],
            ["optical_character_recognition"],
        ),
        (
            "s1",
            "a.png",
            {"optical_character_recognition": 4.0, "stem_knowledge": 0.0},
            ["yes/no"],
            ["optical_character_recognition"],
        ),  # exact duplicate of s0's content
        (
            "s2",
            "b.png",
            {"optical_character_recognition": 0.0, "stem_knowledge": 3.0},
            ["multi-choice"],
            ["stem_knowledge"],
        ),
        (
            "s3",
            "b.png",
            {"optical_character_recognition": 1.0, "stem_knowledge": 1.0},
            ["comparison"],
            ["comparative_analysis"],
        ),
    ]
    for sid, img, scores, styles, caps in specs:
        turns = other if sid == "s3" else msgs
        s = Sample(
            id=sid,
            images=[img],
            messages=turns,
            scores=scores,
            styles=styles,
            meta={"source": "t", "demo": {"capabilities": caps}},
        )
        rows.append(s.to_row())
    return datasets.Dataset.from_list(rows)


def test_coverage_duplicates_and_score_mass(tmp_path: Path) -> None:
    pool = _pool(tmp_path)
    d = selection_diagnostics(pool, ["s0", "s1"], tmp_path)
    assert d["selected_rows"] == 2 and d["pool_rows"] == 4
    assert d["capability_coverage"] == 0.5 and d["capabilities_missing"] == ["stem_knowledge"]
    assert d["style_coverage"] == round(1 / 3, 4)
    assert d["truth_capability_coverage"] == round(1 / 3, 4)
    assert d["duplicate_rate"] == 0.5  # s1 repeats s0 (same image bytes and text)
    # pool totals 5, 4, 3, 2: the best two sum to 9, the subset too
    assert d["score_mass"] == 1.0
    d2 = selection_diagnostics(pool, ["s2", "s3"], tmp_path)
    assert d2["capability_coverage"] == 1.0 and d2["duplicate_rate"] == 0.0
    assert d2["score_mass"] == round(5 / 9, 4)

"""Trainer-format export: ShareGPT records with absolute media, LLaMA-Factory dataset_info."""

from __future__ import annotations

import json
from pathlib import Path

from mmcurate.sample import Message, Sample
from mmcurate.train.export import export_sharegpt


def test_export_records_info_and_skips(tmp_path: Path) -> None:
    good = Sample(
        id="a",
        images=["img/x.png"],
        messages=[
            Message(role="user", content="<image>\nWhat?"),
            Message(role="assistant", content="A box."),
        ],
    )
    mismatch = Sample(id="b", images=[], messages=good.messages)
    no_answer = Sample(id="c", messages=[Message(role="user", content="Hi")])
    res = export_sharegpt([good, mismatch, no_answer], tmp_path / "root", tmp_path / "out", "ds")
    assert res.ids == ["a"]
    reasons = {s["id"]: s["reason"] for s in res.skipped}
    assert "placeholders" in reasons["b"] and "assistant" in reasons["c"]
    [rec] = json.loads(res.data_file.read_text())
    assert rec["images"] == [str(tmp_path / "root" / "img" / "x.png")]
    assert rec["messages"][0] == {"role": "user", "content": "<image>\nWhat?"}
    info = json.loads(res.dataset_info.read_text())
    assert info["ds"]["file_name"] == "train.json" and info["ds"]["formatting"] == "sharegpt"
    assert info["ds"]["columns"]["images"] == "images"

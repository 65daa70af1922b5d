"""`curate synth imgdiff` end to end on procedural pairs (CPU, ground-truth captions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcurate.cli import main
from mmcurate.errors import ConfigError
from mmcurate.io import iter_samples, read_dataset
from mmcurate.models import get_client
from mmcurate.synth.pipeline import ImgDiffParams, resolve_captioner, run_imgdiff


def test_cli_procedural_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["synth", "imgdiff", "--source", "procedural", "--n", "20", "--out", str(out), "-q"])
    assert done.value.code in (0, None)
    printed = capsys.readouterr().out
    assert "difference_areas" in printed and "pairs 20 = kept" in printed
    summary = json.loads((out / "summary.json").read_text())
    dropped = (out / "dropped.jsonl").read_text().splitlines()
    errors = (out / "errors.jsonl").read_text().splitlines()
    assert summary["n_pairs"] == 20 == summary["kept"] + len(dropped) + len(errors)
    assert summary["kept"] >= 16 and summary["caption_source"] == "procedural_ground_truth"
    loaded = read_dataset(out / "imgdiff.jsonl")
    assert not loaded.errors  # every sample's images exist and open
    samples = list(iter_samples(loaded.dataset))
    assert len(samples) == summary["samples"]["difference"] + summary["samples"]["removal"]
    variants = {s.meta["imgdiff"]["variant"] for s in samples}
    assert variants == {"difference", "removal"}
    for s in samples:
        m = s.meta["imgdiff"]
        assert m["caption_source"] == "procedural_ground_truth"
        assert m["region_caption_a"] != m["region_caption_b"]
        x1, y1, x2, y2 = m["bbox"]
        assert 0 <= x1 < x2 <= m["image_size"][0] and 0 <= y1 < y2 <= m["image_size"][1]
        assert (loaded.root / m["pair"]["image_a"]).is_file()
        if m["variant"] == "removal":
            assert len(s.images) == 2 and s.messages[0].content.count("<image>") == 2
            assert s.messages[1].content.startswith(m["answer"])
        else:
            assert len(s.images) == 1 and m["truth"]["difference"] == s.messages[1].content


def test_every_pair_is_accounted_for_when_stages_drop(tmp_path: Path) -> None:
    # a strict crop-similarity threshold and the similarity window force drops at two stages
    params = ImgDiffParams(
        n=12,
        seed=5,
        similarity_filter="on",
        boxes={"crop_similarity_max": 0.3},
    )
    s = run_imgdiff(params, tmp_path, client=get_client(backend="heuristic"))
    dropped = [json.loads(x) for x in (tmp_path / "dropped.jsonl").read_text().splitlines()]
    assert s.balanced and s.n_pairs == 12 and s.dropped == len(dropped) > 0
    stages = {d["stage"] for d in dropped}
    assert stages <= {"pair_similarity", "difference_areas", "region_captions"}
    assert all(d["reason"] for d in dropped)
    for d in dropped:
        if d["stage"] == "pair_similarity":
            assert "outside (0.9, 0.98)" in d["reason"]
    for name, st in s.stages.items():
        assert st.n_in == st.kept + st.dropped + st.errored, name


def test_captioner_resolution_and_bad_settings() -> None:
    p = ImgDiffParams(source="procedural")
    assert resolve_captioner(p, "heuristic") == "procedural_ground_truth"
    assert resolve_captioner(p, "vllm-server") == "vlm"
    assert resolve_captioner(ImgDiffParams(source="mined"), "heuristic") == "heuristic"
    with pytest.raises(ConfigError, match="needs a model backend"):
        resolve_captioner(ImgDiffParams(captions={"captioner": "vlm"}), "heuristic")
    with pytest.raises(ValueError, match="ground_truth needs --source procedural"):
        ImgDiffParams(source="mined", captions={"captioner": "ground_truth"})


def test_cli_errors_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--source", "mined", "--n", "3"],
        ["--set", "boxes.nms_iouu=0.3"],
        ["--source", "nope"],
    ):
        with pytest.raises(SystemExit) as done:
            main(["synth", "imgdiff", "--out", str(tmp_path / "o"), "-q", *argv])
        assert done.value.code == 2
    err = capsys.readouterr().err
    assert "needs --data" in err and "nms_iouu" in err and "Traceback" not in err


def test_heuristic_captioner_on_procedural_pairs(tmp_path: Path) -> None:
    params = ImgDiffParams(n=4, captions={"captioner": "heuristic"})
    s = run_imgdiff(params, tmp_path, client=get_client(backend="heuristic"))
    assert s.balanced and s.caption_source == "heuristic"
    rows = [json.loads(x) for x in (tmp_path / "imgdiff.jsonl").read_text().splitlines()]
    for r in rows:
        m = r["meta"]["imgdiff"]
        assert m["region_caption_provenance"]["heuristic"] is True
        assert "(heuristic)" in m["region_caption_a"] + m["region_caption_b"]

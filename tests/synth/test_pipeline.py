"""`curate synth imgdiff` end to end on procedural pairs (CPU, ground-truth captions)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mmcurate.cli import main
from mmcurate.errors import ConfigError
from mmcurate.io import iter_samples, read_dataset
from mmcurate.models import GenerationConfig, ModelClient, Request, get_client
from mmcurate.models.backends.base import Backend
from mmcurate.models.config import ModelConfig
from mmcurate.models.types import RawOutput
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


class ScriptedVlm(Backend):
    """A fake model backend (pure-logic test) with scripted answers per prompt.

    Region captions name the side (``object a`` / ``object b``) so they differ, except for
    keys starting with a prefix in ``same`` (identical captions); requests of prompt ``P``
    whose key starts with a prefix in ``fail[P]`` fail as a server would.
    """

    name = "vllm-server"

    def __init__(self, fail: dict[str, tuple[str, ...]], same: tuple[str, ...] = ()) -> None:
        super().__init__(ModelConfig(backend="vllm-server", url="http://127.0.0.1:9", cache=False))
        self.fail, self.same = fail, same
        self.calls: dict[str, int] = {}

    @property
    def model_name(self) -> str | None:
        return "scripted"

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        out = []
        for r in requests:
            pid, key = r.prompt_id or "", r.key or ""
            self.calls[pid] = self.calls.get(pid, 0) + 1
            if key.startswith(self.fail.get(pid, ())):
                out.append(RawOutput(error="server rejected the request: HTTP 400"))
            elif pid == "imgdiff_region_caption":
                side = "thing" if key.startswith(self.same) else key[-1]
                text = json.dumps({"caption": f"object {side}", "has_object": True})
                out.append(RawOutput(text=text, prompt_tokens=10, completion_tokens=5))
            else:
                text = json.dumps({"difference": f"scripted difference {key}"})
                out.append(RawOutput(text=text, prompt_tokens=20, completion_tokens=7))
        return out


def test_vlm_failures_are_errors_and_judged_boxes_are_drops(tmp_path: Path) -> None:
    # pair 0: its region requests fail -> error; pair 1: identical captions -> dropped;
    # pair 2: its difference requests fail -> error; pairs 3 and 4 are kept
    region, diff = "imgdiff_region_caption", "imgdiff_difference"
    backend = ScriptedVlm(
        fail={region: ("proc-0-000000#",), diff: ("proc-0-000002#",)},
        same=("proc-0-000001#",),
    )
    client = ModelClient(backend.config, backend=backend)
    s = run_imgdiff(ImgDiffParams(n=5, captions={"captioner": "vlm"}), tmp_path, client=client)
    errors = [json.loads(x) for x in (tmp_path / "errors.jsonl").read_text().splitlines()]
    dropped = [json.loads(x) for x in (tmp_path / "dropped.jsonl").read_text().splitlines()]
    assert s.balanced and s.n_pairs == 5 and (s.kept, s.dropped, s.errored) == (2, 1, 2)
    assert [(e["sample_id"], e["op"]) for e in errors] == [
        ("proc-0-000000", "imgdiff:region_captions"),
        ("proc-0-000002", "imgdiff:difference_caption"),
    ]
    assert "region caption failed: server rejected the request: HTTP 400" in errors[0]["reason"]
    assert "no difference caption" in errors[1]["reason"]
    assert [(d["pair_id"], d["stage"]) for d in dropped] == [("proc-0-000001", "region_captions")]
    assert "region captions do not differ (word overlap 1.00)" in dropped[0]["reason"]
    assert s.stages["region_captions"].errored == 1 == s.stages["difference_caption"].errored
    for st in s.stages.values():
        assert st.n_in == st.kept + st.dropped + st.errored
    # the summary's model counters match what the backend was asked
    m = s.model
    assert (m["backend"], m["model"]) == ("vllm-server", "scripted")
    for pid in (region, diff):
        c = m["prompts"][f"{pid}.v1"]
        assert c["requests"] == c["model_calls"] == backend.calls[pid] and c["cache_hits"] == 0
        assert c["failed"] >= 1
    assert m["total"]["requests"] == sum(backend.calls.values())
    c = m["prompts"][f"{region}.v1"]
    assert (c["prompt_tokens"], c["completion_tokens"]) == (
        10 * (c["requests"] - c["failed"]),
        5 * (c["requests"] - c["failed"]),
    )
    rows = [json.loads(x) for x in (tmp_path / "imgdiff.jsonl").read_text().splitlines()]
    assert {r["meta"]["imgdiff"]["pair_id"] for r in rows} == {"proc-0-000003", "proc-0-000004"}
    for r in rows:
        im = r["meta"]["imgdiff"]
        assert im["caption_source"] == "vlm" and im["region_caption_a"] == "object a"
        assert im["region_caption_provenance"]["model"] == "scripted"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"]["total"] == m["total"]

"""ImgDiff's VLM caption path against a REAL vLLM OpenAI server (CPU) serving the tiny model.

``curate synth imgdiff --captioner vlm`` runs end to end through the ``vllm-server`` backend
(region captions and difference captions with structured output). The tiny random model's
captions are schema-valid noise, so only plumbing is checked: accounting, provenance (the
captions came from the VLM, not from the procedural ground truth), requests that reached the
server (counted independently by a local proxy), drops and errors with their stage and reason,
and a re-run answered by the request cache.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mmcurate.synth.boxes import BoxParams, find_boxes
from mmcurate.synth.pipeline import STAGES
from mmcurate.synth.procedural import CHANGES, make_pair
from tests.integration.conftest import CURATE, FaultyProxy
from tests.tiny_vlm import SERVED_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

N_PAIRS = 4
REGION = ("imgdiff_region_caption", 1)
DIFFERENCE = ("imgdiff_difference", 1)


def synth(url: str, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``curate synth imgdiff --captioner vlm`` on procedural pairs (seed 0)."""
    cmd = [
        CURATE, "synth", "imgdiff", "--source", "procedural", "--n", str(N_PAIRS),
        "--out", str(out), "--captioner", "vlm", "--url", url, "-q",
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def boxes_of_first_pair() -> int:
    """How many difference boxes pair 0 has (the stage before captions is deterministic)."""
    truth = make_pair(0, 0, CHANGES, (3, 6))
    return len(find_boxes(truth.image_a, truth.image_b, BoxParams()).boxes)


def test_vlm_captions_through_the_real_server(
    faulty_proxy: FaultyProxy, tmp_path: Path, clean_model_env: Path
) -> None:
    # One request at a time, so the proxy's injected failures hit exactly pair 0's region
    # captions (requests go out in pair order); a 400 is not retried.
    env = {**os.environ, "MMCURATE_CONCURRENCY": "1", "MMCURATE_CACHE_DIR": str(tmp_path / "c")}
    n_fail = 2 * boxes_of_first_pair()
    assert n_fail > 0
    faulty_proxy.status, faulty_proxy.fail_next = 400, n_fail
    out = tmp_path / "out"
    done = synth(faulty_proxy.url, out, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"pairs {N_PAIRS} = kept" in done.stdout and "captions: vlm" in done.stdout
    assert f"model: vllm-server {SERVED_NAME}" in done.stdout

    summary = json.loads((out / "summary.json").read_text())
    dropped = read_jsonl(out / "dropped.jsonl")
    errors = read_jsonl(out / "errors.jsonl")
    # accounting: every pair is kept, dropped or errored, and the files say the same
    assert summary["balanced"] and summary["n_pairs"] == N_PAIRS
    assert summary["kept"] + summary["dropped"] + summary["errored"] == N_PAIRS
    assert (summary["dropped"], summary["errored"]) == (len(dropped), len(errors))
    for name, st in summary["stages"].items():
        assert st["in"] == st["kept"] + st["dropped"] + st["errored"], name

    # requests reached the server: the proxy saw every model call the summary counts
    model = summary["model"]
    assert (model["backend"], model["model"]) == ("vllm-server", SERVED_NAME)
    total = model["total"]
    assert total["cache_hits"] == 0 and total["model_calls"] == faulty_proxy.chat_posts > 0
    assert total["failed"] == n_fail and total["prompt_tokens"] > 0
    assert total["completion_tokens"] > 0
    region = model["prompts"]["imgdiff_region_caption.v1"]
    assert region["requests"] >= 2 * N_PAIRS - n_fail  # every pair has at least one box

    # pair 0: its region captions failed, so it is an error at that stage, with the reason
    assert [e["sample_id"] for e in errors] == ["proc-0-000000"]
    assert errors[0]["op"] == "imgdiff:region_captions"
    assert "region caption failed" in errors[0]["reason"] and "400" in errors[0]["reason"]
    for d in dropped:  # e.g. identical captions from the meaningless model
        assert d["stage"] in STAGES and d["reason"], d
        if d["stage"] == "region_captions":
            assert "region captions do not differ" in d["reason"], d

    # every kept sample's captions came from the VLM, with provenance
    samples = read_jsonl(out / "imgdiff.jsonl")
    kept_pairs = {s["meta"]["imgdiff"]["pair_id"] for s in samples}
    assert len(kept_pairs) == summary["kept"]
    n_diff = sum(s["meta"]["imgdiff"]["variant"] == "difference" for s in samples)
    assert n_diff == summary["samples"]["difference"]
    for s in samples:
        m = s["meta"]["imgdiff"]
        assert m["caption_source"] == "vlm"
        prov = m["region_caption_provenance"]
        assert (prov["backend"], prov["model"], prov["heuristic"], prov["cached"]) == (
            "vllm-server",
            SERVED_NAME,
            False,
            False,
        )
        assert (prov["prompt_id"], prov["prompt_version"]) == REGION
        truth = m["truth"]  # the procedural ground truth is recorded, but not used as captions
        gt_captions = {c for pair in truth["region_captions"] for c in pair}
        assert m["region_caption_a"] != m["region_caption_b"]
        assert {m["region_caption_a"], m["region_caption_b"]} - gt_captions
        if m["variant"] == "difference":
            dp = m["difference_provenance"]
            assert (dp["backend"], dp["prompt_id"], dp["prompt_version"]) == (
                "vllm-server",
                *DIFFERENCE,
            )
            assert s["conversations"][1]["value"] != truth["difference"]

    # a re-run against the server directly is answered by the request cache, except the
    # requests that failed the first time (failures are never cached)
    out2 = tmp_path / "rerun"
    posts = faulty_proxy.chat_posts
    done = synth(faulty_proxy.url, out2, env)
    assert done.returncode == 0, done.stdout + done.stderr
    again = json.loads((out2 / "summary.json").read_text())
    t2 = again["model"]["total"]
    assert t2["failed"] == 0 and t2["requests"] >= total["requests"]
    assert t2["cache_hits"] == total["requests"] - total["failed"]
    assert faulty_proxy.chat_posts - posts == t2["model_calls"] >= n_fail
    assert again["errored"] == 0 and again["balanced"]

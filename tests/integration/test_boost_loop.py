"""The whole self-boosting loop on CPU with the tiny random Qwen2.5-VL: two rounds, tiny data.

Proves the plumbing, not the learning (the model is random): the pool is scored by the VLM
scorer through the transformers backend, selected with mmssr, exported in LLaMA-Factory's
format, a LoRA adapter is trained and saved, the adapter is loaded back (base + peft) to
evaluate and to re-score the pool in round 1 (provenance names the adapter), the selection
change is recorded, and ``--resume`` after round 0 does not redo round 0.

A variant runs the loop with vLLM ``--enable-lora`` serving base and adapters (the CPU
build in .venv-vllm).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import VLLM_PYTHON, require_vllm_venv

pytestmark = pytest.mark.integration
CURATE = str(Path(sys.executable).parent / "curate")
CAPS = ["optical_character_recognition", "scene_understanding"]


def curate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CURATE, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=1500
    )


@pytest.fixture(scope="module")
def workspace(tiny_vlm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 16-sample demo pool, a held-out QA set disjoint from it, a boost config."""
    pytest.importorskip("peft")
    pytest.importorskip("xgrammar")
    ws = tmp_path_factory.mktemp("boost")
    env = {"HF_HUB_OFFLINE": "1"}
    assert curate("demo-data", str(ws / "pool"), "--n", "16", env=env).returncode == 0
    res = curate(
        "make-heldout",
        str(ws / "qa"),
        "--n",
        "8",
        "--videos",
        "1",
        "--pool",
        str(ws / "pool" / "data.jsonl"),
        env=env,
    )
    assert res.returncode == 0, res.stderr
    config = {
        "pool": "pool/data.jsonl",
        "heldout": "qa/qa.jsonl",
        "base_model": str(tiny_vlm),
        "rounds": 1,
        "patience": 2,
        "scorer": {"capabilities": CAPS, "styler": "rules", "max_text_chars": 300},
        "selector": {"method": "mmssr", "budget": 6, "params": {"threshold": -1}},
        "trainer": {"kind": "lora", "lora": {"max_steps": 2, "learning_rate": 0.01}},
        "model": {"device": "cpu"},
    }
    (ws / "boost.yaml").write_text(yaml.safe_dump(config))
    return ws


def test_two_rounds_then_resume(workspace: Path) -> None:
    ws = workspace
    run = ws / "run"
    env = {"HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(ws / "cache")}
    first = curate("boost", str(ws / "boost.yaml"), "--out", str(run), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    r0 = run / "round_0"
    m0 = json.loads((r0 / "metrics.json").read_text())
    # data exported in LLaMA-Factory's format, one record per selected (trainable) sample
    records = json.loads((r0 / "data" / "train.json").read_text())
    selected = [json.loads(x)["id"] for x in (r0 / "selection.jsonl").read_text().splitlines()]
    assert len(selected) == 6 and [r["id"] for r in records] == selected
    assert "mmcurate_boost" in json.loads((r0 / "data" / "dataset_info.json").read_text())
    # LoRA weights written; the base model scored round 0
    assert (r0 / "adapter" / "adapter_model.safetensors").stat().st_size > 0
    assert m0["train"]["steps"] == 2 and len(m0["train"]["losses"]) == 2
    assert any(
        "vlm_capability_scorer: transformers" in k and "@lora" not in k
        for k in m0["scorer"]["provenance"]["models"]
    )
    assert m0["eval"]["model"]["model"].startswith(str(r0 / "adapter") + "@lora:")
    assert m0["eval"]["n"] >= 4 and m0["eval"]["errors"] == 0
    recipe = yaml.safe_load((r0 / "recipe.yaml").read_text())
    assert recipe["select"]["process"][0]["mmssr_selector"]["budget"] == 6
    stamp = (r0 / "metrics.json").stat().st_mtime_ns, (r0 / "adapter").stat().st_mtime_ns

    second = curate(
        "boost", str(ws / "boost.yaml"), "--out", str(run), "--resume", "--rounds", "2", env=env
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "baseline: evaluating" not in second.stdout
    assert "round 0: scoring" not in second.stdout and "round 1: scoring" in second.stdout
    assert ((r0 / "metrics.json").stat().st_mtime_ns, (r0 / "adapter").stat().st_mtime_ns) == stamp
    m1 = json.loads((run / "round_1" / "metrics.json").read_text())
    # round 1's scores come from base + round 0's adapter, and the provenance says so
    models = m1["scorer"]["provenance"]["models"]
    assert m1["scorer"]["label"] == "round_0" and m1["scorer"]["adapter"] == str(r0 / "adapter")
    assert sum(n for k, n in models.items() if str(r0 / "adapter") + "@lora:" in k) == 16
    scored = [json.loads(x) for x in (run / "round_1" / "scored.jsonl").read_text().splitlines()]
    assert all("@lora:" in s["meta"]["scoring"]["vlm_capability_scorer"]["model"] for s in scored)
    # the selection changed, or the record says explicitly that it did not
    change = m1["selection_change"]
    assert isinstance(change["unchanged"], bool)
    assert change["unchanged"] == (not change["added"] and not change["removed"])
    state = json.loads((run / "state.json").read_text())
    assert [r["round"] for r in state["rounds"]] == [0, 1] and "budget" in state["stopped"]
    report = (run / "report.md").read_text()
    assert "| base |" in report and "| 1 | round_0 | 6 |" in report
    assert (run / "metric.png").stat().st_size > 1000


def test_loop_served_by_vllm_with_lora(workspace: Path) -> None:
    """serve.mode vllm: vLLM (CPU build) with --enable-lora serves base and each round's
    adapter; scoring and evaluation go through the vllm-server backend."""
    require_vllm_venv()
    raw = yaml.safe_load((workspace / "boost.yaml").read_text())
    raw["rounds"] = 2
    raw["serve"] = {
        "mode": "vllm",
        "python": str(VLLM_PYTHON),
        "max_model_len": 2048,
        "max_lora_rank": 8,
        "startup_timeout_s": 600,
        "env": {"VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"},
    }
    (workspace / "boost-vllm.yaml").write_text(yaml.safe_dump(raw))
    run = workspace / "run-vllm"
    env = {"HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(workspace / "cache-vllm")}
    res = curate("boost", str(workspace / "boost-vllm.yaml"), "--out", str(run), env=env)
    logs = sorted(run.glob("vllm-*.log"))
    if res.returncode != 0 and logs and "lora" in logs[-1].read_text(errors="replace").lower():
        tail = logs[-1].read_text(errors="replace")[-800:]
        pytest.skip(f"vLLM CPU could not serve the tiny model with --enable-lora: {tail}")
    assert res.returncode == 0, res.stdout + res.stderr
    m0 = json.loads((run / "round_0" / "metrics.json").read_text())
    m1 = json.loads((run / "round_1" / "metrics.json").read_text())
    base = raw["base_model"]
    assert m0["scorer"]["backend"] == "vllm-server" and m0["scorer"]["model"] == base
    lora0 = m0["eval"]["model"]["model"]  # round_0-<sha256 of the adapter>
    assert m0["eval"]["model"]["backend"] == "vllm-server" and lora0.startswith("round_0-")
    assert m1["scorer"]["model"] == lora0  # round 1 scored by the served adapter
    models = m1["scorer"]["provenance"]["models"]
    assert models[f"vlm_capability_scorer: vllm-server {lora0}"] == 16
    assert m1["eval"]["errors"] == 0 and isinstance(m1["selection_change"]["unchanged"], bool)
    served = " ".join(p.read_text(errors="replace") for p in logs)
    assert f"Loaded new LoRA adapter: name '{lora0}'" in served
    assert "Loaded new LoRA adapter: name 'round_1-" in served

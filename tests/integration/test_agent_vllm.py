"""The agent graph against a REAL vLLM OpenAI server (CPU) serving the tiny random Qwen2.5-VL.

The tiny model's answers are schema-valid (structured outputs) but meaningless: the graph
must clamp them to known names, fall back where they are unusable, stay within
max_iterations, and still write a valid recipe, the selection and the report; the recipe
reproduces the selection through `curate run` without the agent.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from mmcurate.agent import graph
from mmcurate.agent.context import DETERMINISTIC, AgentSettings
from mmcurate.agent.tools import MAX_THRESHOLD, MIN_THRESHOLD
from mmcurate.ops import registry
from mmcurate.recipes import load_recipe
from mmcurate.taxonomy import CAPABILITIES, STYLES
from tests.integration.conftest import (
    CURATE,
    FaultyProxy,
)
from tests.tiny_vlm import SERVED_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


def test_graph_with_the_tiny_vlm_stays_bounded_and_writes_valid_outputs(
    server_4k: str, tmp_path: Path
) -> None:
    from mmcurate.demodata.generate import generate

    data = generate(tmp_path / "data", n=10, videos=0)
    out = tmp_path / "out"
    proxy = FaultyProxy(server_4k)  # counts the chat requests that reach the server
    try:
        settings = AgentSettings(
            data=str(data), out=str(out), budget=4, vlm_url=proxy.url, model=SERVED_NAME,
            max_iterations=3, np=1, extract_samples=2, report_samples=4,
            cache_dir=str(tmp_path / "cache"),
        )  # fmt: skip
        result = graph.start(settings, "find diverse OCR-heavy samples")
    finally:
        proxy.close()
    history = result["history"]
    assert 1 <= len(history) <= 3
    # every role asked the server: navigator, one extractor call per sample, one analyzer
    # call per round, the visualizer (re-asks of invalid answers come on top)
    assert proxy.chat_posts >= 1 + 2 + len(history) + 1
    assert result["transcript"][0] == {"role": "user", "text": "find diverse OCR-heavy samples"}
    roles = [t for t in result["transcript"] if t["role"] not in ("tool", "user")]
    assert [t["role"] for t in roles] == (
        ["navigator", "extractor"] + ["analyzer"] * len(history) + ["visualizer"]
    )
    for t in roles:
        assert f"VLM at {proxy.url}" in t["text"]
        # each role's answer was used (validated, clamped) or fell back, saying why
        assert "VLM answer used (agent_" in t["text"] or "VLM answer unusable (agent_" in t["text"]
        assert DETERMINISTIC not in t["text"]  # a VLM is configured: never claim otherwise
    targets = result["targets"]
    assert set(targets["capabilities"]) <= set(CAPABILITIES)
    assert set(targets["styles"]) <= set(STYLES)
    assert targets["budget"] == 4  # the command line's budget wins over the VLM's
    for h in history:
        assert (
            MIN_THRESHOLD <= h["knobs"]["threshold"] <= MAX_THRESHOLD or not h["knobs"]["threshold"]
        )
    recipe_path = Path(result["outputs"]["recipe"])
    recipe = yaml.safe_load(recipe_path.read_text())
    for step in recipe["process"]:
        [(name, params)] = step.items()
        registry.get(name).validate_params(params)
    load_recipe(recipe_path)  # the written file validates as a recipe
    selected = _ids(Path(result["outputs"]["selected"]))
    assert len(selected) <= 4
    assert result["result"]["run"]["balanced"]
    assert (out / "report.html").stat().st_size > 10_000
    assert (tmp_path / "cache" / "requests.sqlite").is_file()  # the roles went through models
    lines = (out / "transcript.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == result["transcript"]
    # the recipe reproduces the selection without the agent or the server
    rerun = tmp_path / "rerun.jsonl"
    proc = subprocess.run(
        [CURATE, "run", str(recipe_path), "--set", f"export_path={rerun}",
         "--set", f"work_dir={tmp_path / 'w'}", "-q"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _ids(rerun) == selected


def test_unusable_vlm_answers_fall_back_to_the_planner_and_say_why(
    server_4k: str, tmp_path: Path
) -> None:
    """Every chat request is refused (HTTP 400, not retried): each role falls back to the
    deterministic planner, the transcript names the error, and the session still finishes."""
    from mmcurate.demodata.generate import generate

    data = generate(tmp_path / "data", n=10, videos=0)
    out = tmp_path / "out"
    proxy = FaultyProxy(server_4k)
    proxy.fail_next, proxy.status = 10_000, 400
    try:
        settings = AgentSettings(
            data=str(data), out=str(out), budget=4, vlm_url=proxy.url, model=SERVED_NAME,
            max_iterations=3, np=1, extract_samples=2, report_samples=4,
            cache_dir=str(tmp_path / "cache"),
        )  # fmt: skip
        result = graph.start(settings, "find diverse OCR-heavy samples")
    finally:
        proxy.close()
    history = result["history"]
    assert 1 <= len(history) <= 3
    assert proxy.chat_posts == 1 + 2 + len(history) + 1  # a 400 is final: no retry, no re-ask
    roles = [t for t in result["transcript"] if t["role"] not in ("tool", "user")]
    assert len(roles) == 3 + len(history)
    for t in roles:
        assert "VLM answer unusable (agent_" in t["text"] and "injected failure" in t["text"]
        assert "VLM answer used" not in t["text"]
    # the planner's answers were used: its targets for this request
    assert result["targets"]["capabilities"][0] == "optical_character_recognition"
    assert result["targets"]["diversity"] is True
    assert Path(result["outputs"]["report"]).stat().st_size > 10_000
    load_recipe(Path(result["outputs"]["recipe"]))
    assert 0 < len(_ids(Path(result["outputs"]["selected"]))) <= 4

"""The agent graph end to end with the deterministic planner (real runner, real LangGraph
with its SQLite checkpointer), recipe reproduction through `curate run`, and resume."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmcurate.agent import graph
from mmcurate.agent.context import DETERMINISTIC, AgentSettings
from mmcurate.agent.nodes.analyzer import route
from mmcurate.ops import registry

CURATE = str(Path(sys.executable).parent / "curate")


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


def test_session_writes_every_output_and_says_it_is_deterministic(finished: dict[str, Any]) -> None:
    out, result = finished["out"], finished["result"]
    outs = result["outputs"]
    for key in ("selected", "recipe", "report", "transcript"):
        assert Path(outs[key]).is_file(), key
        assert Path(outs[key]).resolve().is_relative_to(out.resolve())
    selected = _ids(Path(outs["selected"]))
    assert 0 < len(selected) <= 6
    roles = {t["role"] for t in result["transcript"]}
    assert {"navigator", "extractor", "analyzer", "visualizer", "tool"} <= roles
    for t in result["transcript"]:
        if t["role"] in ("navigator", "extractor", "analyzer", "visualizer"):
            assert DETERMINISTIC in t["text"]
    assert 1 <= len(result["history"]) <= finished["settings"].max_iterations
    assert result["targets"]["capabilities"][0] == "optical_character_recognition"
    assert result["targets"]["diversity"] is True
    transcript = [json.loads(x) for x in Path(outs["transcript"]).read_text().splitlines()]
    assert transcript == result["transcript"]


def test_selection_is_ocr_relevant_and_accounted(finished: dict[str, Any]) -> None:
    res = finished["result"]["result"]
    run = res["run"]
    assert run["balanced"] and run["in"] == 30
    assert res["relevant_share"] >= 0.9  # by the session's own (lite) scores
    rows = [json.loads(x) for x in Path(run["export_path"]).read_text().splitlines()]
    assert all(r["scores"]["optical_character_recognition"] >= res["threshold"] for r in rows)


def test_recipe_uses_registered_ops_and_reproduces_the_selection(
    finished: dict[str, Any], tmp_path: Path
) -> None:
    out = finished["out"]
    recipe = yaml.safe_load((out / "recipe.yaml").read_text())
    names = [next(iter(step)) for step in recipe["process"]]
    assert set(names) <= set(registry.names())
    assert names[:3] == ["lite_perception_mapper", "lite_capability_scorer", "rule_styler"]
    assert names[-1].endswith("_selector") and "score_filter" in names
    rerun = tmp_path / "rerun.jsonl"
    proc = subprocess.run(
        [CURATE, "run", str(out / "recipe.yaml"), "--set", f"export_path={rerun}",
         "--set", f"work_dir={tmp_path / 'w'}", "-q"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _ids(rerun) == _ids(out / "selected.jsonl")


def test_resume_continues_an_interrupted_session(demo_pool: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    settings = AgentSettings(data=str(demo_pool), out=str(out), budget=4, np=1,
                             extract_samples=0, report_samples=2)  # fmt: skip
    first = graph.start(settings, "OCR samples", interrupt_before=["run"])
    assert first["pending"] == ["run"]
    assert not (out / "report.html").exists()
    saved = graph.state_of(out)
    assert saved["next"] == ["run"] and saved["values"]["recipe"]["process"]
    done = graph.resume(out)
    assert done["pending"] == [] and Path(done["outputs"]["report"]).is_file()
    again = graph.resume(out)
    assert again.get("finished") is True
    # a follow-up on the same session changes the budget and reuses the scored pool
    follow = graph.start(settings, "OCR samples", ["budget 2"])
    assert len(_ids(Path(follow["outputs"]["selected"]))) == 2
    assert sum(t["text"].startswith("scored ") for t in follow["transcript"]) == 1


def test_cli_one_shot_and_resume_of_a_finished_session(finished: dict[str, Any]) -> None:
    proc = subprocess.run(
        [CURATE, "--resume", str(finished["out"])], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "already complete" in proc.stdout


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [CURATE, "find charts", "--data", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    err = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and "no such file" in err and "Traceback" not in err
    proc = subprocess.run([CURATE, "--resume", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "no agent session" in " ".join(proc.stderr.split())


def test_route_is_bounded_by_max_iterations() -> None:
    settings = AgentSettings(data="d", out="o", max_iterations=2).model_dump()
    state: Any = {"settings": settings, "analysis": {"decision": "refine"}, "iteration": 1}
    assert route(state) == "propose"
    state["iteration"] = 2
    assert route(state) == "visualizer"
    state = {"settings": settings, "analysis": {"decision": "stop"}, "iteration": 0}
    assert route(state) == "visualizer"


@pytest.mark.parametrize(
    ("args", "routed"),
    [
        (["find charts", "--data", "x"], ["agent", "find charts", "--data", "x"]),
        (["--resume", "o"], ["agent", "--resume", "o"]),
        (["run", "r.yaml"], ["run", "r.yaml"]),
        (["--help"], ["--help"]),
        ([], []),
    ],
)
def test_main_routes_requests_to_the_agent(args: list[str], routed: list[str]) -> None:
    from mmcurate.cli import route_args

    assert route_args(args) == routed

"""``curate score``: the backend -> recipe mapping, and the command end to end (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmcurate.demodata import generate
from mmcurate.errors import ConfigError
from mmcurate.recipes.schema import OpSpec
from mmcurate.scorers import cli as score_cli
from mmcurate.taxonomy import CAPABILITIES
from tests.helpers import read_jsonl
from tests.scorers.conftest import needs_tesseract

CURATE = Path(sys.executable).parent / "curate"


def _opts(**kw: object) -> score_cli.ScoreOptions:
    return score_cli.ScoreOptions(data=Path("in.jsonl"), out=Path("out.jsonl"), **kw)  # type: ignore[arg-type]


def test_heuristic_recipe_and_capability_subset() -> None:
    steps = score_cli.score_steps(_opts(capabilities=("humanities",)))
    assert [s.name for s in steps] == [
        "lite_perception_mapper",
        "lite_capability_scorer",
        "rule_styler",
    ]
    assert steps[1].params == {"capabilities": ["humanities"]}
    recipe = score_cli.build_recipe(_opts(np=2, work_dir=Path("w")))
    assert recipe.np == 2 and recipe.work_dir == "w" and len(recipe.process) == 3


def test_parse_capabilities() -> None:
    assert score_cli.parse_capabilities(None) is None
    assert score_cli.parse_capabilities("humanities, stem_knowledge") == (
        "humanities",
        "stem_knowledge",
    )
    with pytest.raises(ConfigError, match="unknown capabilities: ocr"):
        score_cli.parse_capabilities("ocr")


def test_unavailable_backends_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(score_cli.SCORE_RECIPES, "vllm-server", raising=False)
    monkeypatch.setattr(score_cli, "STUDENT_RECIPE", None)
    with pytest.raises(ConfigError, match="'vllm-server' has no score recipe.*heuristic"):
        score_cli.score_steps(_opts(backend="vllm-server"))
    with pytest.raises(ConfigError, match="unknown backend 'gpt'"):
        score_cli.score_steps(_opts(backend="gpt"))
    with pytest.raises(ConfigError, match="--student"):
        score_cli.score_steps(_opts(student="model.npz"))
    # A backend plugs in with one mapping entry.
    monkeypatch.setitem(
        score_cli.SCORE_RECIPES, "vllm-server", lambda o: [OpSpec(name="rule_styler")]
    )
    assert [s.name for s in score_cli.score_steps(_opts(backend="vllm-server"))] == ["rule_styler"]


def _curate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [str(CURATE), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_cli_rejects_unknown_backend(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text("{}\n")
    proc = _curate("score", "in.jsonl", "--out", "o.jsonl", "--backend", "gpt", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown backend 'gpt'" in proc.stderr and "heuristic" in proc.stderr
    assert not (tmp_path / "o.work").exists()  # rejected before any work


@needs_tesseract
def test_score_end_to_end_and_resume(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", n=10, seed=5, videos=1)
    out = tmp_path / "scored" / "pool.jsonl"
    first = _curate("score", str(data), "--out", str(out), "-q", cwd=tmp_path)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "samples/s" in first.stdout and "errors: 0" in first.stdout
    rows = read_jsonl(out)
    assert len(rows) == 10
    for r in rows:
        assert set(r["scores"]) == set(CAPABILITIES)
        assert r["styles"]
        assert "lite_perception_mapper.chart_cue" in r["stats"]
        assert "image" in r or "video" in r  # LLaVA in, LLaVA out
    summary = json.loads((tmp_path / "scored" / "pool.work" / "summary.json").read_text())
    assert summary["balanced"] and summary["in"] == 10

    again = _curate("score", str(data), "--out", str(out), "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "resumed" in again.stdout + again.stderr
    assert read_jsonl(out) == rows


def test_cache_dir_is_shared_across_runs_and_outputs(tmp_path: Path) -> None:
    steps = score_cli.score_steps(_opts(cache_dir=Path("/c")))
    assert steps[0].params == {"cache_dir": "/c"}
    assert steps[1].params == {"perception": {"cache_dir": "/c"}}

    data = generate(tmp_path / "data", n=12, seed=3)
    cache = tmp_path / "shared-cache"

    def metrics(out: Path) -> dict[str, float]:
        summary = json.loads((out.parent / f"{out.stem}.work" / "summary.json").read_text())
        return {o["name"]: o["metrics"] for o in summary["ops"]}["lite_perception_mapper"]

    outs = [tmp_path / "a" / "pool.jsonl", tmp_path / "b" / "pool.jsonl"]
    for out in outs:
        res = _curate(
            "score", str(data), "--out", str(out), "--cache-dir", str(cache), "-q", cwd=tmp_path
        )
        assert res.returncode == 0, res.stderr + res.stdout
    first, second = metrics(outs[0]), metrics(outs[1])
    assert first["pictures"] > 0 and first.get("picture_cache_hits", 0) < first["pictures"]
    assert second["picture_cache_hits"] == second["pictures"]  # nothing decoded or OCR'd
    assert "ocr_runs" not in second and "texts_encoded" not in second
    assert (cache / "lite_perception.sqlite").is_file()
    assert not (outs[1].parent / "pool.work" / "cache").exists()
    assert read_jsonl(outs[0]) == read_jsonl(outs[1])


def test_executor_choice_goes_into_the_recipe() -> None:
    assert score_cli.build_recipe(_opts()).executor == "local"
    recipe = score_cli.build_recipe(_opts(executor="ray", np=2))
    assert recipe.executor == "ray" and recipe.to_dict()["executor"] == "ray"
    assert recipe.ray_address is None  # an address belongs to the machine, not the recipe
    with pytest.raises(ConfigError, match="executor: Input should be 'local' or 'ray'"):
        score_cli.build_recipe(_opts(executor="spark"))


def test_ray_address_needs_the_ray_executor(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text("{}\n")
    proc = _curate(
        "score", "in.jsonl", "--out", "o.jsonl", "--ray-address", "auto", "-q", cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: --ray-address needs the ray executor (--executor ray)"
    ]
    assert not (tmp_path / "o.work").exists()  # rejected before any work
    with pytest.raises(ConfigError, match="--ray-address needs the ray executor"):
        score_cli.run_score(
            score_cli.ScoreOptions(
                data=tmp_path / "in.jsonl", out=tmp_path / "o.jsonl", ray_address="auto"
            ),
            show_progress=False,
        )

"""The Ray executor on a real local Ray (2 CPUs, started once for the module).

Each test runs the same recipe with the local executor and with Ray and compares: the
export byte for byte (content and order), per-op accounting, and the trace files (errors,
dropped, changed, duplicates) as sets of lines.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmcurate.recipes import parse_recipe
from mmcurate.runner import RunOptions, RunSummary, make_executor, ray_executor
from mmcurate.runner.ray_executor import FAIL_ONCE_ENV, RayExecutor
from tests.helpers import make_pool, read_jsonl

pytestmark = pytest.mark.integration

PEER = Path(__file__).resolve().parents[3] / "shared" / "bench" / "dj-peer"
TRACES = ("errors.jsonl", "trace/dropped.jsonl", "trace/changed.jsonl", "trace/duplicates.jsonl")


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def pools(tmp_path_factory) -> dict[str, Path]:
    if not PEER.exists():
        pytest.skip(f"peer benchmark material not found at {PEER}")
    d = tmp_path_factory.mktemp("pools")
    subprocess.run([sys.executable, str(PEER / "make_data.py"), str(d / "mm"), "300"], check=True)
    text = d / "text.jsonl"
    subprocess.run([sys.executable, str(PEER / "make_text_data.py"), "2000", str(text)], check=True)
    return {"image_text": d / "mm" / "pool.dj.jsonl", "text": text}


def _recipe(base: dict[str, Any], pool: Path, out: Path, executor: str, np: int = 2):
    return parse_recipe(
        {**base, "dataset_path": str(pool), "export_path": str(out), "np": np, "executor": executor}
    )


def _run(rec, shard_rows: int, shuffle: bool = False, **kw) -> RunSummary:
    ex = make_executor(rec, RunOptions(show_progress=False, shard_rows=shard_rows, **kw))
    if shuffle:  # group dedup keys with Ray's hash shuffle, not on the driver
        assert isinstance(ex, RayExecutor)
        ex.dedup_driver_max_rows = 0
    return ex.run()


def _lines(path: Path) -> collections.Counter[str]:
    return collections.Counter(path.read_text(encoding="utf-8").splitlines())


def _accounting(s: RunSummary) -> list[tuple]:
    return [(o.name, o.n_in, o.dropped, o.errored, o.changed) for o in [s.load, *s.ops]]


def assert_same_run(local: RunSummary, ray: RunSummary) -> None:
    """Identical export (bytes), accounting per op and traces (as sets of lines)."""
    assert ray.balanced and local.balanced
    assert (ray.n_in, ray.kept, ray.dropped, ray.errored) == (
        local.n_in,
        local.kept,
        local.dropped,
        local.errored,
    )
    assert _accounting(ray) == _accounting(local)
    assert Path(ray.export_path).read_bytes() == Path(local.export_path).read_bytes()
    for name in TRACES:
        assert _lines(Path(ray.work_dir) / name) == _lines(Path(local.work_dir) / name), name


def _compare(
    tmp_path: Path, base: dict, pool: Path, shard_rows: int, shuffle: bool = False
) -> RunSummary:
    local = _run(_recipe(base, pool, tmp_path / "local.jsonl", "local"), shard_rows)
    ray = _run(_recipe(base, pool, tmp_path / "ray.jsonl", "ray"), shard_rows, shuffle)
    assert_same_run(local, ray)
    return ray


def test_owns_and_stops_the_ray_it_starts(tmp_path):
    """Without a running Ray, the executor starts one with np CPUs and shuts it down."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process")
    pool = make_pool(tmp_path / "data", n=12)
    rec = parse_recipe(
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "out.jsonl"),
            "np": 1,
            "executor": "ray",
            "process": [{"text_length_filter": {"min_len": 20}}],
        }
    )
    ex = RayExecutor(rec, RunOptions(show_progress=False))
    summary = ex.run()
    assert summary.balanced and not ray.is_initialized()


@pytest.mark.parametrize("shuffle", [True, False], ids=["dedup-shuffle", "dedup-driver"])
def test_image_text_peer_recipe_matches_local(ray_cluster, pools, tmp_path, shuffle):
    base = yaml.safe_load((PEER / "recipes" / "dj_image_text.yaml").read_text())
    ray = _compare(tmp_path, base, pools["image_text"], shard_rows=64, shuffle=shuffle)
    by_name = {o.name: o for o in ray.ops}
    assert by_name["document_deduplicator"].dropped > 0  # the global dedup step did work
    assert by_name["image_shape_filter"].dropped > 0


def test_text_peer_recipe_matches_local(ray_cluster, pools, tmp_path, monkeypatch):
    """Also: the export written in parallel parts (300 rows each) and concatenated."""
    monkeypatch.setattr(ray_executor, "EXPORT_PART_ROWS", 300)
    base = yaml.safe_load((PEER / "recipes" / "dj_text.yaml").read_text())
    ray = _compare(tmp_path, base, pools["text"], shard_rows=400, shuffle=True)
    assert ray.kept < ray.n_in and ray.ops[-1].dropped > 0


SCORING = {
    "process": [
        {"whitespace_normalization_mapper": None},
        {
            "lite_capability_scorer": {
                "perception": {"ocr": "never", "embed": False},
            }
        },
        {"rule_styler": None},
        {"text_length_filter": {"min_len": 10}},
        {"document_deduplicator": {"lowercase": True}},
        {"mmssr_selector": {"budget": 60, "source_field": None}},
        {"topk_selector": {"budget": 40, "score": "scene_understanding"}},
    ]
}


def test_scoring_and_selection_recipe_matches_local(ray_cluster, pools, tmp_path):
    ray = _compare(tmp_path, SCORING, pools["image_text"], shard_rows=100)
    assert ray.kept == 40
    assert [o.name for o in ray.ops][-2:] == ["mmssr_selector", "topk_selector"]


def test_small_pool_with_bad_samples_matches_local(ray_cluster, tmp_path):
    """Load errors and per-sample op errors end up in the same files as locally."""
    pool = make_pool(tmp_path / "data", n=40)
    (tmp_path / "data" / "images" / "img0011.png").unlink()  # load error (missing)
    base = {
        "media_check": True,
        "process": [
            {"whitespace_normalization_mapper": None},
            {"text_length_filter": {"min_len": 20}},
            {"image_shape_filter": {"min_width": 200}},
            {"document_deduplicator": {"lowercase": True}},
        ],
    }
    ray = _compare(tmp_path, base, pool, shard_rows=8)
    assert ray.errored == 1 and ray.ops[-1].dropped == 2


@pytest.mark.parametrize(
    ("pool", "mode"),
    [("tasks", "raise"), ("tasks", "exit"), ("actors", "raise"), ("actors", "exit")],
)
def test_injected_failure_is_retried_and_run_balances(
    ray_cluster, pools, tmp_path, pool, mode, monkeypatch
):
    """A shard task that raises (after writing its files) or whose worker dies is retried
    by Ray (tasks: max_retries; actors: restarted, task retried) with the same result."""
    if pool == "tasks":
        base = yaml.safe_load((PEER / "recipes" / "dj_image_text.yaml").read_text())
    else:  # lite_capability_scorer loads in setup(): the chain runs in an actor pool
        base = SCORING
    local = _run(_recipe(base, pools["image_text"], tmp_path / "local.jsonl", "local"), 64)
    marker = tmp_path / "failed-once"
    monkeypatch.setenv(FAIL_ONCE_ENV, f"{marker}:{mode}")
    ray = _run(_recipe(base, pools["image_text"], tmp_path / "ray.jsonl", "ray"), 64)
    assert marker.exists(), "the injected failure did not happen"
    assert_same_run(local, ray)


def test_resume_reuses_completed_shards(ray_cluster, pools, tmp_path):
    base = yaml.safe_load((PEER / "recipes" / "dj_image_text.yaml").read_text())
    rec = _recipe(base, pools["image_text"], tmp_path / "ray.jsonl", "ray")
    first = _run(rec, 64)
    stage_dir = next((Path(first.work_dir) / "stages").glob("01-*"))
    done = sorted(stage_dir.glob("shard-*.done.json"))
    assert len(done) == 5
    # as if the run died mid-stage: the stage is not recorded and one shard never finished;
    # resume recomputes only that shard
    state_path = Path(first.work_dir) / "state.json"
    state = json.loads(state_path.read_text())
    state["stages"] = {}
    state_path.write_text(json.dumps(state))
    done[2].unlink()
    mtimes = {p: p.stat().st_mtime_ns for p in done if p.exists()}
    again = _run(rec, 64, resume=True)
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())
    assert done[2].exists()
    assert again.kept == first.kept and again.balanced
    assert Path(again.export_path).read_bytes() == Path(first.export_path).read_bytes()


# ----------------------------------------------- `curate score` / `curate select` on Ray
EMBEDDING = "lite_perception_mapper.text_embedding"


def _cli(*args: str) -> None:
    """Run a ``curate`` command in this process (so it uses the module's Ray)."""
    from typer.testing import CliRunner

    from mmcurate.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, f"{res.output}\n{res.exception!r}"


def _by_id(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in read_jsonl(path)}


@pytest.fixture(scope="module")
def demo_pool(tmp_path_factory) -> Path:
    from mmcurate.demodata import generate

    return generate(tmp_path_factory.mktemp("demo"), n=12, seed=11)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_curate_score_and_select_on_ray_match_local(ray_cluster, demo_pool, tmp_path):
    """Heuristic scores (lite perception: OCR, MiniLM, image stats in Ray actors) and a
    deterministic selection over them: the same per sample as the local executor."""
    scored = {ex: tmp_path / ex / "scored.jsonl" for ex in ("local", "ray")}
    for ex, out in scored.items():
        _cli("score", str(demo_pool), "--out", str(out), "--np", "2", "--executor", ex, "-q")
    local, ray = _by_id(scored["local"]), _by_id(scored["ray"])
    assert sorted(ray) == sorted(local) and len(local) == 12
    for sid, row in local.items():
        other = ray[sid]
        assert other["scores"] == row["scores"], sid
        assert other["styles"] == row["styles"], sid
        stats = {k: v for k, v in row["stats"].items() if k != EMBEDDING}
        assert {k: v for k, v in other["stats"].items() if k != EMBEDDING} == stats, sid
        # MiniLM in another process: equal up to the last rounded decimal (3 decimals)
        assert other["stats"][EMBEDDING] == pytest.approx(row["stats"][EMBEDDING], abs=1.5e-3)
        assert len(row["stats"][EMBEDDING]) == 384
    summary = json.loads((tmp_path / "ray" / "scored.work" / "summary.json").read_text())
    assert summary["recipe"]["executor"] == "ray" and summary["balanced"]

    picked = {}
    for ex in ("local", "ray"):
        out = tmp_path / ex / "best.jsonl"
        # mmssr: sorting over scores, styles and sources, so deterministic
        _cli("select", str(scored["local"]), "-m", "mmssr", "-b", "5", "-o", str(out),
             "--np", "2", "--executor", ex, "-q")  # fmt: skip
        picked[ex] = [r["id"] for r in read_jsonl(out)]
    assert len(picked["local"]) == 5 and picked["ray"] == picked["local"]
    report = json.loads((tmp_path / "ray" / "best.report.json").read_text())
    assert report["executor"] == "ray" and "--executor ray" in report["command"]
    recipe = yaml.safe_load(Path(report["recipe_file"]).read_text())
    assert recipe["executor"] == "ray"  # `curate run` on it repeats the Ray run
    assert report["counts"] == {
        "in": 12, "selected": 5, "dropped": 7, "errored": 0, "balanced": True
    }  # fmt: skip

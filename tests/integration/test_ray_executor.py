"""The Ray executor on a real local Ray (2 CPUs, started once for the module).

Each test runs the same recipe with the local executor and with Ray and compares: the
export byte for byte (content and order), per-op accounting, and the trace files (errors,
dropped, changed, duplicates) as sets of lines.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmcurate.recipes import parse_recipe
from mmcurate.runner import RunOptions, RunSummary, make_executor, ray_executor
from mmcurate.runner.ray_executor import FAIL_ONCE_ENV, RayExecutor
from tests.helpers import make_pool

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

"""The local executor on real files: accounting, traces, errors, resume, np."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from mmcurate.ops import registry
from mmcurate.recipes import parse_recipe
from mmcurate.runner import LocalExecutor, RunOptions, plan_stages, read_errors
from mmcurate.runner.local import shard_ranges, stage_shard_rows
from tests.helpers import make_pool, read_jsonl, write_image

PROCESS = [
    {"whitespace_normalization_mapper": None},
    {"text_length_filter": {"min_len": 20}},
    {"image_shape_filter": {"min_width": 200}},
    {"document_deduplicator": {"lowercase": True}},
]
# make_pool(40): width 100+10i -> i < 10 dropped by width; i % 7 == 0 -> short text;
# i % 10 == 0 repeats sample i-1's text (a duplicate only if i-1 survived the filters).
EXPECTED_KEPT = [f"s{i:04d}" for i in range(10, 40) if i % 7 != 0 and i not in (20, 30)]


def recipe(tmp_path: Path, pool: Path, process=PROCESS, np=1, name="out", **kw):
    return parse_recipe(
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / f"{name}.jsonl"),
            "np": np,
            "process": process,
            **kw,
        }
    )


def run(rec, **opts):
    return LocalExecutor(rec, RunOptions(show_progress=False, **opts)).run()


def test_plan_cuts_row_stages_at_dedup_and_selectors():
    ops = [
        registry.create(n, p)
        for n, p in [
            ("whitespace_normalization_mapper", {}),
            ("text_length_filter", {}),
            ("document_deduplicator", {}),
            ("text_length_filter", {}),
            ("random_selector", {"select_num": 1}),
            ("text_length_filter", {}),
        ]
    ]
    assert [(s.op_indices, s.kind) for s in plan_stages(ops)] == [
        ([0, 1, 2], "row"),
        ([3], "row"),
        ([4], "global"),
        ([5], "row"),
    ]


def test_shard_ranges_cover_rows_independent_of_np():
    assert shard_ranges(0) == [(0, 0)]
    r = shard_ranges(2500, shard_rows=1000)
    assert r == [(0, 1000), (1000, 2000), (2000, 2500)]


def test_slow_ops_ask_for_smaller_shards(tmp_path, monkeypatch):
    from mmcurate.ops.base import Resources

    slow = registry.create("lite_perception_mapper", {})
    fast = registry.create("text_length_filter", {})
    assert slow.resources.shard_rows and not fast.resources.shard_rows
    assert stage_shard_rows([fast]) is None
    assert stage_shard_rows([fast, slow]) == slow.resources.shard_rows
    assert stage_shard_rows([fast, slow], option=5000) == 5000  # the run's option wins

    # a stage holding an op with a hint is cut into hint-sized shards; a resume matches
    cls = type(fast)
    monkeypatch.setattr(cls, "resources", Resources(shard_rows=7))
    pool = make_pool(tmp_path / "data")
    rec = recipe(tmp_path, pool, np=2)
    summary = run(rec)
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == EXPECTED_KEPT
    stage1 = sorted(Path(summary.work_dir, "stages").glob("01-*"))[0]
    assert len(list(stage1.glob("shard-*.done.json"))) == 6  # 40 rows / 7
    again = run(rec, resume=True)
    assert again.kept == summary.kept


def test_workers_get_their_share_of_the_cores(tmp_path):
    import subprocess
    import sys

    code = (
        "import os; from mmcurate.runner.local import limit_worker_threads; "
        "limit_worker_threads(1); import torch; "
        "print(os.environ['OMP_NUM_THREADS'], torch.get_num_threads())"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["1", "1"], out.stderr
    out = subprocess.run(  # the user's own setting wins
        [sys.executable, "-c", code],
        env={**env, "OMP_NUM_THREADS": "2"},
        capture_output=True,
        text=True,
    )
    assert out.stdout.split() == ["2", "2"], out.stderr


def test_run_keeps_expected_samples_and_balances(tmp_path):
    pool = make_pool(tmp_path / "data")
    rec = recipe(tmp_path, pool)
    summary = run(rec)
    kept = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in kept] == EXPECTED_KEPT
    assert summary.balanced and summary.n_in == 40 and summary.kept == len(EXPECTED_KEPT)
    # every dropped sample is traced with a reason, exactly once
    wd = Path(summary.work_dir)
    dropped = read_jsonl(wd / "trace" / "dropped.jsonl")
    assert len(dropped) == summary.dropped == 40 - len(EXPECTED_KEPT)
    assert {d["id"] for d in dropped} | set(EXPECTED_KEPT) == {f"s{i:04d}" for i in range(40)}
    by_id = {d["id"]: d for d in dropped}
    assert by_id["s0003"]["reason"] == "no images passes: images[0] width=130 < min_width=200"
    assert by_id["s0014"]["op"] == "text_length_filter"
    assert by_id["s0020"]["reason"] == "duplicate of s0019"
    assert read_jsonl(wd / "trace" / "duplicates.jsonl") == [
        {"op": "document_deduplicator", "id": "s0020", "duplicate_of": "s0019"},
        {"op": "document_deduplicator", "id": "s0030", "duplicate_of": "s0029"},
    ]
    stats = json.loads((wd / "summary.json").read_text())
    assert stats["balanced"] and stats["in"] == 40
    assert [o["dropped"] for o in stats["ops"]] == [0, 4 + 2, 8, 2]  # i<10: 0 and 7 by text


def test_bad_input_ends_in_errors_and_run_completes(tmp_path):
    pool = make_pool(tmp_path / "data", n=30)
    lines = pool.read_text().splitlines()
    lines[3] = lines[3][:25]  # malformed JSON line
    pool.write_text("\n".join(lines) + "\n")
    images = tmp_path / "data" / "images"
    (images / "img0011.png").unlink()  # missing image
    (images / "img0012.png").write_bytes(b"")  # zero-byte image
    data = (images / "img0013.png").read_bytes()
    (images / "img0013.png").write_bytes(data[: len(data) // 2])  # truncated image
    summary = run(recipe(tmp_path, pool))
    assert summary.balanced
    errors = {e.sample_id: e for e in read_errors(Path(summary.work_dir))}
    assert set(errors) >= {"s0003", "s0011", "s0012", "s0013"}
    assert "invalid JSON" in errors["s0003"].reason and errors["s0003"].line == 4
    assert "not found" in errors["s0011"].reason and "images[0]" in errors["s0011"].reason
    assert "zero-byte" in errors["s0012"].reason
    assert "s0013" in errors and errors["s0013"].file and "img0013.png" in errors["s0013"].file
    kept = {r["id"] for r in read_jsonl(tmp_path / "out.jsonl")}
    assert not kept & set(errors)


def test_op_errors_are_isolated_per_sample(tmp_path):
    pool = make_pool(tmp_path / "data", n=25)
    # an image that is valid at load (exists) but whose header an op cannot parse:
    # same name, different content written after loading is not possible here, so use a
    # run without the load media check and a corrupt file
    (tmp_path / "data" / "images" / "img0015.png").write_bytes(b"garbage, not png")
    summary = run(recipe(tmp_path, pool, media_check=False))
    assert summary.balanced and summary.errored == 1
    (err,) = read_errors(Path(summary.work_dir))
    assert err.sample_id == "s0015" and err.op == "image_shape_filter"
    assert "images[0]: not a readable image" in err.reason


def test_np2_output_identical_to_np1(tmp_path):
    pool = make_pool(tmp_path / "data", n=60)
    s1 = run(recipe(tmp_path, pool, np=1, name="a"), shard_rows=7)
    s2 = run(recipe(tmp_path, pool, np=2, name="b"), shard_rows=7)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert s1.to_json()["ops"] == [
        o | {"seconds": s1.to_json()["ops"][k]["seconds"]}
        for k, o in enumerate(s2.to_json()["ops"])
    ]


PROCESS_3_STAGES = [
    *PROCESS,
    {"random_selector": {"select_num": 15, "seed": 3}},
    {"text_length_filter": {"min_len": 40}},
]


def _killed_run(rec, after_stage: int, shard_rows: int) -> int:
    """Run in a forked child that SIGKILLs itself right after a stage's checkpoint."""

    def hook(stage: int) -> None:
        if stage == after_stage:
            os.kill(os.getpid(), signal.SIGKILL)

    pid = os.fork()
    if pid == 0:  # child
        try:
            run(rec, on_stage_done=hook, shard_rows=shard_rows)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status


@pytest.mark.parametrize("after_stage", [1, 2])
def test_kill_between_ops_then_resume_matches_uninterrupted(tmp_path, after_stage):
    pool = make_pool(tmp_path / "data", n=60)
    reference = run(recipe(tmp_path, pool, PROCESS_3_STAGES, name="ref"), shard_rows=9)
    rec = recipe(tmp_path, pool, PROCESS_3_STAGES, name="killed")
    status = _killed_run(rec, after_stage, shard_rows=9)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert not (tmp_path / "killed.jsonl").exists()
    wd = tmp_path / "killed.work"
    stage1 = sorted((wd / "stages").glob("01-*"))[0]
    mtimes = {p: p.stat().st_mtime_ns for p in stage1.iterdir()}
    resumed = run(rec, resume=True, shard_rows=9)
    # finished stages were not recomputed
    assert {p: p.stat().st_mtime_ns for p in stage1.iterdir()} == mtimes
    assert (tmp_path / "killed.jsonl").read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
    assert resumed.to_json()["kept"] == reference.to_json()["kept"]
    assert resumed.balanced
    for name in ("dropped.jsonl", "duplicates.jsonl", "changed.jsonl"):
        assert (wd / "trace" / name).read_text() == (
            tmp_path / "ref.work" / "trace" / name
        ).read_text()


def test_resume_after_recipe_change_recomputes_only_later_stages(tmp_path):
    pool = make_pool(tmp_path / "data", n=60)
    rec = recipe(tmp_path, pool, PROCESS_3_STAGES)
    run(rec)
    wd = tmp_path / "out.work"
    stage1 = sorted((wd / "stages").glob("01-*"))[0]
    before = stage1.stat().st_mtime_ns
    changed = [*PROCESS_3_STAGES[:-1], {"text_length_filter": {"min_len": 45}}]
    summary = run(recipe(tmp_path, pool, changed), resume=True)
    assert stage1.exists() and stage1.stat().st_mtime_ns == before
    assert summary.balanced
    assert summary.ops[-1].n_in == 15


def test_without_resume_a_rerun_starts_fresh(tmp_path):
    pool = make_pool(tmp_path / "data", n=20)
    rec = recipe(tmp_path, pool)
    first = run(rec)
    second = run(rec)
    assert first.to_json()["kept"] == second.to_json()["kept"]
    assert read_jsonl(Path(second.work_dir) / "trace" / "dropped.jsonl") == read_jsonl(
        Path(first.work_dir) / "trace" / "dropped.jsonl"
    )


def test_mapper_changes_are_traced_and_clear_stats(tmp_path):
    pool = make_pool(tmp_path / "data", n=12)
    rows = read_jsonl(pool)
    rows[11]["conversations"][1]["value"] = "\u3000 padded answer that is long enough \u00a0"
    pool.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = run(recipe(tmp_path, pool, [{"whitespace_normalization_mapper": None}]))
    changed = read_jsonl(Path(summary.work_dir) / "trace" / "changed.jsonl")
    assert [c["id"] for c in changed] == ["s0011"]
    after = changed[0]["messages"]["after"][1]["content"]
    assert after == "padded answer that is long enough"
    assert summary.ops[0].changed == 1


def test_multi_image_sample_error_names_the_image_index(tmp_path):
    pool = make_pool(tmp_path / "data", n=3)
    rows = read_jsonl(pool)
    write_image(tmp_path / "data" / "images" / "extra.png", (300, 300))
    rows[2]["image"] = ["images/extra.png", "images/nope.png"]
    rows[2]["conversations"][0]["value"] = "<image><image>\nCompare."
    pool.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = run(recipe(tmp_path, pool, [{"image_shape_filter": None}]))
    (err,) = read_errors(Path(summary.work_dir))
    assert err.sample_id == "s0002" and "images[1]" in err.reason

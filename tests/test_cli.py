"""The `curate` CLI as a user runs it (a real subprocess for exit codes and messages)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import make_pool, read_jsonl, write_recipe

CURATE = str(Path(sys.executable).parent / "curate")


def curate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CURATE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_teaches_with_examples():
    out = curate("--help")
    assert out.returncode == 0 and "curate demo" in out.stdout
    run_help = curate("run", "--help")
    assert "--resume" in run_help.stdout and "Example" in run_help.stdout


def test_ops_list_and_show():
    listed = curate("ops", "list").stdout
    for name in ("text_length_filter", "image_shape_filter", "document_deduplicator"):
        assert name in listed
    shown = curate("ops", "show", "image_shape_filter").stdout
    assert "any_or_all" in shown and "min_width" in shown and "'any'" in shown
    lite = curate("ops", "show", "lite_perception_mapper").stdout
    assert (
        "lite_perception_mapper.text_embedding" in lite
        and "lite_perception_mapper.ocr_text" in lite
    )
    scorer = curate("ops", "show", "lite_capability_scorer").stdout
    assert "writes scores:" in scorer and "optical_character_recognition" in scorer


def test_unknown_op_fails_before_work_starts(tmp_path):
    pool = make_pool(tmp_path / "d", n=3)
    r = write_recipe(
        tmp_path / "r.yaml",
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "o.jsonl"),
            "process": [{"text_length_filter": {"min_len": 1}}, {"image_shap_filter": None}],
        },
    )
    out = curate("run", str(r))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "process[1]" in out.stderr and "image_shape_filter" in out.stderr
    assert not (tmp_path / "o.work").exists() and not (tmp_path / "o.jsonl").exists()


def test_misspelled_param_fails_with_choices(tmp_path):
    pool = make_pool(tmp_path / "d", n=3)
    r = write_recipe(
        tmp_path / "r.yaml",
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "o.jsonl"),
            "process": [{"text_length_filter": {"min_lne": 1}}],
        },
    )
    out = curate("run", str(r))
    assert out.returncode == 2 and "min_lne" in out.stderr and "min_len, max_len" in out.stderr


def test_run_with_set_overrides_and_resume(tmp_path):
    pool = make_pool(tmp_path / "d", n=20)
    r = write_recipe(
        tmp_path / "r.yaml",
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "o.jsonl"),
            "process": [{"image_shape_filter": {"min_width": 100}}],
        },
    )
    out = curate("run", str(r), "--set", "image_shape_filter.min_width=250", "-q")
    assert out.returncode == 0, out.stderr
    assert "balanced" in out.stdout
    assert len(read_jsonl(tmp_path / "o.jsonl")) == 5  # widths 250..290
    again = curate("run", str(r), "--set", "image_shape_filter.min_width=250", "--resume")
    assert again.returncode == 0 and "resumed" in again.stderr


def test_missing_dataset_is_a_clear_error(tmp_path):
    r = write_recipe(
        tmp_path / "r.yaml",
        {
            "dataset_path": str(tmp_path / "nope.jsonl"),
            "export_path": str(tmp_path / "o.jsonl"),
        },
    )
    out = curate("run", str(r))
    assert out.returncode == 2 and "dataset_path not found" in out.stderr

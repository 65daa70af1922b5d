"""`curate select` end to end, and selectors inside a recipe run by the runner."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mmcurate.errors import ConfigError
from mmcurate.recipes import parse_recipe
from mmcurate.runner import LocalExecutor, RunOptions
from mmcurate.selectors.cli import op_name, parse_params
from tests.helpers import llava_record, read_jsonl, write_image

CURATE = str(Path(sys.executable).parent / "curate")
CAPS = ["optical_character_recognition", "stem_knowledge"]


def scored_pool(root: Path, n: int = 30, scores: bool = True) -> Path:
    """A LLaVA jsonl pool with images and the top-level scores/styles/stats keys that
    `curate score` writes."""
    lines = []
    for i in range(n):
        name = write_image(root / "images" / f"img{i}.png", (48, 48), i)
        rec = llava_record(i, f"images/{name}", "What is shown?", "An answer. " * (1 + i % 4))
        rec["source"] = "coco" if i % 3 else "textvqa"
        if scores:
            rec["scores"] = {CAPS[0]: float(i % 6), CAPS[1]: float((i * 7) % 6)}
        rec["styles"] = ["yes/no"] if i % 2 else ["short description", "multi-choice"]
        rec["stats"] = {"lite_perception_mapper.text_embedding": [float(i % 5), 1.0, i % 3]}
        lines.append(json.dumps(rec))
    path = root / "pool.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def curate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CURATE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_select_writes_subset_report_and_a_repeatable_recipe(tmp_path):
    scored_pool(tmp_path)
    caps = ",".join(CAPS)
    out = curate(
        "select", "pool.jsonl", "--method", "mmssr", "--budget", "30%", "--out",
        "sel/best.jsonl", "--seed", "3", "--param", f"capabilities={caps}", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "optical_character_recognition" in out.stdout and "in 30 = selected 9" in out.stdout
    rows = read_jsonl(tmp_path / "sel/best.jsonl")
    assert len(rows) == 9 and all("scores" in r for r in rows)  # the input's format (LLaVA)
    report = json.loads((tmp_path / "sel/best.report.json").read_text())
    assert report["op"] == "mmssr_selector" and report["counts"]["selected"] == 9
    assert report["params"]["seed"] == 3 and report["params"]["threshold"] == 0.0
    assert report["params"]["budget"] == "30%" and report["params"]["capabilities"] == CAPS
    before, after = report["before"], report["after"]
    assert before["rows"] == 30 and after["rows"] == 9
    assert set(before["capabilities"]) == set(CAPS)
    assert set(after["capabilities"][CAPS[0]]["quantiles"]) == {"p10", "p25", "p50", "p75", "p90"}
    assert before["sources"] == {"coco": 20, "textvqa": 10}
    assert sum(after["sources"].values()) == 9
    assert before["styles"]["yes/no"] == 15
    assert report["mmssr"]["rounds"] >= 1
    assert "--method mmssr" in report["command"] and "--seed 3" in report["command"]
    dropped = read_jsonl(tmp_path / "sel/best.work/trace/dropped.jsonl")
    assert len(dropped) == 21 and dropped[0]["reason"] == "not selected by mmssr_selector"
    # the recipe written next to the run repeats it exactly
    recipe = yaml.safe_load((tmp_path / report["recipe_file"]).read_text())
    recipe["export_path"] = str(tmp_path / "again.jsonl")
    recipe["dataset_path"] = str(tmp_path / "pool.jsonl")
    recipe.pop("work_dir", None)
    LocalExecutor(parse_recipe(recipe), RunOptions(show_progress=False)).run()
    assert [r["id"] for r in read_jsonl(tmp_path / "again.jsonl")] == [r["id"] for r in rows]


def test_missing_scores_exit_2_naming_the_columns_and_the_command(tmp_path):
    scored_pool(tmp_path, n=5, scores=False)
    out = curate("select", "pool.jsonl", "-m", "topk", "-b", "2", "-o", "o.jsonl", "-p",
                 "score=stem_knowledge", cwd=tmp_path)  # fmt: skip
    assert out.returncode == 2
    err = " ".join(out.stderr.split())  # the console wraps long lines
    assert "stem_knowledge" in err and "curate score DATA --out SCORED --backend heuristic" in err
    assert "Traceback" not in out.stderr


def test_selectors_run_inside_any_recipe_and_warn_when_the_budget_covers_the_pool(tmp_path):
    pool = scored_pool(tmp_path, n=20)
    recipe = parse_recipe(
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "o.jsonl"),
            "process": [
                {"text_length_filter": {"min_len": 1}},
                {"mmssr_selector": {"budget": "50%", "capabilities": CAPS}},
                {"kcenter_selector": {"budget": 4}},
                {"random_selector": {"budget": "100 rows"}},
            ],
        }
    )
    assert recipe.process[1].params["budget"] == "50%"  # the budget round-trips as written
    with pytest.warns(UserWarning, match="covers the whole pool"):
        summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
    assert summary.kept == 4 and summary.balanced
    assert [o.kept for o in summary.ops] == [20, 10, 4, 4]


def test_method_names_map_to_selector_ops():
    assert op_name("mmssr") == "mmssr_selector"
    assert op_name("score_then_diversify") == "score_then_diversify_selector"
    assert op_name("random_selector") == "random_selector"
    with pytest.raises(ConfigError, match="Methods: cluster_balanced, kcenter, mmssr"):
        op_name("text_length")
    assert parse_params(["score={a: 1, b: 2}", "threshold=2", "capabilities=a,b"]) == {
        "score": {"a": 1, "b": 2},
        "threshold": 2,
        "capabilities": "a,b",
    }


def test_semdedup_inside_a_recipe_traces_which_row_each_duplicate_duplicates(tmp_path):
    pool = scored_pool(tmp_path, n=20)  # embeddings repeat every 15 rows
    recipe = parse_recipe(
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "o.jsonl"),
            "process": [{"semdedup_selector": {"threshold": 0.9999}}],
        }
    )
    summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
    assert summary.kept == 15 and summary.balanced
    dropped = {d["id"]: d["reason"] for d in read_jsonl(tmp_path / "o.work/trace/dropped.jsonl")}
    kept = [r["id"] for r in read_jsonl(tmp_path / "o.jsonl")]
    assert len(dropped) == 5
    for reason in dropped.values():
        assert reason.startswith("semantic duplicate of ")
        assert reason.split()[3] in kept


def test_select_options_build_the_recipe_with_the_executor(tmp_path):
    from mmcurate.selectors.cli import SelectOptions, build_recipe

    opts = SelectOptions(
        data=tmp_path / "pool.jsonl",
        method="topk",
        out=tmp_path / "o.jsonl",
        budget="30%",
        seed=4,
        params={"score": "stem_knowledge", "budget": 1},
        np=2,
        executor="ray",
    )
    recipe = build_recipe(opts)
    assert recipe.executor == "ray" and recipe.np == 2 and recipe.ray_address is None
    assert recipe.process[0].name == "topk_selector"
    # --budget / --seed win over the same keys given with --param, as on the command line
    assert recipe.process[0].params == {"score": "stem_knowledge", "budget": "30%", "seed": 4}
    plain = SelectOptions(data=opts.data, method="random", out=opts.out, budget=3)
    assert build_recipe(plain).executor == "local"
    with pytest.raises(ConfigError, match="executor: Input should be 'local' or 'ray'"):
        build_recipe(dataclasses.replace(plain, executor="x"))


def test_ray_address_without_ray_executor_is_one_line_exit_2(tmp_path):
    scored_pool(tmp_path, n=5)
    out = curate("select", "pool.jsonl", "-m", "random", "-b", "2", "-o", "o.jsonl",
                 "--ray-address", "auto", cwd=tmp_path)  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: --ray-address needs the ray executor (--executor ray)"
    ]
    assert not (tmp_path / "o.work").exists() and not (tmp_path / "o.jsonl").exists()

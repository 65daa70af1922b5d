"""`imgdiff_difference_filter` as a recipe op through the real runner."""

from __future__ import annotations

import json
from pathlib import Path

from mmcurate.recipes.schema import parse_recipe
from mmcurate.runner import LocalExecutor, RunOptions
from mmcurate.synth.procedural import make_pair


def test_filter_in_a_recipe_on_two_image_samples(tmp_path: Path) -> None:
    lines = []
    for i in range(3):
        p = make_pair(2, i)
        p.image_a.save(tmp_path / f"{i}a.png")
        (p.image_a if i == 2 else p.image_b).save(tmp_path / f"{i}b.png")  # pair 2: identical
        lines.append(
            {
                "id": f"s{i}",
                "image": [f"{i}a.png", f"{i}b.png"],
                "conversations": [
                    {"from": "human", "value": "<image>\n<image>\nDiff?"},
                    {"from": "gpt", "value": "x"},
                ],
            }
        )
    lines.append(
        {
            "id": "one",
            "image": "0a.png",
            "conversations": [
                {"from": "human", "value": "<image>\nQ"},
                {"from": "gpt", "value": "A"},
            ],
        }
    )
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    recipe = parse_recipe(
        {
            "dataset_path": str(data),
            "export_path": str(tmp_path / "out.jsonl"),
            "np": 1,
            "process": [{"imgdiff_difference_filter": {"min_boxes": 1}}],
        },
        source="test",
    )
    summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
    assert summary.n_in == 4 and summary.kept == 2 and summary.errored == 1
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == ["s0", "s1"]
    for r in out:
        n = r["stats"]["imgdiff_difference_filter.n_boxes"]
        assert n >= 1 and len(r["stats"]["imgdiff_difference_filter.boxes"]) == 4 * n
    errors = (Path(summary.work_dir) / "errors.jsonl").read_text()
    assert "needs exactly 2 images" in errors

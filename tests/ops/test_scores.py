"""score_filter: unit behaviour and a real run through the local executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.recipes import parse_recipe
from mmcurate.runner import LocalExecutor, RunOptions
from mmcurate.sample import Message, Sample


def _sample(sid: str, ocr: float | None = None, words: int | None = None) -> Sample:
    return Sample(
        id=sid,
        messages=[Message(role="user", content="q"), Message(role="assistant", content="a")],
        scores={} if ocr is None else {"optical_character_recognition": ocr},
        stats={} if words is None else {"lite_perception_mapper.ocr_words": words},
    )


def test_score_key_bounds_inclusive() -> None:
    op = create("score_filter", {"key": "scores.optical_character_recognition", "min": 2})
    kept = [
        op.drop_reason(s) is None
        for s in op.compute_stats_batch(  # type: ignore[arg-type]
            [_sample("a", 1.9), _sample("b", 2.0), _sample("c", 4.5)]
        )
    ]
    assert kept == [False, True, True]


def test_stat_key_and_missing_value_reason() -> None:
    op = create("score_filter", {"key": "stats.lite_perception_mapper.ocr_words", "max": 10})
    [low, high, missing] = op.compute_stats_batch(
        [_sample("a", words=3), _sample("b", words=11), _sample("c")]
    )
    assert op.drop_reason(low) is None  # type: ignore[arg-type]
    assert "> max=10" in op.drop_reason(high)  # type: ignore[arg-type,operator]
    assert op.drop_reason(missing) == "stats.lite_perception_mapper.ocr_words missing"  # type: ignore[arg-type]


def test_stored_value_of_another_step_is_not_reused() -> None:
    op = create("score_filter", {"key": "scores.optical_character_recognition", "min": 2})
    s = _sample("a", 4.0)
    s.stats["score_filter.value"] = 0.0  # written by an earlier score_filter on another key
    assert op.compute_stats_batch([s]) == [{"value": 4.0}]


@pytest.mark.parametrize(
    "params",
    [
        {"key": "optical_character_recognition", "min": 1},
        {"key": "scores.x"},
        {"key": "scores.x", "min": 3, "max": 1},
        {"key": "scores.x", "min": 1, "typo": 2},
    ],
)
def test_bad_params_are_config_errors(params: dict) -> None:
    with pytest.raises(ConfigError, match="score_filter"):
        create("score_filter", params)


def test_real_run_keeps_rows_by_score_and_traces_the_rest(tmp_path: Path) -> None:
    rows = []
    for i in range(10):
        rows.append(
            {
                "id": f"s{i}",
                "conversations": [
                    {"from": "human", "value": f"question {i}"},
                    {"from": "gpt", "value": f"answer number {i}"},
                ],
                "scores": {"optical_character_recognition": i * 0.5},
            }
        )
    data = tmp_path / "pool.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out" / "kept.jsonl"
    recipe = parse_recipe(
        {
            "dataset_path": str(data),
            "export_path": str(out),
            "media_check": False,
            "process": [
                {"score_filter": {"key": "scores.optical_character_recognition", "min": 2.5}}
            ],
        }
    )
    summary = LocalExecutor(recipe, RunOptions(show_progress=False)).run()
    kept = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert kept == ["s5", "s6", "s7", "s8", "s9"]
    assert summary.balanced and summary.dropped == 5
    dropped = (Path(summary.work_dir) / "trace" / "dropped.jsonl").read_text().splitlines()
    assert len(dropped) == 5 and "< min=2.5" in dropped[0]

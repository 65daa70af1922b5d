"""The loop's bookkeeping with fake steps: stopping, resume, interrupted rounds, the report.

The real steps (scoring, LoRA training, evaluation) run in tests/integration/test_boost_loop.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mmcurate.boost.config import parse_boost_config
from mmcurate.boost.loop import (
    BoostLoop,
    ModelSpec,
    selection_change,
    stop_reason,
    write_report,
)
from mmcurate.errors import ConfigError
from mmcurate.train.lora import TrainResult


class FakeSteps:
    """Records calls; metric per round from a list; selection shifts by one id per round."""

    def __init__(self, metrics: list[float], baseline: float = 0.1, fail_in: int | None = None):
        self.metrics = metrics
        self.baseline = baseline
        self.fail_in = fail_in
        self.calls: list[tuple[str, str]] = []
        self.round = 0

    def model_for(self, label: str, adapter: str | None) -> ModelSpec:
        return ModelSpec(label, "fake", adapter or "base", adapter=adapter)

    def score(self, spec: ModelSpec, out_dir: Path) -> tuple[Path, dict[str, Any]]:
        self.calls.append(("score", spec.label))
        self.round = int(out_dir.name.split("_")[1])
        (out_dir / "scored.jsonl").write_text("{}\n")
        return out_dir / "scored.jsonl", {"models": {spec.label: 3}}

    def select(self, scored: Path, out_dir: Path) -> list[str]:
        self.calls.append(("select", out_dir.name))
        return [f"s{i}" for i in range(self.round, self.round + 3)]

    def train(self, scored: Path, ids: list[str], out_dir: Path) -> TrainResult:
        self.calls.append(("train", out_dir.name))
        if self.fail_in == self.round:
            raise KeyboardInterrupt  # the user stops the loop mid-round
        (out_dir / "adapter").mkdir()
        return TrainResult(
            adapter_dir=str(out_dir / "adapter"),
            base_model="base",
            steps=2,
            examples=len(ids),
            losses=[2.0, 1.5],
        )

    def evaluate(self, spec: ModelSpec) -> dict[str, Any]:
        self.calls.append(("evaluate", spec.label))
        value = self.baseline if spec.label == "base" else self.metrics[self.round]
        return {"accuracy": value, "n": 10}

    def diagnostics(self, scored: Path, ids: list[str]) -> dict[str, Any]:
        return {"style_coverage": 1.0, "before": {}, "after": {}}

    def close(self) -> None:
        self.calls.append(("close", ""))


@pytest.fixture
def config(tmp_path: Path) -> Any:
    (tmp_path / "pool.jsonl").write_text("{}\n")
    (tmp_path / "qa.jsonl").write_text("{}\n")
    raw = {
        "pool": "pool.jsonl",
        "heldout": "qa.jsonl",
        "base_model": "base",
        "rounds": 3,
        "patience": 1,
    }
    return parse_boost_config(raw, base_dir=tmp_path)


def test_stop_reason_budget_and_patience() -> None:
    assert stop_reason(0.1, [], 3, 1, 0.0) is None
    assert stop_reason(0.1, [0.2, 0.3], 3, 1, 0.0) is None
    assert "budget" in (stop_reason(0.1, [0.2, 0.3, 0.4], 3, 1, 0.0) or "")
    assert "no improvement" in (stop_reason(0.1, [0.2, 0.2], 5, 1, 0.0) or "")
    assert stop_reason(0.1, [0.2, 0.2], 5, 2, 0.0) is None  # patience 2: one stale round
    # min_delta: +0.01 is not an improvement when 0.05 is required
    assert stop_reason(0.1, [0.11], 5, 1, 0.05) is not None
    assert stop_reason(None, [0.0], 5, 1, 0.0) is None  # no baseline: the first round sets best


def test_selection_change() -> None:
    assert selection_change(None, ["a"])["unchanged"] is None
    same = selection_change(["a", "b"], ["b", "a"])
    assert same["unchanged"] is True and same["jaccard"] == 1.0
    diff = selection_change(["a", "b"], ["b", "c"])
    assert diff == {"added": ["c"], "removed": ["a"], "jaccard": 0.3333, "unchanged": False}


def test_rounds_until_budget_with_scorer_chain(config: Any, tmp_path: Path) -> None:
    steps = FakeSteps([0.2, 0.3, 0.4])
    state = BoostLoop(config, tmp_path / "run", steps=steps, log=lambda s: None).run()
    assert [r.metric for r in state.rounds] == [0.2, 0.3, 0.4]
    assert "budget" in (state.stopped or "")
    scorers = [label for kind, label in steps.calls if kind == "score"]
    assert scorers == ["base", "round_0", "round_1"]  # round k scores with round k-1's adapter
    for k in range(3):
        rdir = tmp_path / "run" / f"round_{k}"
        metrics = json.loads((rdir / "metrics.json").read_text())
        assert metrics["round"] == k and metrics["adapter"] == str(rdir / "adapter")
        assert (rdir / "selection.jsonl").read_text().count("\n") == 3
    second = json.loads((tmp_path / "run" / "round_1" / "metrics.json").read_text())
    assert (
        second["selection_change"]["added"] == ["s3"]
        and not second["selection_change"]["unchanged"]
    )
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| base |" in report
    assert "| 2 | round_1 | 3 | +1/-1 | 2.000 -> 1.500 | 0.4000 |" in report
    assert (tmp_path / "run" / "metric.png").stat().st_size > 1000


def test_patience_stops_early(config: Any, tmp_path: Path) -> None:
    steps = FakeSteps([0.05, 0.3, 0.4])  # round 0 is worse than the baseline 0.1
    state = BoostLoop(config, tmp_path / "run", steps=steps, log=lambda s: None).run()
    assert len(state.rounds) == 1 and "no improvement" in (state.stopped or "")


def test_resume_skips_finished_rounds_and_redoes_interrupted(config: Any, tmp_path: Path) -> None:
    run = tmp_path / "run"
    steps = FakeSteps([0.2, 0.3, 0.4], fail_in=1)
    with pytest.raises(KeyboardInterrupt):
        BoostLoop(config, run, steps=steps, log=lambda s: None).run()
    assert (run / "round_1").is_dir()  # interrupted mid-round: left behind
    (run / "round_1" / "junk").write_text("x")
    state = json.loads((run / "state.json").read_text())
    assert len(state["rounds"]) == 1

    with pytest.raises(ConfigError, match="--resume"):
        BoostLoop(config, run, steps=FakeSteps([0.2, 0.3, 0.4]), log=lambda s: None)

    again = FakeSteps([0.2, 0.3, 0.4])
    final = BoostLoop(config, run, resume=True, steps=again, log=lambda s: None).run()
    assert [r.round for r in final.rounds] == [0, 1, 2]
    assert ("evaluate", "base") not in again.calls  # the baseline was kept
    assert [c for c in again.calls if c[0] == "score"] == [
        ("score", "round_0"),
        ("score", "round_1"),
    ]
    assert not (run / "round_1" / "junk").exists()  # the interrupted round restarted cleanly


def test_resume_extends_budget_but_not_another_config(config: Any, tmp_path: Path) -> None:
    run = tmp_path / "run"
    BoostLoop(
        config.model_copy(update={"rounds": 1}),
        run,
        steps=FakeSteps([0.2, 0.3]),
        log=lambda s: None,
    ).run()
    more = FakeSteps([0.2, 0.3])
    state = BoostLoop(
        config.model_copy(update={"rounds": 2}), run, resume=True, steps=more, log=lambda s: None
    ).run()
    assert len(state.rounds) == 2 and [c for c in more.calls if c[0] == "train"] == [
        ("train", "round_1")
    ]
    other = config.model_copy(update={"base_model": "other"})
    with pytest.raises(ConfigError, match="another config"):
        BoostLoop(other, run, resume=True, steps=FakeSteps([0.2]), log=lambda s: None)


def test_report_without_baseline(tmp_path: Path) -> None:
    from mmcurate.boost.loop import BoostState

    path = write_report(BoostState(fingerprint="x", metric="accuracy"), tmp_path)
    assert "| round |" in path.read_text()

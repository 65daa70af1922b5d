"""The loop's bookkeeping with fake steps: stopping, resume, interrupted rounds, the report;
and the real score step (runner + VLM ops on the tiny model): the config's model settings
travel as op params in the round's recipe, never through the process environment.

The real training and evaluation run in tests/integration/test_boost_loop.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmcurate.boost.config import parse_boost_config
from mmcurate.boost.loop import (
    BoostLoop,
    ModelSpec,
    RealSteps,
    selection_change,
    stop_reason,
    write_report,
)
from mmcurate.errors import ConfigError
from mmcurate.ops import registry
from mmcurate.recipes import parse_recipe
from mmcurate.scorers.vlm import VlmCapabilityScorer, VlmStyler
from mmcurate.taxonomy import CAPABILITIES
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


# -- the real score step: model settings travel in the recipe, not the environment -------------

SETTINGS = {"device": "cpu", "dtype": "float32", "batch_size": 2, "cache": False}
CAPS = ["optical_character_recognition", "scene_understanding"]


@pytest.fixture
def real_config(tmp_path: Path, tiny_vlm: Path) -> Any:
    """A 2-sample pool, a one-item held-out set, one round, the tiny model, model settings."""
    from tests.helpers import make_pool

    make_pool(tmp_path / "pool", n=2)
    (tmp_path / "qa.jsonl").write_text(
        json.dumps({"id": "q0", "question": "What is shown?", "answer": "colour"}) + "\n"
    )
    raw = {
        "pool": "pool/pool.jsonl",
        "heldout": "qa.jsonl",
        "base_model": str(tiny_vlm),
        "rounds": 1,
        "scorer": {"capabilities": CAPS, "styler": "vlm", "max_text_chars": 300},
        "selector": {"method": "mmssr", "budget": 1, "params": {"threshold": -1}},
        "eval": {"baseline": False},
        "model": SETTINGS,
    }
    return parse_boost_config(raw, base_dir=tmp_path)


def test_score_steps_carry_the_model_settings(real_config: Any, tmp_path: Path) -> None:
    steps = RealSteps(real_config, tmp_path / "run", log=lambda s: None)
    served = ModelSpec("round_0", "vllm-server", "round_0-abc", "http://127.0.0.1:9", "a")
    scorer, styler = steps.score_steps(served)
    assert scorer["vlm_capability_scorer"] == {
        "backend": "vllm-server",
        "model": "round_0-abc",
        "url": "http://127.0.0.1:9",
        **SETTINGS,
        "mode": "one_pass",
        "max_text_chars": 300,
        "capabilities": sorted(CAPS, key=CAPABILITIES.index),  # taxonomy order
    }
    assert styler["vlm_styler"] == {
        "backend": "vllm-server",
        "model": "round_0-abc",
        "url": "http://127.0.0.1:9",
        **SETTINGS,
        "max_text_chars": 300,
    }
    # the heuristic round 0 has no model ops, hence no model settings
    lite = steps.score_steps(ModelSpec("heuristic", "heuristic"))
    used = {k for step in lite for params in step.values() for k in params or {}}
    assert [next(iter(step)) for step in lite] == [
        "lite_perception_mapper",
        "lite_capability_scorer",
        "rule_styler",
    ]
    assert not used & set(SETTINGS)


class ScoreAndSelectSteps(RealSteps):
    """The real steps for scoring (runner + VLM ops on the tiny model) and selection; the
    training and evaluation are fakes (they run for real in tests/integration)."""

    def train(self, scored: Path, ids: list[str], out_dir: Path) -> TrainResult:
        (out_dir / "adapter").mkdir()
        return TrainResult(
            adapter_dir=str(out_dir / "adapter"), base_model="base", steps=0, examples=len(ids)
        )

    def evaluate(self, spec: ModelSpec) -> dict[str, Any]:
        return {"accuracy": 0.5, "n": 1}


def test_a_round_passes_model_settings_as_op_params_and_leaves_the_environment_alone(
    real_config: Any, tmp_path: Path, clean_model_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mmcurate.models as models
    from mmcurate.models.config import resolve_config

    pytest.importorskip("xgrammar")
    seen: list[tuple[dict[str, str], Any]] = []

    def model_vars() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k.startswith("MMCURATE_")}

    def spy(overrides: Any = None, **kwargs: Any) -> Any:
        """Record the MMCURATE_* environment and the resolved config at each resolution."""
        config = resolve_config(overrides, **kwargs)
        seen.append((model_vars(), config))
        return config

    monkeypatch.setattr(models, "resolve_config", spy)
    run = tmp_path / "run"
    steps = ScoreAndSelectSteps(real_config, run, log=lambda s: None)
    state = BoostLoop(real_config, run, steps=steps, log=lambda s: None).run()

    assert len(state.rounds) == 1 and state.rounds[0].selected == 1
    assert model_vars() == {}  # nothing set, nothing left behind (clean_model_env: none before)
    # the ops' clients resolved the boost config's settings as arguments, with no MMCURATE_*
    # variable in the environment while they ran (the runner used one process: np 1)
    scoring = [(env, c) for env, c in seen if c.backend == "transformers"]
    assert len(scoring) == 2  # vlm_capability_scorer and vlm_styler
    for env, config in scoring:
        assert env == {}
        assert {k: getattr(config, k) for k in SETTINGS} == SETTINGS
        assert {config.source(k) for k in SETTINGS} == {"argument"}
    # the round's recipe carries them: `curate run` of it reproduces the scoring
    recipe = yaml.safe_load((run / "round_0" / "recipe.yaml").read_text())
    scorer, styler = (next(iter(step.values())) for step in recipe["score"]["process"])
    for params in (scorer, styler):
        assert {k: params[k] for k in SETTINGS} == SETTINGS
        assert params["backend"] == "transformers" and params["model"] == str(
            real_config.base_model
        )
    provenance = state.rounds[0].scorer["provenance"]
    assert provenance["scored"] == 2 and provenance["errored"] == 0
    # re-read as `curate run` would, the recipe's ops resolve the same settings (no model load)
    seen.clear()
    for step in parse_recipe(recipe["score"], source="recipe.yaml").process:
        op = registry.create(step.name, step.params)
        if isinstance(op, VlmCapabilityScorer | VlmStyler):
            config = op.calls.client.config
            assert {k: getattr(config, k) for k in SETTINGS} == SETTINGS
            op.calls.close()
    assert len(seen) == 2

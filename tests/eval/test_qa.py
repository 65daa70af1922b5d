"""QA evaluation: item validation, metrics, the judge, and the real tiny model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mmcurate.errors import ConfigError
from mmcurate.eval.qa import QAItem, evaluate, exact_match, load_qa, normalize, write_qa
from mmcurate.models import ModelClient
from mmcurate.models.backends.base import Backend
from mmcurate.models.config import ModelConfig
from mmcurate.models.types import GenerationConfig, RawOutput, Request
from tests.conftest import draw_test_image


class ScriptedBackend(Backend):
    """Answers from a table keyed by request key (a small fake for the metric logic)."""

    name = "scripted"
    cacheable = False

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__(ModelConfig(cache=False))
        self.answers = answers
        self.seen: list[Request] = []

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        self.seen += requests
        return [
            RawOutput(text=self.answers[r.key])
            if r.key in self.answers
            else RawOutput(error="boom")
            for r in requests
        ]


def client(answers: dict[str, str]) -> ModelClient:
    return ModelClient(ModelConfig(cache=False), backend=ScriptedBackend(answers))


ITEMS = [
    QAItem(id="m1", question="How many?", choices=["1", "2", "3"], answer="2"),
    QAItem(id="m2", question="Which?", choices=["cat", "dog"], answer="cat"),
    QAItem(id="o1", question="Title?", answer="Monthly Rainfall"),
    QAItem(id="o2", question="Sign?", answer="STOP"),
]


def test_normalize_and_exact_match() -> None:
    assert normalize("  The Monthly, rainfall! ") == "monthly rainfall"
    assert exact_match("monthly rainfall.", "Monthly Rainfall")
    assert not exact_match("rainfall", "Monthly Rainfall")
    assert not exact_match("", "")


def test_metrics_from_answers(tmp_path: Path) -> None:
    answers = {"m1": '{"answer": "B"}', "m2": '{"answer": "B"}', "o1": "the monthly rainfall"}
    rep = evaluate(ITEMS, tmp_path, client(answers))
    by_id = {r.id: r for r in rep.items}
    assert by_id["m1"].correct and by_id["m1"].prediction == "2"
    assert not by_id["m2"].correct and by_id["m2"].prediction == "dog"
    assert by_id["o1"].correct and by_id["o1"].exact
    assert by_id["o2"].error == "boom" and not by_id["o2"].correct
    assert (rep.n, rep.accuracy, rep.mc_accuracy, rep.exact_match, rep.errors) == (
        4,
        0.5,
        0.5,
        0.5,
        1,
    )
    assert rep.judge_accuracy is None and rep.model["backend"] == "scripted"


def test_multiple_choice_prompt_lists_lettered_options(tmp_path: Path) -> None:
    backend = ScriptedBackend({"m1": '{"answer": "A"}'})
    evaluate(ITEMS[:1], tmp_path, ModelClient(ModelConfig(cache=False), backend=backend))
    [req] = backend.seen
    text = req.messages[-1].parts()[-1].text  # type: ignore[union-attr]
    assert "A. 1\nB. 2\nC. 3" in text and req.prompt_id == "eval_answer"


def test_judge_decides_open_items(tmp_path: Path) -> None:
    answers = {"o1": "rain per month", "o2": "STOP"}
    verdicts = {
        "o1": '{"correct": true, "reason": "same meaning"}',
        "o2": '{"correct": false, "reason": "strict judge"}',
    }
    judge_backend = ScriptedBackend(verdicts)
    judge = ModelClient(ModelConfig(cache=False), backend=judge_backend)
    rep = evaluate(ITEMS[2:], tmp_path, client(answers), judge=judge)
    by_id = {r.id: r for r in rep.items}
    assert by_id["o1"].judged and not by_id["o1"].exact and by_id["o1"].correct
    assert by_id["o2"].exact and not by_id["o2"].judged and not by_id["o2"].correct
    assert rep.judge_accuracy == 0.5 and rep.exact_match == 0.5
    assert judge_backend.seen[0].prompt_id == "eval_judge"
    user = judge_backend.seen[0].messages[-1].parts()[-1].text  # type: ignore[union-attr]
    assert "Reference answer: Monthly Rainfall" in user and "rain per month" in user


def test_load_qa_errors_name_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    write_qa(ITEMS[:2], path)
    assert [it.id for it in load_qa(path)] == ["m1", "m2"]
    bad = {"id": "x", "question": "Q", "choices": ["a", "b"], "answer": "c"}
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(ConfigError, match=r"qa.jsonl:1: .*not one of the choices"):
        load_qa(path)
    path.write_text('{"id": "x", "answer": "a"}\n')
    with pytest.raises(ConfigError, match=r":1: field question"):
        load_qa(path)
    path.write_text(ITEMS[0].model_dump_json() + "\n" + ITEMS[0].model_dump_json() + "\n")
    with pytest.raises(ConfigError, match=":2: duplicate id"):
        load_qa(path)
    with pytest.raises(ConfigError, match="not found"):
        load_qa(tmp_path / "missing.jsonl")


def test_real_tiny_model_answers_only_offered_options(tiny_vlm: Path, tmp_path: Path) -> None:
    pytest.importorskip("xgrammar")
    from mmcurate.models import get_client

    draw_test_image("red", (96, 80)).save(tmp_path / "a.png")
    items = [
        QAItem(
            id="q1", images=["a.png"], question="Colour?", choices=["red", "blue"], answer="red"
        ),
        QAItem(
            id="q2", images=["a.png"], question="Count?", choices=["1", "2", "3", "4"], answer="1"
        ),
        QAItem(id="q3", images=["a.png"], question="What does it say?", answer="Hello VLM"),
    ]
    model = get_client(backend="transformers", model=str(tiny_vlm), device="cpu", cache=False)
    rep = evaluate(items, tmp_path, model, max_tokens=8)
    assert rep.errors == 0 and rep.model["model"] == str(tiny_vlm)
    for item, res in zip(items[:2], rep.items[:2], strict=True):
        assert res.prediction in (item.choices or [])  # constrained to the offered letters
    assert rep.items[2].kind == "open" and rep.items[2].prediction is not None

"""The deterministic planner and the clamping of VLM answers (pure logic)."""

from __future__ import annotations

from mmcurate.agent import planner
from mmcurate.agent.state import Targets, clamp_targets


def test_request_to_targets_by_cues() -> None:
    t, _ = planner.navigate("find diverse OCR-heavy samples", [], None, 100, use_embeddings=False)
    assert t.capabilities == ["optical_character_recognition"]
    assert t.diversity and t.strict and t.selector == "mmssr" and t.budget == 100
    assert "no VLM configured" in t.rationale


def test_followups_change_targets() -> None:
    t, _ = planner.navigate(
        "find diverse OCR-heavy samples",
        ["fewer charts", "add multi-choice", "budget 500"],
        50,
        100,
        use_embeddings=False,
    )
    assert t.avoid == ["data_understanding"]
    assert t.styles == ["multi-choice"] and t.budget == 500


def test_budget_forms() -> None:
    assert planner.parse_budget("budget 500") == 500
    assert planner.parse_budget("give me 2k samples") == 2000
    assert planner.parse_budget("budget: 1,200 then budget 30") == 30
    assert planner.parse_budget("find charts") is None


def test_embedding_fallback_maps_a_paraphrase() -> None:
    t, notes = planner.navigate("pictures where you must read printed words", [], None, 10)
    assert "optical_character_recognition" in t.capabilities
    assert any("MiniLM" in n for n in notes)


def test_clamp_drops_unknown_names_with_findings() -> None:
    raw = Targets(
        capabilities=["ocr", "optical_character_recognition", "zzz"],
        styles=["multi-choice", "haiku"],
        avoid=["optical_character_recognition"],
    )
    t, findings = clamp_targets(raw)
    assert t.capabilities == ["optical_character_recognition"]
    assert t.styles == ["multi-choice"] and t.avoid == []
    assert len(findings) == 3 and all("ignored unknown" in f for f in findings)


def test_analyzer_lowers_threshold_when_budget_unmet_and_stops_on_repeat() -> None:
    targets = Targets(capabilities=["optical_character_recognition"], budget=10, diversity=True)
    knobs = {"threshold": 3.0, "selector": "mmssr", "budget": 10}
    result = {"rows": 7, "budget": 10, "primary": "optical_character_recognition",
              "candidates": 7, "relevant_share": 1.0, "styles_covered": ["yes/no"],
              "styles_available": ["yes/no"]}  # fmt: skip
    a = planner.analyze(result, targets, knobs, [knobs])
    assert a.decision == "refine" and a.threshold_delta == -0.5
    tried = {**knobs, "threshold": 2.5}
    a = planner.analyze(result, targets, knobs, [knobs, tried])
    assert a.decision == "stop"


def test_analyzer_switches_to_style_balanced_selection() -> None:
    targets = Targets(capabilities=["optical_character_recognition"], budget=5, diversity=True)
    knobs = {"threshold": 2.0, "selector": "topk", "budget": 5}
    styles = ["yes/no", "multi-choice", "coordinate", "comparison", "specified style"]
    result = {"rows": 5, "budget": 5, "primary": "optical_character_recognition",
              "candidates": 40, "relevant_share": 1.0, "styles_covered": styles[:2],
              "styles_available": styles}  # fmt: skip
    a = planner.analyze(result, targets, knobs, [knobs])
    assert a.decision == "refine" and a.selector == "mmssr"

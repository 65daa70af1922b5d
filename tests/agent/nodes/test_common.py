"""Helpers the nodes share: filling what a VLM answer left out."""

from __future__ import annotations

from mmcurate.agent.nodes.common import fill_unset, vlm_fallback, vlm_used
from mmcurate.agent.state import Analysis, Targets


def test_fill_unset_takes_only_the_fields_the_answer_left_out() -> None:
    planner = Targets(capabilities=["stem_knowledge"], diversity=True, strict=True, budget=7)
    answer = Targets.model_validate_json('{"strict": false, "selector": "topk"}')
    merged, missing = fill_unset(answer, planner)
    assert merged.strict is False and merged.selector == "topk"  # given: the VLM's
    assert merged.diversity is True and merged.capabilities == ["stem_knowledge"]
    assert merged.budget == 7
    assert set(missing) == {"capabilities", "styles", "avoid", "budget", "diversity", "rationale"}


def test_fill_unset_of_an_empty_answer_is_the_fallback_and_a_full_one_is_itself() -> None:
    rules = Analysis(decision="refine", threshold_delta=-0.5, findings=["budget not met"])
    merged, missing = fill_unset(Analysis.model_validate_json("{}"), rules)
    assert merged == rules and len(missing) == len(Analysis.model_fields)
    full = Analysis(decision="stop", threshold_delta=0.0, selector="keep", findings=[])
    assert fill_unset(full, rules) == (full, [])


def test_transcript_notes_name_the_prompt_and_the_error() -> None:
    assert vlm_used("agent_navigator.v1", "x") == "VLM answer used (agent_navigator.v1: x)"
    note = vlm_fallback("agent_analyzer.v1", "HTTP 400: bad", "the planner's rules")
    assert note == "VLM answer unusable (agent_analyzer.v1: HTTP 400: bad); the planner's rules"

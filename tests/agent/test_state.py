"""The role schemas: registered for the agent prompts, bounded for xgrammar, clamped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from mmcurate.agent.context import PROMPTS, AgentSettings
from mmcurate.agent.state import Analysis, Facts, ReportText, Targets, clamp_targets
from mmcurate.errors import ConfigError
from mmcurate.prompts import load_prompt
from mmcurate.prompts.schemas import MAX_PATTERN_REPEAT, get_output_schema

ROLE_SCHEMAS: dict[str, type[BaseModel]] = {
    "navigator": Targets,
    "extractor": Facts,
    "analyzer": Analysis,
    "visualizer": ReportText,
}


@pytest.mark.parametrize("role", sorted(ROLE_SCHEMAS))
def test_each_agent_prompt_declares_its_role_schema(role: str) -> None:
    prompt = load_prompt(PROMPTS[role])
    assert prompt.output_schema is not None
    assert prompt.output_schema_model() is ROLE_SCHEMAS[role]
    assert get_output_schema(prompt.output_schema) is ROLE_SCHEMAS[role]


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for v in node.values() for p in _patterns(v)]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v)]
    return []


@pytest.mark.parametrize("schema", list(ROLE_SCHEMAS.values()), ids=lambda s: s.__name__)
def test_every_text_field_is_pattern_bounded_within_the_xgrammar_limit(
    schema: type[BaseModel],
) -> None:
    js = schema.model_json_schema()
    patterns = _patterns(js)
    assert patterns  # free text exists and is bounded
    for p in patterns:
        bounds = [int(m[1]) for m in re.finditer(r"\{\d+,(\d+)\}", p)]
        assert bounds and max(bounds) <= MAX_PATTERN_REPEAT, p
    # every string (or list of strings) property carries a pattern
    for name, prop in js["properties"].items():
        item = prop.get("items", prop)
        if item.get("type") == "string" and "enum" not in item:
            assert "pattern" in item, name


def test_text_fields_reject_control_characters_quotes_and_overlong_text() -> None:
    with pytest.raises(ValidationError):
        ReportText(headline="x" * (MAX_PATTERN_REPEAT + 1))
    with pytest.raises(ValidationError):
        Facts(ocr_text='say "hi"')
    with pytest.raises(ValidationError):
        Analysis(findings=["line\nbreak"])
    with pytest.raises(ValidationError):
        Targets(capabilities=[""])
    assert ReportText(headline="").headline == ""  # optional text may be empty


def test_clamp_targets_drops_unknown_names_with_findings() -> None:
    t = Targets(
        capabilities=["zzz", "optical_character_recognition", "stem_knowledge"],
        styles=["multi-choice", "haiku"],
        avoid=["stem_knowledge", "data_understanding", "qqq"],
    )
    clamped, findings = clamp_targets(t)
    # the answer's order is kept: the first capability is the primary (score_filter) target
    assert clamped.capabilities == ["optical_character_recognition", "stem_knowledge"]
    assert clamped.styles == ["multi-choice"]
    assert clamped.avoid == ["data_understanding"]  # a wanted capability is never avoided
    assert len(findings) == 3 and all("ignored unknown" in f for f in findings)
    assert any("'haiku'" in f for f in findings)


def test_ask_refuses_a_prompt_whose_schema_is_not_the_roles(tmp_path: Any) -> None:
    from mmcurate.agent.llm import ask

    settings = AgentSettings(data="d", out=str(tmp_path), vlm_url="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="agent_targets"):
        ask(settings, "navigator", {}, Facts)


@pytest.mark.parametrize("schema", list(ROLE_SCHEMAS.values()), ids=lambda s: s.__name__)
def test_the_model_must_give_every_field_but_python_callers_may_omit_them(
    schema: type[BaseModel],
) -> None:
    from mmcurate.models.client import json_schema_of

    js = json_schema_of(schema)  # what constrained decoding gets
    assert set(js["required"]) == set(js["properties"]) == set(schema.model_fields)
    assert schema.model_validate({}).model_fields_set == set()  # the planner may omit fields

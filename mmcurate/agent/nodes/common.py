"""Helpers the nodes share."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel

from mmcurate.agent.context import DETERMINISTIC, AgentSettings
from mmcurate.agent.state import AgentState, Turn


def settings_of(state: AgentState) -> AgentSettings:
    """The session's settings from the state."""
    return AgentSettings.model_validate(state["settings"])


def turn(role: str, text: str, settings: AgentSettings | None = None) -> Turn:
    """A transcript entry; role answers say who answered (VLM or deterministic planner)."""
    if settings is not None and role in ("navigator", "extractor", "analyzer", "visualizer"):
        who = f"VLM at {settings.vlm_url}" if settings.uses_vlm else DETERMINISTIC
        text = f"[{who}] {text}"
    return Turn(role=role, text=text)


M = TypeVar("M", bound=BaseModel)


def fill_unset(answer: M, fallback: M) -> tuple[M, list[str]]:
    """``answer`` with the fields it did not give taken from ``fallback``.

    A schema-valid answer may leave out fields that have defaults (``{}`` is valid); those
    defaults are not the VLM's opinion, so the planner's values stand in for them.

    Returns:
        The merged answer and the names of the fields taken from ``fallback``.
    """
    missing = [f for f in type(answer).model_fields if f not in answer.model_fields_set]
    merged = answer.model_copy(update={f: getattr(fallback, f) for f in missing})
    return merged, missing


def vlm_used(ref: str, what: str = "") -> str:
    """Transcript note: the role's VLM answer (prompt ``ref``) was used."""
    return f"VLM answer used ({ref}{': ' + what if what else ''})"


def vlm_fallback(ref: str, error: str | None, instead: str) -> str:
    """Transcript note: the VLM answer was unusable, why, and what was used instead."""
    return f"VLM answer unusable ({ref}: {error or 'no answer'}); {instead}"


def compact(value: Any, limit: int = 1500) -> str:
    """Short JSON for prompts and the transcript."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)[:limit]

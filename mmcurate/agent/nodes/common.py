"""Helpers the nodes share."""

from __future__ import annotations

import json
from typing import Any

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


def compact(value: Any, limit: int = 1500) -> str:
    """Short JSON for prompts and the transcript."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)[:limit]

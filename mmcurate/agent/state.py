"""Input, state and output of the agent graph; the role schemas, re-exported.

The role schemas (:class:`Targets`, :class:`Facts`, :class:`Analysis`, :class:`ReportText`)
live in :mod:`mmcurate.prompts.schemas` (registered as ``agent_targets``, ``agent_facts``,
``agent_analysis``, ``agent_report_text``, the ``output_schema`` of the agent prompt files).
They are what a VLM must answer (structured output through :mod:`mmcurate.models`) and what
the deterministic planner returns. Free-text fields are bounded (at most 128 characters, the
xgrammar repeat limit) so constrained decoding compiles and stays short. A VLM answer is
validated and then clamped to known names (:func:`clamp_names`): an unknown capability,
style or selector is dropped with a finding, so a meaningless answer cannot break the graph.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from mmcurate.prompts.schemas import AGENT_SELECTORS as SELECTORS
from mmcurate.prompts.schemas import MAX_PATTERN_REPEAT, Analysis, Facts, ReportText, Targets
from mmcurate.prompts.schemas import AgentSelector as Selector
from mmcurate.taxonomy import CAPABILITIES, STYLES

#: Longest free-text field of the role schemas (planner answers are cut to it).
TEXT_MAX = MAX_PATTERN_REPEAT


def clamp_names(
    values: list[str], known: tuple[str, ...], what: str
) -> tuple[list[str], list[str]]:
    """Keep known names in the answer's order (the first capability is the primary target),
    deduplicated; a finding for each unknown name."""
    wanted = list(dict.fromkeys(v.strip() for v in values))
    kept = [v for v in wanted if v in known]
    dropped = sorted(set(wanted) - set(known))
    findings = [
        f"ignored unknown {what} {name!r} (not one of the known {what}s)" for name in dropped
    ]
    return kept, findings


def clamp_targets(t: Targets) -> tuple[Targets, list[str]]:
    """``t`` with unknown capability/style names dropped, and a finding per dropped name."""
    caps, f1 = clamp_names(t.capabilities, CAPABILITIES, "capability")
    styles, f2 = clamp_names(t.styles, STYLES, "style")
    avoid, f3 = clamp_names(t.avoid, CAPABILITIES, "capability")
    avoid = [a for a in avoid if a not in caps]
    return t.model_copy(update={"capabilities": caps, "styles": styles, "avoid": avoid}), [
        *f1,
        *f2,
        *f3,
    ]


class Turn(TypedDict):
    """One transcript entry: who said what."""

    role: str
    text: str


class AgentState(TypedDict, total=False):
    """The graph's state (plain JSON values, so the SQLite checkpointer stores it).

    Keys: ``settings`` (:class:`~mmcurate.agent.context.AgentSettings` as a dict),
    ``request`` and ``followups`` (the user's words), ``targets`` (:class:`Targets`),
    ``pool`` (the scored pool: path, profile), ``facts`` (extractor answers), ``knobs``
    (threshold, selector of the current round), ``recipe`` (the full recipe as a dict),
    ``select_recipe`` (the round's recipe on the scored pool), ``result`` (the last run's
    statistics), ``history`` (one entry per round), ``analysis``
    (:class:`Analysis`), ``iteration``, ``transcript`` (appended by every node), ``outputs``
    (paths of the final files).
    """

    settings: dict[str, Any]
    request: str
    followups: list[str]
    targets: dict[str, Any]
    pool: dict[str, Any]
    facts: list[dict[str, Any]]
    knobs: dict[str, Any]
    recipe: dict[str, Any]
    select_recipe: dict[str, Any]
    result: dict[str, Any]
    history: list[dict[str, Any]]
    analysis: dict[str, Any]
    iteration: int
    transcript: Annotated[list[Turn], operator.add]
    outputs: dict[str, str]


class AgentInput(TypedDict, total=False):
    """What a caller passes to start (or continue) a session: the user's turn is appended to
    the transcript."""

    settings: dict[str, Any]
    request: str
    followups: list[str]
    transcript: list[Turn]


class AgentOutput(TypedDict, total=False):
    """What a finished session hands back."""

    outputs: dict[str, str]
    targets: dict[str, Any]
    result: dict[str, Any]
    history: list[dict[str, Any]]
    transcript: list[Turn]


__all__ = [
    "SELECTORS",
    "TEXT_MAX",
    "AgentInput",
    "AgentOutput",
    "AgentState",
    "Analysis",
    "Facts",
    "ReportText",
    "Selector",
    "Targets",
    "Turn",
    "clamp_names",
    "clamp_targets",
]

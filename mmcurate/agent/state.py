"""Input, state and output of the agent graph, and one pydantic output schema per role.

The role schemas are what a VLM must answer (structured output through
:mod:`mmcurate.models`) and what the deterministic planner returns. Free-text fields are
bounded (:func:`text`) so constrained decoding stays short. A VLM answer is validated and
then clamped to known names (:func:`clamp_names`): an unknown capability, style or selector
is dropped with a finding, so a meaningless answer cannot break the graph.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from mmcurate.taxonomy import CAPABILITIES, STYLES

#: Selectors the agent may put in a recipe (registered ``<name>_selector`` ops).
SELECTORS: tuple[str, ...] = ("mmssr", "kcenter", "cluster_balanced", "topk", "random")
Selector = Literal["mmssr", "kcenter", "cluster_balanced", "topk", "random"]


def text(max_len: int, min_len: int = 0) -> Any:
    """A bounded single-line text field (no control characters, quotes or backslashes)."""
    return Field(
        default="" if min_len == 0 else ...,
        pattern=rf'^[^\x00-\x1f\\"]{{{min_len},{max_len}}}$',
    )


class Targets(BaseModel):
    """Navigator's answer: what the request asks for.

    Attributes:
        capabilities: Capability keys to favour (``mmcurate.taxonomy.CAPABILITIES``).
        styles: Interaction styles wanted in the result (``STYLES``).
        avoid: Capability keys to have less of ("fewer charts").
        budget: Rows to select, when the request says.
        diversity: Whether the request asks for variety (styles, content).
        strict: Whether it asks for strongly matching samples ("OCR-heavy").
        selector: Selection method.
        rationale: One line on why.
    """

    model_config = ConfigDict(extra="forbid")

    capabilities: list[str] = Field(default_factory=list, max_length=14)
    styles: list[str] = Field(default_factory=list, max_length=9)
    avoid: list[str] = Field(default_factory=list, max_length=14)
    budget: int | None = Field(default=None, ge=1, le=100_000_000)
    diversity: bool = False
    strict: bool = False
    selector: Selector = "mmssr"
    rationale: str = text(200)


class Facts(BaseModel):
    """Extractor's answer about one sample: text in the image, objects, tags."""

    model_config = ConfigDict(extra="forbid")

    ocr_text: str = text(200)
    objects: list[str] = Field(default_factory=list, max_length=8)
    tags: list[str] = Field(default_factory=list, max_length=8)


class Analysis(BaseModel):
    """Analyzer's answer: findings about a result and whether to refine.

    Attributes:
        decision: ``refine`` (change the recipe and run again) or ``stop``.
        threshold_delta: Change of the score threshold (-2..2) when refining.
        selector: Selector for the next round (``keep``: unchanged).
        findings: Short statements about the result against the targets.
    """

    model_config = ConfigDict(extra="forbid")

    decision: Literal["refine", "stop"] = "stop"
    threshold_delta: float = Field(default=0.0, ge=-2.0, le=2.0)
    selector: Literal["keep", "mmssr", "kcenter", "cluster_balanced", "topk", "random"] = "keep"
    findings: list[str] = Field(default_factory=list, max_length=8)


class ReportText(BaseModel):
    """Visualizer's answer: the report's headline and highlights."""

    model_config = ConfigDict(extra="forbid")

    headline: str = text(200)
    highlights: list[str] = Field(default_factory=list, max_length=6)


def clamp_names(
    values: list[str], known: tuple[str, ...], what: str
) -> tuple[list[str], list[str]]:
    """Keep known names (in ``known``'s order, deduplicated); findings for the rest."""
    wanted = {v.strip() for v in values}
    kept = [k for k in known if k in wanted]
    dropped = sorted(wanted - set(known))
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
    """What a caller passes to start (or continue) a session."""

    settings: dict[str, Any]
    request: str
    followups: list[str]


class AgentOutput(TypedDict, total=False):
    """What a finished session hands back."""

    outputs: dict[str, str]
    targets: dict[str, Any]
    result: dict[str, Any]
    history: list[dict[str, Any]]
    transcript: list[Turn]

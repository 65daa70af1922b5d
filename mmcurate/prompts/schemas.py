"""Output schemas that prompt files refer to by name (``output_schema: <name>``).

Names, not import paths, so a prompt file survives refactors (CONVENTIONS point 5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from mmcurate.errors import ConfigError
from mmcurate.taxonomy import CAPABILITIES, STYLES

_schemas: dict[str, type[BaseModel]] = {}


#: Longest bound :func:`printable` allows: xgrammar 0.2.8 (vLLM 0.32's default structured
#: output backend) fails to compile ``{1,n}`` repeats with n > 128 ("per_rule_fsm_hashes").
MAX_PATTERN_REPEAT = 128


def printable(max_len: int) -> str:
    """A ``pattern`` for 1..max_len characters, none a control character, ``\\`` or ``"``.

    Under constrained decoding (xgrammar, in vLLM and in the transformers backend) a bare
    string admits raw control characters, which no JSON parser accepts, and ``maxLength``
    next to a ``pattern`` is not supported; this pattern carries both rules. Use it for short
    free-text fields of output schemas.

    Raises:
        ValueError: ``max_len`` is outside 1..:data:`MAX_PATTERN_REPEAT`.
    """
    if not 1 <= max_len <= MAX_PATTERN_REPEAT:
        raise ValueError(f"max_len must be 1..{MAX_PATTERN_REPEAT} (xgrammar limit), not {max_len}")
    return rf'^[^\x00-\x1f\\"]{{1,{max_len}}}$'


def register_output_schema(name: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Register a pydantic model as the output schema ``name`` (a class decorator).

    Raises:
        ValueError: ``name`` is already registered to another class.
    """

    def deco(cls: type[BaseModel]) -> type[BaseModel]:
        if name in _schemas and _schemas[name] is not cls:
            raise ValueError(f"output schema {name!r} is already registered")
        _schemas[name] = cls
        return cls

    return deco


def get_output_schema(name: str) -> type[BaseModel]:
    """The model registered as ``name``.

    Raises:
        ConfigError: No such schema (the message lists the registered ones).
    """
    try:
        return _schemas[name]
    except KeyError:
        valid = ", ".join(sorted(_schemas)) or "none"
        raise ConfigError(f"unknown output schema {name!r}; registered: {valid}") from None


def output_schema_names() -> list[str]:
    """Registered schema names, sorted."""
    return sorted(_schemas)


@register_output_schema("image_description")
class ImageDescription(BaseModel):
    """Answer of ``describe_image``: a caption and two checkable facts."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field(min_length=1, max_length=120, pattern=printable(120))
    has_text: bool
    num_objects: int = Field(ge=0, le=9)


# -- capability scorers and styler (mmcurate.scorers.vlm) ------------------------------------
# Field names come from mmcurate.taxonomy, never typed by hand a second time.

#: An mmSSR capability score: an integer 0-5 (how helpful for training that capability).
CapabilityRating = Annotated[int, Field(ge=0, le=5)]


def capability_scores_model(capabilities: Sequence[str] | None = None) -> type[BaseModel]:
    """The one-pass output model: one ``int`` field (0-5) per capability, in taxonomy order.

    Args:
        capabilities: A subset of :data:`mmcurate.taxonomy.CAPABILITIES` (``None``: all 14,
            which returns the registered :class:`CapabilityScores`).

    Raises:
        ValueError: An unknown capability key (the message lists the valid ones).
    """
    wanted = tuple(CAPABILITIES) if capabilities is None else tuple(capabilities)
    unknown = sorted(set(wanted) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; valid: {', '.join(CAPABILITIES)}")
    ordered = tuple(c for c in CAPABILITIES if c in wanted)
    return _capability_scores_model(ordered)


@cache
def _capability_scores_model(ordered: tuple[str, ...]) -> type[BaseModel]:
    name = "CapabilityScores" if ordered == CAPABILITIES else "CapabilityScoresSubset"
    fields: dict[str, Any] = {c: (CapabilityRating, ...) for c in ordered}
    model: type[BaseModel] = create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        __doc__="Answer of ``capability_scores``: an integer 0-5 per capability.",
        **fields,
    )
    return model


#: Answer of ``capability_scores``: all 14 capability scores of one sample.
CapabilityScores = register_output_schema("capability_scores")(capability_scores_model())


@register_output_schema("capability_score")
class CapabilityScore(BaseModel):
    """Answer of ``capability_score``: one capability's score (the per-capability pass)."""

    model_config = ConfigDict(extra="forbid")

    score: CapabilityRating


#: One interaction-style label (mmcurate.taxonomy.STYLES).
StyleLabel = Literal[STYLES]  # type: ignore[valid-type]


@register_output_schema("interaction_styles")
class InteractionStyles(BaseModel):
    """Answer of ``interaction_styles``: the styles a sample has (1-9 labels, no repeats).

    Repeated labels (constrained decoding cannot forbid them) are dropped, keeping the
    taxonomy order.
    """

    model_config = ConfigDict(extra="forbid")

    styles: list[StyleLabel] = Field(min_length=1, max_length=len(STYLES))

    @field_validator("styles")
    @classmethod
    def _unique_in_taxonomy_order(cls, value: list[str]) -> list[str]:
        return [s for s in STYLES if s in value]


# -- ImgDiff synthesis (mmcurate.synth) ------------------------------------------------------


@register_output_schema("imgdiff_region_caption")
class RegionCaption(BaseModel):
    """Answer of ``imgdiff_region_caption``: the object in one cropped region."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field(min_length=1, max_length=80, pattern=printable(80))
    has_object: bool


@register_output_schema("imgdiff_difference")
class DifferenceCaption(BaseModel):
    """Answer of ``imgdiff_difference``: what differs inside the red box."""

    model_config = ConfigDict(extra="forbid")

    difference: str = Field(min_length=1, max_length=128, pattern=printable(128))


@register_output_schema("imgdiff_object_swap")
class ObjectSwap(BaseModel):
    """Answer of ``imgdiff_object_swap``: one object replaced in a caption."""

    model_config = ConfigDict(extra="forbid")

    original_object: str = Field(min_length=1, max_length=40, pattern=printable(40))
    new_object: str = Field(min_length=1, max_length=40, pattern=printable(40))
    new_caption: str = Field(min_length=1, max_length=128, pattern=printable(128))


# -- curation agent (mmcurate.agent; re-exported by mmcurate.agent.state) --------------------
# One answer schema per role (prompts agent_<role>.v1.yaml). Free text is bounded to at most
# MAX_PATTERN_REPEAT characters (xgrammar); the agent clamps names to the taxonomy afterwards.

#: Selectors the agent may put in a recipe (registered ``<name>_selector`` ops).
AGENT_SELECTORS: tuple[str, ...] = ("mmssr", "kcenter", "cluster_balanced", "topk", "random")
AgentSelector = Literal["mmssr", "kcenter", "cluster_balanced", "topk", "random"]


def optional_text(max_len: int) -> Any:
    """A bounded single-line text field that may be empty (default ``""``).

    Same character rule as :func:`printable` (no control characters, ``\\`` or ``"``).

    Raises:
        ValueError: ``max_len`` is outside 1..:data:`MAX_PATTERN_REPEAT`.
    """
    if not 1 <= max_len <= MAX_PATTERN_REPEAT:
        raise ValueError(f"max_len must be 1..{MAX_PATTERN_REPEAT} (xgrammar limit), not {max_len}")
    return Field(default="", pattern=rf'^[^\x00-\x1f\\"]{{0,{max_len}}}$')


def _all_required(schema: dict[str, Any]) -> None:
    schema["required"] = list(schema.get("properties", {}))


#: Agent answer models: every field is required in the JSON schema sent to the model, so
#: constrained decoding emits all of them (``{}`` is not an answer); Python callers (the
#: deterministic planner) may still leave fields at their defaults.
AGENT_MODEL_CONFIG = ConfigDict(extra="forbid", json_schema_extra=_all_required)

#: A short non-empty line (list items of the agent schemas).
AgentLine = Annotated[str, Field(pattern=printable(MAX_PATTERN_REPEAT))]
#: A short name or tag.
AgentName = Annotated[str, Field(pattern=printable(60))]


@register_output_schema("agent_targets")
class Targets(BaseModel):
    """Answer of ``agent_navigator``: what the request asks for.

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

    model_config = AGENT_MODEL_CONFIG

    capabilities: list[AgentName] = Field(default_factory=list, max_length=14)
    styles: list[AgentName] = Field(default_factory=list, max_length=9)
    avoid: list[AgentName] = Field(default_factory=list, max_length=14)
    budget: int | None = Field(default=None, ge=1, le=100_000_000)
    diversity: bool = False
    strict: bool = False
    selector: AgentSelector = "mmssr"
    rationale: str = optional_text(MAX_PATTERN_REPEAT)


@register_output_schema("agent_facts")
class Facts(BaseModel):
    """Answer of ``agent_extractor`` about one sample: text in the image, objects, tags."""

    model_config = AGENT_MODEL_CONFIG

    ocr_text: str = optional_text(MAX_PATTERN_REPEAT)
    objects: list[AgentName] = Field(default_factory=list, max_length=8)
    tags: list[AgentName] = Field(default_factory=list, max_length=8)


@register_output_schema("agent_analysis")
class Analysis(BaseModel):
    """Answer of ``agent_analyzer``: findings about a result and whether to refine.

    Attributes:
        decision: ``refine`` (change the recipe and run again) or ``stop``.
        threshold_delta: Change of the score threshold (-2..2) when refining.
        selector: Selector for the next round (``keep``: unchanged).
        findings: Short statements about the result against the targets.
    """

    model_config = AGENT_MODEL_CONFIG

    decision: Literal["refine", "stop"] = "stop"
    threshold_delta: float = Field(default=0.0, ge=-2.0, le=2.0)
    selector: Literal["keep", "mmssr", "kcenter", "cluster_balanced", "topk", "random"] = "keep"
    findings: list[AgentLine] = Field(default_factory=list, max_length=8)


@register_output_schema("agent_report_text")
class ReportText(BaseModel):
    """Answer of ``agent_visualizer``: the report's headline and highlights."""

    model_config = AGENT_MODEL_CONFIG

    headline: str = optional_text(MAX_PATTERN_REPEAT)
    highlights: list[AgentLine] = Field(default_factory=list, max_length=6)

"""The mmSSR capability and interaction-style vocabularies (arXiv 2503.13383).

Capability keys are snake_case and are the keys of ``Sample.scores``; style labels are the
exact strings stored in ``Sample.styles``.
"""

from __future__ import annotations

CAPABILITIES: tuple[str, ...] = (
    "object_spatial_understanding",
    "attribute_identification",
    "logical_deduction",
    "scene_understanding",
    "fine_grained_recognition",
    "language_generation",
    "in_context_learning",
    "comparative_analysis",
    "activity_recognition",
    "causal_reasoning",
    "humanities",
    "stem_knowledge",
    "data_understanding",
    "optical_character_recognition",
)

STYLES: tuple[str, ...] = (
    "multi-choice",
    "coordinate",
    "yes/no",
    "word/short-phrase",
    "short description",
    "detailed description",
    "comparison",
    "chain-of-thought (step-by-step)",
    "specified style",
)


def check_capabilities(value: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Validate an optional capability subset; returns it in taxonomy order.

    Raises:
        ValueError: an empty subset or unknown keys (the message lists the valid ones).
    """
    if value is None:
        return None
    if not value:
        raise ValueError("give at least one capability, or leave it unset for all 14")
    unknown = sorted(set(value) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; valid: {', '.join(CAPABILITIES)}")
    return tuple(c for c in CAPABILITIES if c in value)

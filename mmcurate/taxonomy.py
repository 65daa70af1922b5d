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

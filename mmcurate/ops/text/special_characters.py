"""Special-character ratio filter (Data-Juicer ``special_characters_filter`` semantics)."""

from __future__ import annotations

from typing import cast

from pydantic import Field

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.chars import SPECIAL_CHARACTERS
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason
from mmcurate.sample import Sample, StatValue

#: The ASCII special characters as bytes (deleted to count them fast).
_ASCII_SPECIAL = bytes(c for c in range(128) if chr(c) in SPECIAL_CHARACTERS)


class SpecialCharactersParams(DJRangeParams):
    """Parameters of ``special_characters_filter``."""

    min_ratio: float = Field(0.0, description="Minimum special-character ratio (inclusive).")
    max_ratio: float = Field(0.25, description="Maximum special-character ratio (inclusive).")


@register("special_characters_filter")
class SpecialCharactersFilter(Filter[SpecialCharactersParams]):
    """Keep samples whose share of special characters (punctuation, digits, emoji) is in range."""

    Params = SpecialCharactersParams

    stats = {"special_char_ratio": float}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {"special_char_ratio": special_char_ratio(self.text(sample))}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(float, stats["special_char_ratio"])
        return dj_range_reason(
            "special_char_ratio", value, p.min_ratio, p.max_ratio, "min_ratio", "max_ratio", p
        )


def special_char_ratio(text: str) -> float:
    """Characters in :data:`SPECIAL_CHARACTERS` over all characters (0.0 if empty)."""
    if not text:
        return 0.0
    if text.isascii():
        special = len(text) - len(text.encode("ascii").translate(None, _ASCII_SPECIAL))
    else:
        special = sum(map(SPECIAL_CHARACTERS.__contains__, text))
    return special / len(text)

"""Text length filter (Data-Juicer ``text_length_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import cast

from pydantic import Field

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason
from mmcurate.sample import Sample, StatValue


class TextLengthParams(DJRangeParams):
    """Parameters of ``text_length_filter``."""

    min_len: int = Field(10, ge=0, description="Minimum number of characters (inclusive).")
    max_len: int = Field(sys.maxsize, ge=0, description="Maximum number of characters.")


@register("text_length_filter")
class TextLengthFilter(Filter[TextLengthParams]):
    """Keep samples whose text length (characters, all turns) is within [min_len, max_len]."""

    Params = TextLengthParams

    stats = {"text_len": int}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {"text_len": len(self.text(sample))}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(int, stats["text_len"])
        return dj_range_reason("text_len", value, p.min_len, p.max_len, "min_len", "max_len", p)

"""Line length filters (Data-Juicer ``average_line_length_filter`` and
``maximum_line_length_filter`` semantics).

Lines are ``str.splitlines()`` (``\\n``, ``\\r``, ``\\r\\n``, ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``,
``\\x85``, ``\\u2028``, ``\\u2029`` all break lines), as in Data-Juicer.
"""

from __future__ import annotations

import sys
from typing import cast

from pydantic import Field

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason
from mmcurate.sample import Sample, StatValue


class LineLengthParams(DJRangeParams):
    """Parameters of ``average_line_length_filter`` and ``maximum_line_length_filter``."""

    min_len: int = Field(10, description="Minimum line length in characters (inclusive).")
    max_len: int = Field(sys.maxsize, description="Maximum line length in characters (inclusive).")


@register("average_line_length_filter")
class AverageLineLengthFilter(Filter[LineLengthParams]):
    """Keep samples whose average line length (text length / number of lines) is in range."""

    Params = LineLengthParams

    stats = {"avg_line_length": float}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        text = self.text(sample)
        n_lines = len(text.splitlines())
        return {"avg_line_length": len(text) / n_lines if n_lines else 0.0}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(float, stats["avg_line_length"])
        return dj_range_reason(
            "avg_line_length", value, p.min_len, p.max_len, "min_len", "max_len", p
        )


@register("maximum_line_length_filter")
class MaximumLineLengthFilter(Filter[LineLengthParams]):
    """Keep samples whose longest line (characters) is in range."""

    Params = LineLengthParams

    stats = {"max_line_length": int}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        lines = self.text(sample).splitlines()
        return {"max_line_length": max(map(len, lines)) if lines else 0}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(int, stats["max_line_length"])
        return dj_range_reason(
            "max_line_length", value, p.min_len, p.max_len, "min_len", "max_len", p
        )

"""Video aspect ratio filter (Data-Juicer ``video_aspect_ratio_filter`` semantics)."""

from __future__ import annotations

from fractions import Fraction
from typing import cast

from pydantic import Field, field_validator

from mmcurate.ops.base import (
    AnyOrAll,
    Filter,
    Params,
    any_or_all_field,
    combine_any_or_all,
    range_reason,
)
from mmcurate.ops.registry import register
from mmcurate.ops.video.media import video_info
from mmcurate.sample import Sample, StatValue


def parse_ratio(value: str | float) -> Fraction:
    """A ratio written ``'9/21'``, ``'9:21'``, ``'0.5'`` or as a number, as an exact fraction.

    Raises:
        ValueError: not a non-negative ratio.
    """
    try:
        ratio = Fraction(str(value).strip().replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"invalid ratio {value!r}: write it as '9/21', '9:21' or 0.43") from None
    if ratio < 0:
        raise ValueError(f"ratio must be >= 0, got {value!r}")
    return ratio


class VideoAspectRatioParams(Params):
    """Parameters of ``video_aspect_ratio_filter``."""

    min_ratio: str | float = Field(
        "9/21", description="Minimum width/height, e.g. '9/21', '9:21' or 0.43 (inclusive)."
    )
    max_ratio: str | float = Field(
        "21/9", description="Maximum width/height, e.g. '21/9', '21:9' or 2.33 (inclusive)."
    )
    any_or_all: AnyOrAll = any_or_all_field("video")

    @field_validator("min_ratio", "max_ratio")
    @classmethod
    def _parses(cls, v: str | float) -> str | float:
        parse_ratio(v)
        return v


@register("video_aspect_ratio_filter")
class VideoAspectRatioFilter(Filter[VideoAspectRatioParams]):
    """Keep samples whose videos' width/height is within bounds such as '9/21'..'21/9'."""

    Params = VideoAspectRatioParams

    stats = {"aspect_ratio": list[float]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        ratios = []
        for i in range(len(sample.videos)):
            info = video_info(sample, i, self.ctx)
            ratios.append(info.width / info.height if info.height else float("inf"))
        return {"aspect_ratio": ratios}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        # float(Fraction) and w / h are both the correctly rounded value of the same
        # rational, so a video exactly at a bound compares equal, as with exact fractions.
        lo, hi = float(parse_ratio(p.min_ratio)), float(parse_ratio(p.max_ratio))
        reasons = [
            range_reason("aspect_ratio", r, lo, hi, "min_ratio", "max_ratio")
            for r in cast(list[float], stats["aspect_ratio"])
        ]
        return combine_any_or_all(reasons, p.any_or_all, "videos")

"""Video resolution filter (Data-Juicer ``video_resolution_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import Literal, cast

from pydantic import Field

from mmcurate.ops.base import Filter, Params, combine_any_or_all, range_reason
from mmcurate.ops.registry import register
from mmcurate.ops.video.media import video_info
from mmcurate.sample import Sample, StatValue


class VideoResolutionParams(Params):
    """Parameters of ``video_resolution_filter``."""

    min_width: int = Field(1, ge=0, description="Minimum width in pixels (inclusive).")
    max_width: int = Field(sys.maxsize, ge=0, description="Maximum width in pixels.")
    min_height: int = Field(1, ge=0, description="Minimum height in pixels (inclusive).")
    max_height: int = Field(sys.maxsize, ge=0, description="Maximum height in pixels.")
    any_or_all: Literal["any", "all"] = Field(
        "any", description="Keep if any video passes ('any') or only if all pass ('all')."
    )


@register("video_resolution_filter")
class VideoResolutionFilter(Filter[VideoResolutionParams]):
    """Keep samples whose videos' width and height are within bounds (container metadata)."""

    Params = VideoResolutionParams

    stats = {"width": list[int], "height": list[int]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        infos = [video_info(sample, i, self.ctx) for i in range(len(sample.videos))]
        return {"width": [v.width for v in infos], "height": [v.height for v in infos]}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        widths = cast(list[int], stats["width"])
        heights = cast(list[int], stats["height"])
        reasons = [
            range_reason("width", w, p.min_width, p.max_width, "min_width", "max_width")
            or range_reason("height", h, p.min_height, p.max_height, "min_height", "max_height")
            for w, h in zip(widths, heights, strict=True)
        ]
        return combine_any_or_all(reasons, p.any_or_all, "videos")

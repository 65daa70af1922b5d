"""Video duration filter (Data-Juicer ``video_duration_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import cast

from pydantic import Field

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


class VideoDurationParams(Params):
    """Parameters of ``video_duration_filter``."""

    min_duration: float = Field(0, ge=0, description="Minimum duration in seconds (inclusive).")
    max_duration: float = Field(
        sys.maxsize, ge=0, description="Maximum duration in seconds (inclusive)."
    )
    any_or_all: AnyOrAll = any_or_all_field("video")


@register("video_duration_filter")
class VideoDurationFilter(Filter[VideoDurationParams]):
    """Keep samples whose videos last between bounds in seconds (container metadata only)."""

    Params = VideoDurationParams

    stats = {"duration": list[float]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {
            "duration": [
                video_info(sample, i, self.ctx).duration for i in range(len(sample.videos))
            ]
        }

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        reasons = [
            range_reason(
                "duration", d, p.min_duration, p.max_duration, "min_duration", "max_duration"
            )
            for d in cast(list[float], stats["duration"])
        ]
        return combine_any_or_all(reasons, p.any_or_all, "videos")

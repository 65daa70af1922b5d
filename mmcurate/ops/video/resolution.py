"""Video resolution filter (Data-Juicer ``video_resolution_filter`` semantics)."""

from __future__ import annotations

from typing import cast

from mmcurate.ops.base import AnyOrAll, Filter, WidthHeightParams, any_or_all_field
from mmcurate.ops.registry import register
from mmcurate.ops.video.media import video_info
from mmcurate.sample import Sample, StatValue


class VideoResolutionParams(WidthHeightParams):
    """Parameters of ``video_resolution_filter``."""

    any_or_all: AnyOrAll = any_or_all_field("video")


@register("video_resolution_filter")
class VideoResolutionFilter(Filter[VideoResolutionParams]):
    """Keep samples whose videos' width and height are within bounds (container metadata)."""

    Params = VideoResolutionParams

    stats = {"width": list[int], "height": list[int]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        infos = [video_info(sample, i, self.ctx) for i in range(len(sample.videos))]
        return {"width": [v.width for v in infos], "height": [v.height for v in infos]}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        return self.params.drop_reason(
            cast(list[int], stats["width"]), cast(list[int], stats["height"]), "videos"
        )

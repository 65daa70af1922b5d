"""Image shape filter (Data-Juicer ``image_shape_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import Literal, cast

from pydantic import Field

from mmcurate.ops.base import Filter, Params, combine_any_or_all, range_reason
from mmcurate.ops.image.media import image_size
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue


class ImageShapeParams(Params):
    """Parameters of ``image_shape_filter``."""

    min_width: int = Field(1, ge=0, description="Minimum width in pixels (inclusive).")
    max_width: int = Field(sys.maxsize, ge=0, description="Maximum width in pixels.")
    min_height: int = Field(1, ge=0, description="Minimum height in pixels (inclusive).")
    max_height: int = Field(sys.maxsize, ge=0, description="Maximum height in pixels.")
    any_or_all: Literal["any", "all"] = Field(
        "any", description="Keep if any image passes ('any') or only if all pass ('all')."
    )


@register("image_shape_filter")
class ImageShapeFilter(Filter[ImageShapeParams]):
    """Keep samples whose images' width and height are within bounds (reads headers only)."""

    Params = ImageShapeParams

    stats = {"width": list[int], "height": list[int]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        sizes = [image_size(sample, i, self.ctx) for i in range(len(sample.images))]
        return {"width": [w for w, _ in sizes], "height": [h for _, h in sizes]}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        widths = cast(list[int], stats["width"])
        heights = cast(list[int], stats["height"])
        reasons = [
            range_reason("width", w, p.min_width, p.max_width, "min_width", "max_width")
            or range_reason("height", h, p.min_height, p.max_height, "min_height", "max_height")
            for w, h in zip(widths, heights, strict=True)
        ]
        return combine_any_or_all(reasons, p.any_or_all, "images")

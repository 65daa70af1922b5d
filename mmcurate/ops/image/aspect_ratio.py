"""Image aspect ratio filter (Data-Juicer ``image_aspect_ratio_filter`` semantics)."""

from __future__ import annotations

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
from mmcurate.ops.image.media import image_size
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue


class ImageAspectRatioParams(Params):
    """Parameters of ``image_aspect_ratio_filter``."""

    min_ratio: float = Field(0.333, ge=0, description="Minimum width/height (inclusive).")
    max_ratio: float = Field(3.0, ge=0, description="Maximum width/height (inclusive).")
    any_or_all: AnyOrAll = any_or_all_field("image")


@register("image_aspect_ratio_filter")
class ImageAspectRatioFilter(Filter[ImageAspectRatioParams]):
    """Keep samples whose images' width/height is within bounds (reads headers only)."""

    Params = ImageAspectRatioParams

    stats = {"aspect_ratio": list[float]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        ratios = []
        for i in range(len(sample.images)):
            w, h = image_size(sample, i, self.ctx)
            ratios.append(w / h if h else float("inf"))
        return {"aspect_ratio": ratios}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        reasons = [
            range_reason("aspect_ratio", r, p.min_ratio, p.max_ratio, "min_ratio", "max_ratio")
            for r in cast(list[float], stats["aspect_ratio"])
        ]
        return combine_any_or_all(reasons, p.any_or_all, "images")

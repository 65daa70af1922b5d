"""Image shape filter (Data-Juicer ``image_shape_filter`` semantics)."""

from __future__ import annotations

from typing import cast

from mmcurate.ops.base import AnyOrAll, Filter, WidthHeightParams, any_or_all_field
from mmcurate.ops.image.media import image_size
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue


class ImageShapeParams(WidthHeightParams):
    """Parameters of ``image_shape_filter``."""

    any_or_all: AnyOrAll = any_or_all_field("image")


@register("image_shape_filter")
class ImageShapeFilter(Filter[ImageShapeParams]):
    """Keep samples whose images' width and height are within bounds (reads headers only)."""

    Params = ImageShapeParams

    stats = {"width": list[int], "height": list[int]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        sizes = [image_size(sample, i, self.ctx) for i in range(len(sample.images))]
        return {"width": [w for w, _ in sizes], "height": [h for _, h in sizes]}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        return self.params.drop_reason(
            cast(list[int], stats["width"]), cast(list[int], stats["height"]), "images"
        )

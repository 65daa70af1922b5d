"""ImgDiff's difference-area stage as a registered op, usable in a recipe on two-image samples.

``imgdiff_difference_filter`` computes the difference boxes of a sample's two images
(:func:`mmcurate.synth.boxes.find_boxes`, the same code and defaults the ``curate synth
imgdiff`` pipeline uses) as stats, then keeps samples with a box count in
``[min_boxes, max_boxes]``. The other stages do not fit the row-op model (pair sources make
new samples; captioning writes several new samples per pair) and run in
:mod:`mmcurate.synth.pipeline`; see docs/synthesis.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from mmcurate.ops.base import BaseParams, Filter, SampleError, range_reason
from mmcurate.ops.image.media import load_image
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue
from mmcurate.synth.boxes import BoxParams, find_boxes


@register("imgdiff_difference_filter")
class ImgDiffDifferenceFilter(Filter[Any]):
    """Difference boxes of a two-image sample (pixel + SSIM maps), kept by box count.

    Stats: ``n_boxes``; ``boxes`` (x1, y1, x2, y2 of each box, flattened, pixels of the
    first image); ``crop_similarity`` (per box). A sample without exactly two images is an
    error record naming ``images``.
    """

    class Params(BaseParams):
        """Box thresholds (``boxes``: ImgDiff defaults) and the kept box-count range."""

        boxes: BoxParams = BoxParams()
        min_boxes: int = Field(default=1, ge=0)
        max_boxes: int | None = Field(default=None, ge=0)

    stats: ClassVar[dict[str, Any]] = {
        "n_boxes": int,
        "boxes": list[int],
        "crop_similarity": list[float],
    }

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        """Find the boxes between ``images[0]`` and ``images[1]``."""
        if len(sample.images) != 2:
            raise SampleError(
                f"images: imgdiff_difference_filter needs exactly 2 images, got "
                f"{len(sample.images)}"
            )
        a = load_image(sample, 0, self.ctx)
        b = load_image(sample, 1, self.ctx)
        res = find_boxes(a, b, self.params.boxes)
        return {
            "n_boxes": len(res.boxes),
            "boxes": [int(v) for box in res.boxes for v in box],
            "crop_similarity": [round(s, 4) for s in res.crop_similarities],
        }

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        """Keep when ``min_boxes <= n_boxes <= max_boxes``."""
        n = stats["n_boxes"]
        assert isinstance(n, int)
        return range_reason("n_boxes", n, self.params.min_boxes, self.params.max_boxes)

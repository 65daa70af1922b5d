"""Pixel statistics of images: sharpness (blur), entropy and colorfulness.

Each is a filter that records one value per image and, by default, has no bounds (so it
only records stats; set ``min_*``/``max_*`` to filter). All three are computed on the
shared thumbnail of :mod:`mmcurate.ops.image.pixels` (long side 256 px): an image is
decoded once per process however many of these filters a recipe has, and the values are
those of the image *at that scale* (a full-resolution Laplacian variance, for example, is
larger on sharp photos).
"""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
from pydantic import Field

from mmcurate.ops.base import Filter, Params, combine_any_or_all, range_reason
from mmcurate.ops.image.pixels import thumbnail
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue

AnyOrAll = Literal["any", "all"]
_ANY_OR_ALL_DOC = "Keep if any image passes ('any') or only if all pass ('all')."


def laplacian_variance(gray: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a grayscale array (0-255 scale).

    Low values mean few edges: blurred, out-of-focus or flat images. Arrays smaller than
    3x3 have no interior and give 0.
    """
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return 0.0
    g = gray.astype(np.float32)
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var(dtype=np.float64))


def gray_entropy(gray: np.ndarray) -> float:
    """Shannon entropy, in bits (0 to 8), of the 256-bin histogram of a ``uint8`` array."""
    if gray.size == 0:
        return 0.0
    counts = np.bincount(gray.ravel(), minlength=256)
    p = counts[counts > 0] / gray.size
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colorfulness of an RGB ``uint8`` array.

    ``M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2)`` with
    ``rg = R - G`` and ``yb = (R + G) / 2 - B``. 0 for gray images; about 15 is "slightly
    colorful", 33 "moderately", 59 "quite", 82+ "highly colorful" in the paper's scale.
    """
    if rgb.size == 0:
        return 0.0
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    std = np.hypot(rg.std(dtype=np.float64), yb.std(dtype=np.float64))
    mean = np.hypot(rg.mean(dtype=np.float64), yb.mean(dtype=np.float64))
    return float(std + 0.3 * mean)


def _bounds_reason(
    values: list[float],
    stat: str,
    lo: float | None,
    hi: float | None,
    any_or_all: AnyOrAll,
) -> str | None:
    reasons = [range_reason(stat, v, lo, hi, f"min_{stat}", f"max_{stat}") for v in values]
    return combine_any_or_all(reasons, any_or_all, "images")


class ImageSharpnessParams(Params):
    """Parameters of ``image_sharpness_filter``."""

    min_sharpness: float | None = Field(
        None, ge=0, description="Minimum Laplacian variance (at 256 px) to keep; None: no bound."
    )
    max_sharpness: float | None = Field(
        None, ge=0, description="Maximum Laplacian variance (at 256 px) to keep; None: no bound."
    )
    any_or_all: AnyOrAll = Field("any", description=_ANY_OR_ALL_DOC)


@register("image_sharpness_filter")
class ImageSharpnessFilter(Filter[ImageSharpnessParams]):
    """Record image sharpness (Laplacian variance at 256 px; low = blurry), optionally bounded."""

    Params = ImageSharpnessParams

    stats = {"sharpness": list[float]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {
            "sharpness": [
                laplacian_variance(thumbnail(sample, i, self.ctx).gray)
                for i in range(len(sample.images))
            ]
        }

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        values = cast(list[float], stats["sharpness"])
        return _bounds_reason(values, "sharpness", p.min_sharpness, p.max_sharpness, p.any_or_all)


class ImageEntropyParams(Params):
    """Parameters of ``image_entropy_filter``."""

    min_entropy: float | None = Field(
        None, ge=0, le=8, description="Minimum gray-level entropy in bits (0-8); None: no bound."
    )
    max_entropy: float | None = Field(
        None, ge=0, le=8, description="Maximum gray-level entropy in bits (0-8); None: no bound."
    )
    any_or_all: AnyOrAll = Field("any", description=_ANY_OR_ALL_DOC)


@register("image_entropy_filter")
class ImageEntropyFilter(Filter[ImageEntropyParams]):
    """Record image entropy (bits of the gray histogram; low = flat/blank), optionally bounded."""

    Params = ImageEntropyParams

    stats = {"entropy": list[float]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {
            "entropy": [
                gray_entropy(thumbnail(sample, i, self.ctx).gray) for i in range(len(sample.images))
            ]
        }

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        values = cast(list[float], stats["entropy"])
        return _bounds_reason(values, "entropy", p.min_entropy, p.max_entropy, p.any_or_all)


class ImageColorfulnessParams(Params):
    """Parameters of ``image_colorfulness_filter``."""

    min_colorfulness: float | None = Field(
        None, ge=0, description="Minimum Hasler-Suesstrunk colorfulness; None: no bound."
    )
    max_colorfulness: float | None = Field(
        None, ge=0, description="Maximum Hasler-Suesstrunk colorfulness; None: no bound."
    )
    any_or_all: AnyOrAll = Field("any", description=_ANY_OR_ALL_DOC)


@register("image_colorfulness_filter")
class ImageColorfulnessFilter(Filter[ImageColorfulnessParams]):
    """Record image colorfulness (Hasler-Suesstrunk; 0 = grayscale), optionally bounded."""

    Params = ImageColorfulnessParams

    stats = {"colorfulness": list[float]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {
            "colorfulness": [
                colorfulness(thumbnail(sample, i, self.ctx).rgb) for i in range(len(sample.images))
            ]
        }

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        values = cast(list[float], stats["colorfulness"])
        return _bounds_reason(
            values, "colorfulness", p.min_colorfulness, p.max_colorfulness, p.any_or_all
        )

"""Pixel statistics of images: sharpness (blur), entropy and colorfulness.

Each is a filter that records one value per image and, by default, has no bounds (so it
only records stats; set ``min_*``/``max_*`` to filter). All three are computed on the
shared thumbnail of :mod:`mmcurate.ops.image.pixels` (long side 256 px): an image is
decoded once per process however many of these filters a recipe has, and the values are
those of the image *at that scale* (a full-resolution Laplacian variance, for example, is
larger on sharp photos).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar, Literal, cast

import numpy as np
from pydantic import Field

from mmcurate.ops.base import Filter, P, Params, combine_any_or_all, range_reason
from mmcurate.ops.image import pixels
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
    f = rgb.reshape(-1, 3).astype(np.float32)
    rg = f[:, 0] - f[:, 1]
    yb = 0.5 * (f[:, 0] + f[:, 1]) - f[:, 2]
    # numpy sums float32 pairwise: the error is far below what any threshold can see
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


class PixelStatFilter(Filter[P]):
    """Base of filters measuring one value per image on the shared thumbnail.

    A subclass sets ``stat`` (its stat name), declares ``stats`` and implements
    :meth:`measure`. Its metrics count images decoded and images found in the memo.
    """

    stat: ClassVar[str]
    _decoded = 0
    _memo_hits = 0

    def setup(self) -> None:
        self._decoded = self._memo_hits = 0

    @abstractmethod
    def measure(self, thumb: pixels.Thumbnail) -> float:
        """The statistic of one image."""

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        values = []
        for i in range(len(sample.images)):
            misses = pixels.MEMO.misses
            thumb = pixels.thumbnail(sample, i, self.ctx)
            if pixels.MEMO.misses != misses:
                self._decoded += 1
            else:
                self._memo_hits += 1
            values.append(self.measure(thumb))
        return {self.stat: values}

    def metrics(self) -> dict[str, float]:
        return {"images_decoded": float(self._decoded), "decode_memo_hits": float(self._memo_hits)}

    @abstractmethod
    def bounds(self) -> tuple[float | None, float | None, AnyOrAll]:
        """(min, max, any_or_all) from the params; ``None`` is no bound."""

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        lo, hi, any_or_all = self.bounds()
        values = cast(list[float], stats[self.stat])
        return _bounds_reason(values, self.stat, lo, hi, any_or_all)


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
class ImageSharpnessFilter(PixelStatFilter[ImageSharpnessParams]):
    """Record image sharpness (Laplacian variance at 256 px; low = blurry), optionally bounded."""

    Params = ImageSharpnessParams

    stat = "sharpness"
    stats = {"sharpness": list[float]}

    def bounds(self) -> tuple[float | None, float | None, AnyOrAll]:
        p = self.params
        return p.min_sharpness, p.max_sharpness, p.any_or_all

    def measure(self, thumb: pixels.Thumbnail) -> float:
        return laplacian_variance(thumb.gray)


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
class ImageEntropyFilter(PixelStatFilter[ImageEntropyParams]):
    """Record image entropy (bits of the gray histogram; low = flat/blank), optionally bounded."""

    Params = ImageEntropyParams

    stat = "entropy"
    stats = {"entropy": list[float]}

    def bounds(self) -> tuple[float | None, float | None, AnyOrAll]:
        p = self.params
        return p.min_entropy, p.max_entropy, p.any_or_all

    def measure(self, thumb: pixels.Thumbnail) -> float:
        return gray_entropy(thumb.gray)


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
class ImageColorfulnessFilter(PixelStatFilter[ImageColorfulnessParams]):
    """Record image colorfulness (Hasler-Suesstrunk; 0 = grayscale), optionally bounded."""

    Params = ImageColorfulnessParams

    stat = "colorfulness"
    stats = {"colorfulness": list[float]}

    def bounds(self) -> tuple[float | None, float | None, AnyOrAll]:
        p = self.params
        return p.min_colorfulness, p.max_colorfulness, p.any_or_all

    def measure(self, thumb: pixels.Thumbnail) -> float:
        return colorfulness(thumb.rgb)

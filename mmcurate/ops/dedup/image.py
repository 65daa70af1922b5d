"""Duplicate images by perceptual hash (Data-Juicer ``image_deduplicator`` semantics).

A sample's key is the concatenation of the perceptual hashes (16 hex digits each) of its
images in order, as in Data-Juicer; samples with equal keys are duplicates (exact hash
equality, no Hamming-distance tolerance) and the earliest is kept. Samples without images
are never duplicates, unless ``consider_text`` is set, where the key also holds the MD5 of
the text and image-less samples with the same text are duplicates (as in Data-Juicer).

Hashes come from ``imagehash``; Data-Juicer uses ``imagededup``, whose implementations of
the same methods differ in details (resampling, median), so individual bits can differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Literal

import imagehash
from PIL import Image, ImageOps
from pydantic import Field

from mmcurate.ops.base import Deduplicator, Params, SampleError
from mmcurate.ops.image.media import IMAGE_ERRORS, image_path
from mmcurate.ops.registry import register
from mmcurate.sample import Sample

HashMethod = Literal["phash", "dhash", "whash", "ahash"]

#: wavelet hash at a fixed working scale, so resized copies hash alike (imagehash's default
#: scale follows the image's resolution).
_WHASH_SCALE = 64

_HASHERS: dict[str, Callable[[Image.Image], imagehash.ImageHash]] = {
    "phash": imagehash.phash,
    "dhash": imagehash.dhash,
    "ahash": imagehash.average_hash,
    "whash": lambda im: imagehash.whash(im, image_scale=_WHASH_SCALE),
}

#: Pixels the hashers work at (a 32x32 DCT for phash); JPEGs are decoded at a reduced
#: scale no smaller than this times 2, which leaves the hashes of real photos unchanged
#: in practice and saves most of the decoding time.
_DRAFT_SIDE = 128


class ImageDedupParams(Params):
    """Parameters of ``image_deduplicator``."""

    method: HashMethod = Field(
        "phash",
        description="Perceptual hash: 'phash' (DCT), 'dhash' (gradient), 'whash' "
        "(wavelet), 'ahash' (average).",
    )
    consider_text: bool = Field(
        False, description="Duplicates must also have the same text (MD5 of the text)."
    )


def image_hash(path: str, method: HashMethod) -> str:
    """The perceptual hash of an image file as 16 hex digits (EXIF orientation applied).

    Raises:
        FileNotFoundError, OSError, ValueError, PIL.UnidentifiedImageError: unreadable file.
    """
    with Image.open(path) as im:
        im.draft("RGB", (_DRAFT_SIDE, _DRAFT_SIDE))
        oriented = ImageOps.exif_transpose(im)
        return str(_HASHERS[method](oriented.convert("RGB")))


@register("image_deduplicator")
class ImageDeduplicator(Deduplicator[ImageDedupParams]):
    """Drop samples whose images have the same perceptual hashes as an earlier sample's."""

    Params = ImageDedupParams

    def hash_key(self, sample: Sample) -> str:
        hashes = []
        for i in range(len(sample.images)):
            path = image_path(sample, i, self.ctx)
            try:
                hashes.append(image_hash(str(path), self.params.method))
            except FileNotFoundError:
                raise SampleError(f"images[{i}]: file not found: {path}") from None
            except IMAGE_ERRORS as err:
                raise SampleError(f"images[{i}]: cannot decode image {path}: {err}") from None
        key = "".join(hashes)
        if self.params.consider_text:
            key += "|" + hashlib.md5(self.text(sample).strip().encode("utf-8")).hexdigest()
        return key

    def group(self, keys: Sequence[str | None]) -> list[int | None]:
        # An empty key is a sample without images: never a duplicate (Data-Juicer).
        return super().group([k or None for k in keys])

"""Small decoded copies of a sample's images, shared by the ops that look at pixels.

Image statistics (sharpness, entropy, colorfulness) are computed on a *thumbnail*: the
image scaled so its long side is at most :data:`THUMB_SIDE` pixels (never enlarged). JPEGs
are decoded directly at a reduced scale (PIL ``draft``, DCT scaling), which is several times
faster than a full decode; the result is then resized (bilinear, antialiased) to the exact
scale. Stats are therefore measured at that scale, not at full resolution: the same photo
at different resolutions gives comparable values.

Several ops of one recipe usually look at the same images one after the other (the runner
applies each op of a stage to a whole batch in turn), so thumbnails are kept in a small
per-process memo (least recently used first out, bounded in bytes): the image is decoded
once per process however many of these ops a recipe has.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.image.media import IMAGE_ERRORS, image_path
from mmcurate.sample import Sample

#: Long side, in pixels, of the thumbnails image statistics are computed on.
THUMB_SIDE = 256

#: Default memo budget per process: a batch of 256 single-image samples fits about twice.
DEFAULT_MEMO_BYTES = 96 * 1024 * 1024


@dataclass(frozen=True)
class Thumbnail:
    """An image scaled to at most :data:`THUMB_SIDE` pixels on its long side.

    Attributes:
        rgb: ``uint8`` array of shape (height, width, 3).
        gray: ``uint8`` array of shape (height, width): ITU-R 601-2 luma (PIL mode ``L``).
        full_size: (width, height) of the stored image before scaling.
    """

    rgb: np.ndarray
    gray: np.ndarray
    full_size: tuple[int, int]

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self.rgb.nbytes + self.gray.nbytes)


class ThumbnailMemo:
    """Least-recently-used memo of thumbnails keyed by file identity, bounded in bytes.

    The key is (absolute path, modification time, size), so a file rewritten in place is
    decoded again. Counters ``hits`` and ``misses`` tell what the memo saved.
    """

    def __init__(self, max_bytes: int = DEFAULT_MEMO_BYTES) -> None:
        """Create an empty memo holding at most ``max_bytes`` of arrays (0 disables it)."""
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._bytes = 0
        self._items: OrderedDict[tuple[str, int, int], Thumbnail] = OrderedDict()

    def get(self, key: tuple[str, int, int]) -> Thumbnail | None:
        """The memoised thumbnail for ``key`` (counted as a hit or a miss)."""
        thumb = self._items.get(key)
        if thumb is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return thumb

    def put(self, key: tuple[str, int, int], thumb: Thumbnail) -> None:
        """Remember ``thumb``, evicting the least recently used entries beyond the budget."""
        if thumb.nbytes > self.max_bytes or key in self._items:
            return
        self._items[key] = thumb
        self._bytes += thumb.nbytes
        while self._bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        self._items.clear()
        self._bytes = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


#: The per-process memo used by :func:`thumbnail` (each worker process has its own).
MEMO = ThumbnailMemo()


def decode_thumbnail(path: Path, side: int = THUMB_SIDE) -> Thumbnail:
    """Decode ``path`` at reduced scale and return its thumbnail (long side <= ``side``).

    Raises:
        FileNotFoundError: the file does not exist.
        OSError, ValueError, PIL.UnidentifiedImageError, PIL.Image.DecompressionBombError:
            the file is not a decodable image (truncated files included).
    """
    with Image.open(path) as im:
        full_size = im.size
        im.draft("RGB", (side, side))  # JPEG: DCT-domain downscale while decoding
        rgb = im.convert("RGB")  # decodes (raises on truncated data)
    scale = side / max(rgb.size)
    if scale < 1:
        target = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(target, Image.Resampling.BILINEAR)  # antialiased when shrinking
    return Thumbnail(rgb=np.asarray(rgb), gray=np.asarray(rgb.convert("L")), full_size=full_size)


def thumbnail(
    sample: Sample, i: int, ctx: OpContext, memo: ThumbnailMemo | None = None
) -> Thumbnail:
    """The thumbnail of ``sample.images[i]``, decoded once per process.

    Args:
        sample: The sample.
        i: Index into ``sample.images``.
        ctx: The run context (relative paths resolve against ``ctx.root``).
        memo: Where to look up and keep thumbnails; default: the per-process :data:`MEMO`.

    Raises:
        SampleError: naming ``images[i]`` and the file when it is missing or not decodable.
    """
    if memo is None:
        memo = MEMO
    path = image_path(sample, i, ctx)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SampleError(f"images[{i}]: file not found: {path}") from None
    except OSError as err:
        raise SampleError(f"images[{i}]: cannot stat file {path}: {err}") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    thumb = memo.get(key)
    if thumb is None:
        try:
            thumb = decode_thumbnail(path)
        except FileNotFoundError:
            raise SampleError(f"images[{i}]: file not found: {path}") from None
        except IMAGE_ERRORS as err:
            raise SampleError(f"images[{i}]: cannot decode image {path}: {err}") from None
        memo.put(key, thumb)
    return thumb

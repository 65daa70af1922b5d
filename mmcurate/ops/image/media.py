"""Opening a sample's media inside ops, with errors that name the field and file."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mmcurate.io.media import ImageInfo, displayed_size, resolve_media
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.sample import Sample

#: What PIL raises for unreadable, truncated or hostile image files.
IMAGE_ERRORS = (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError)


_INFO_CACHE: dict[Path, dict[str, ImageInfo]] = {}


def _known_info(ctx: OpContext) -> dict[str, ImageInfo]:
    """The load stage's image header facts (loaded once per process), or ``{}``."""
    if ctx.media_info is None:
        return {}
    info = _INFO_CACHE.get(ctx.media_info)
    if info is None:
        try:
            with open(ctx.media_info, "rb") as f:
                info = pickle.load(f)
        except OSError:
            info = {}
        _INFO_CACHE.clear()
        _INFO_CACHE[ctx.media_info] = info
    return info


def image_path(sample: Sample, i: int, ctx: OpContext) -> Path:
    """Absolute path of ``sample.images[i]`` (URIs are not supported by CPU image ops)."""
    resolved = resolve_media(ctx.root, sample.images[i])
    if not isinstance(resolved, Path):
        raise SampleError(f"images[{i}]: remote media not supported by this op: {resolved}")
    return resolved


def image_size(sample: Sample, i: int, ctx: OpContext) -> tuple[int, int]:
    """(width, height) of ``sample.images[i]`` from the file header, without decoding.

    The size is the displayed one (EXIF orientation applied), as in Data-Juicer.
    """
    path = image_path(sample, i, ctx)
    known = _known_info(ctx).get(str(path))
    if known is not None:
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is not None and (st.st_mtime_ns, st.st_size) == known[:2]:
            return known[2], known[3]
    try:
        with Image.open(path) as im:
            return displayed_size(im)
    except FileNotFoundError:
        raise SampleError(f"images[{i}]: file not found: {path}") from None
    except IMAGE_ERRORS as err:
        raise SampleError(f"images[{i}]: not a readable image: {path}: {err}") from None


def load_image(sample: Sample, i: int, ctx: OpContext, mode: str = "RGB") -> Image.Image:
    """Fully decode ``sample.images[i]`` (catches truncated files) and convert to ``mode``."""
    path = image_path(sample, i, ctx)
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert(mode)
    except FileNotFoundError:
        raise SampleError(f"images[{i}]: file not found: {path}") from None
    except IMAGE_ERRORS as err:
        raise SampleError(f"images[{i}]: cannot decode image {path}: {err}") from None

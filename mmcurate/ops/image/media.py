"""Opening a sample's media inside ops, with errors that name the field and file."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mmcurate.io.media import resolve_media
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.sample import Sample

#: EXIF orientations (tag 0x0112) that turn the stored image by 90 degrees when displayed.
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_ORIENTATION_TAG = 0x0112

#: What PIL raises for unreadable, truncated or hostile image files.
IMAGE_ERRORS = (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError)


def image_path(sample: Sample, i: int, ctx: OpContext) -> Path:
    """Absolute path of ``sample.images[i]`` (URIs are not supported by CPU image ops)."""
    resolved = resolve_media(ctx.root, sample.images[i])
    if not isinstance(resolved, Path):
        raise SampleError(f"images[{i}]: remote media not supported by this op: {resolved}")
    return resolved


def displayed_size(im: Image.Image) -> tuple[int, int]:
    """(width, height) as displayed: swapped when the EXIF orientation turns the image.

    Reads the EXIF block already parsed with the header; never decodes pixels. This is the
    size Data-Juicer sees (its image loader applies ``ImageOps.exif_transpose``).
    """
    w, h = im.size
    try:
        orientation = im.getexif().get(_ORIENTATION_TAG)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not fail a size query
        orientation = None
    return (h, w) if orientation in _TRANSPOSED_ORIENTATIONS else (w, h)


def image_size(sample: Sample, i: int, ctx: OpContext) -> tuple[int, int]:
    """(width, height) of ``sample.images[i]`` from the file header, without decoding.

    The size is the displayed one (EXIF orientation applied), as in Data-Juicer.
    """
    path = image_path(sample, i, ctx)
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

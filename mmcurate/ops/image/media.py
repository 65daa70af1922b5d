"""Opening a sample's media inside ops, with errors that name the field and file."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mmcurate.io.media import resolve_media
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.sample import Sample


def image_path(sample: Sample, i: int, ctx: OpContext) -> Path:
    """Absolute path of ``sample.images[i]`` (URIs are not supported by CPU image ops)."""
    resolved = resolve_media(ctx.root, sample.images[i])
    if not isinstance(resolved, Path):
        raise SampleError(f"images[{i}]: remote media not supported by this op: {resolved}")
    return resolved


def image_size(sample: Sample, i: int, ctx: OpContext) -> tuple[int, int]:
    """(width, height) of ``sample.images[i]`` from the file header, without decoding."""
    path = image_path(sample, i, ctx)
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise SampleError(f"images[{i}]: file not found: {path}") from None
    except (UnidentifiedImageError, OSError, ValueError) as err:
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
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise SampleError(f"images[{i}]: cannot decode image {path}: {err}") from None

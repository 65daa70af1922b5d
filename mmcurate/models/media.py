"""Turning request media into what backends take: PIL images, data URLs, sampled frames."""

from __future__ import annotations

import base64
import io
import mimetypes
from pathlib import Path

from PIL import Image

from mmcurate.models.types import ImageSource, VideoPart
from mmcurate.models.video import sample_frames


def local_path(source: str | Path) -> Path:
    """A local file path from ``str``/``Path``/``file://`` references."""
    return Path(str(source).removeprefix("file://"))


def load_image(source: ImageSource) -> Image.Image:
    """Open an image as RGB (PIL images are converted, not copied when already RGB).

    Raises:
        ValueError: For ``http(s)://`` URLs (in-process backends never fetch from the network).
        OSError: A file that cannot be read as an image.
    """
    if isinstance(source, Image.Image):
        return source if source.mode == "RGB" else source.convert("RGB")
    text = str(source)
    if text.startswith("data:"):
        _, _, payload = text.partition(",")
        with Image.open(io.BytesIO(base64.b64decode(payload))) as img:
            return img.convert("RGB")
    if text.startswith(("http://", "https://")):
        raise ValueError(f"remote image URLs are not fetched by in-process backends: {text}")
    with Image.open(local_path(text)) as img:
        return img.convert("RGB")


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    rgb = img if img.mode in ("RGB", "L") else img.convert("RGB")
    rgb.save(buf, format=fmt)
    return buf.getvalue()


def image_data_url(source: ImageSource) -> str:
    """A ``data:`` URL for an image (files are sent as their own bytes; PIL images as PNG).

    ``http(s)://`` and ``data:`` URLs are returned unchanged.
    """
    if isinstance(source, Image.Image):
        return "data:image/png;base64," + base64.b64encode(_encode(source, "PNG")).decode()
    text = str(source)
    if text.startswith(("data:", "http://", "https://")):
        return text
    path = local_path(text)
    data = path.read_bytes()
    mime = mimetypes.guess_type(path.name)[0]
    if mime is None or not mime.startswith("image/"):
        with Image.open(io.BytesIO(data)) as img:
            mime = Image.MIME.get(img.format or "", "image/png")
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def video_frames(part: VideoPart, fps: float, max_frames: int) -> tuple[list[Image.Image], float]:
    """The frames of a video part and their sampling rate.

    Args:
        part: The video part (a file, or frames already sampled).
        fps: Default frames per second when the part does not set one.
        max_frames: Default frame cap when the part does not set one.
    """
    fps = part.fps or fps
    max_frames = part.max_frames or max_frames
    if isinstance(part.video, list):
        frames = [load_image(f) for f in part.video[:max_frames]]
        return frames, fps
    sampled = sample_frames(part.video, fps=fps, max_frames=max_frames)
    return sampled.frames, sampled.sample_fps


def video_data_url(frames: list[Image.Image]) -> str:
    """vLLM's client-side-sampled video form: ``data:video/jpeg;base64,<f1>,<f2>,...``."""
    encoded = (base64.b64encode(_encode(f, "JPEG")).decode() for f in frames)
    return "data:video/jpeg;base64," + ",".join(encoded)

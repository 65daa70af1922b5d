"""Tiny test videos written with PyAV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest


def write_video(
    path: Path,
    size: tuple[int, int] = (32, 24),
    fps: int = 10,
    frames: int = 10,
    fmt: str | None = None,
    codec: str = "mpeg4",
) -> Path:
    """Encode ``frames`` frames of ``size`` (w, h) at ``fps``.

    Frame k is uniformly gray at level 12 * k (mod 256), so a frame tells its index.
    """
    w, h = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for k in range(frames):
            arr = np.full((h, w, 3), (12 * k) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., str]:
    """``make_video(name, **kw)`` writes ``tmp_path/name`` and returns ``name``."""

    def make(name: str, **kw: object) -> str:
        write_video(tmp_path / name, **kw)  # type: ignore[arg-type]
        return name

    return make

"""Shared fixtures: the tiny offline Qwen2.5-VL, small media files, a clean model environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw


@pytest.fixture(scope="session")
def tiny_vlm() -> Path:
    """A tiny randomly initialised Qwen2.5-VL + processor folder (built once, ~5 MB).

    See tests/tiny_vlm.py; cached under <repo>/.cache/ so the suite pays once.
    """
    from tests.tiny_vlm import tiny_vlm_dir

    return tiny_vlm_dir()


def draw_test_image(color: str = "red", size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A white picture with a coloured box and a line of text."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 200, 160), fill=color)
    draw.text((50, 190), "Hello VLM", fill="black")
    return img


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    """A PNG on disk."""
    path = tmp_path / "box.png"
    draw_test_image().save(path)
    return path


def write_video(
    path: Path, frames: int = 24, fps: int = 8, size: tuple[int, int] = (96, 64)
) -> Path:
    """Encode a small MPEG-4 video (a bar growing left to right) with PyAV."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            arr = np.zeros((size[1], size[0], 3), np.uint8)
            arr[:, : (i * 4) % size[0]] = (255, 0, 0)
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def video_file(tmp_path: Path) -> Path:
    """A 3-second 8 fps video on disk."""
    return write_video(tmp_path / "clip.mp4")


@pytest.fixture
def clean_model_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MMCURATE_* variables, an empty config home and a private cache home.

    Returns the config home (``$XDG_CONFIG_HOME``).
    """
    import os

    for var in list(os.environ):
        if var.startswith("MMCURATE_"):
            monkeypatch.delenv(var)
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return home

"""Shared fixtures of the lite scorer tests: real tesseract, real MiniLM, real images.

The generated demo dataset and its perception are built once per session (OCR is the slow
part), and shared by the capability, op and accuracy tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from PIL import Image, ImageDraw

from mmcurate.demodata import generate
from mmcurate.demodata.render_text import font
from mmcurate.io import read_dataset
from mmcurate.sample import Sample, StatValue

#: Demo data the accuracy test measures (kept small: the whole suite runs in < 90 s).
ACCURACY_N = 80
ACCURACY_SEED = 7

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="the tesseract binary is not installed (bash scripts/setup_system.sh installs it)",
)


def render_lines(lines: list[str], size: int = 22, width: int = 640) -> Image.Image:
    """Black text lines on white (DejaVu Sans, the demo data's font)."""
    fnt = font(size)
    height = 30 + len(lines) * int(size * 1.6)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((20, 15 + i * int(size * 1.6)), line, fill="black", font=fnt)
    return img


def shapes_image(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Flat coloured shapes on white, no text."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 140, 140), fill=(220, 40, 40))
    draw.ellipse((200, 80, 320, 200), fill=(40, 80, 220))
    draw.polygon([(60, 260), (120, 170), (180, 260)], fill=(40, 160, 70))
    return img


class Perceived(NamedTuple):
    """Demo samples and their lite perception stats (local stat names)."""

    samples: list[Sample]
    stats: list[dict[str, StatValue]]
    root: Path


@pytest.fixture(scope="session")
def lite_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated demo data (``ACCURACY_N`` samples, seed ``ACCURACY_SEED``)."""
    root = tmp_path_factory.mktemp("lite-demo")
    generate(root, n=ACCURACY_N, seed=ACCURACY_SEED, videos=2)
    return root


@pytest.fixture(scope="session")
def lite_perceived(lite_demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Perceived:
    """The demo samples through lite perception (OCR + MiniLM), once per session."""
    from mmcurate.scorers.lite.perception import Perceiver, PerceptionParams

    if shutil.which("tesseract") is None:
        pytest.skip("the tesseract binary is not installed")
    loaded = read_dataset(lite_demo_dir / "data.jsonl")
    samples = [Sample.from_row(r) for r in loaded.dataset]
    cache = tmp_path_factory.mktemp("lite-cache")
    perceiver = Perceiver(PerceptionParams(), loaded.root, cache)
    results = perceiver.perceive(samples)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    return Perceived(samples, [r for r in results if isinstance(r, dict)], loaded.root)

"""Pixel statistics, the chart cue and the text-region detector on known images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mmcurate.scorers.lite import imagestats
from tests.scorers.conftest import render_lines, shapes_image


def _gray(img: Image.Image, side: int) -> np.ndarray:
    return imagestats.downscale(img, side, "L")


def test_downscale_keeps_aspect_and_caps_long_side() -> None:
    arr = imagestats.downscale(Image.new("RGB", (1000, 500), "white"), 256, "RGB")
    assert arr.shape == (128, 256, 3)
    small = imagestats.downscale(Image.new("RGB", (100, 50)), 256, "L")
    assert small.shape == (50, 100)  # never upscaled


def test_edge_density_flat_vs_stripes() -> None:
    flat = np.full((64, 64), 128, np.uint8)
    stripes = np.zeros((64, 64), np.uint8)
    stripes[:, ::2] = 255
    assert imagestats.edge_density(flat) == 0.0
    assert imagestats.edge_density(stripes) > 0.9


def test_colorfulness_gray_is_zero_and_saturated_is_high() -> None:
    gray = np.full((32, 32, 3), 100, np.uint8)
    assert imagestats.colorfulness(gray) == pytest.approx(0.0)
    half = np.zeros((32, 32, 3), np.uint8)
    half[:, :16] = (255, 0, 0)
    half[:, 16:] = (0, 0, 255)
    assert imagestats.colorfulness(half) > 80  # "highly colourful" on the paper's scale


def test_gray_entropy_bounds() -> None:
    assert imagestats.gray_entropy(np.zeros((10, 10), np.uint8)) == 0.0
    two = np.array([[0, 255]] * 8, np.uint8)
    assert imagestats.gray_entropy(two) == pytest.approx(1.0)
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert imagestats.gray_entropy(ramp) == pytest.approx(8.0)


def test_chart_cue_high_for_a_chart_low_for_a_photo() -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage import data

    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    ax.bar(["North", "South", "East", "West"], [12, 30, 22, 8])
    ax.set_title("Rentals by station")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    chart = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    photo = Image.fromarray(data.coffee())

    def cue(img: Image.Image) -> imagestats.ChartCues:
        rgb = imagestats.downscale(img, imagestats.STATS_SIDE, "RGB")
        return imagestats.chart_cues(rgb, np.asarray(Image.fromarray(rgb).convert("L")))

    c, p = cue(chart), cue(photo)
    assert c.white_fraction > 0.5 and c.palette_fraction > 0.9 and c.long_lines >= 2
    assert c.chart_cue >= 0.7
    assert p.chart_cue <= 0.3
    assert p.white_fraction < 0.1


def test_text_regions_fire_on_rendered_text() -> None:
    img = render_lines(["The quick brown fox jumps", "over the lazy dog 1234"])
    found = imagestats.text_regions(_gray(img, imagestats.DETECT_SIDE))
    assert found.count >= 2
    assert found.ratio > 0.02


@pytest.mark.parametrize("name", ["horse", "camera", "moon", "brick", "retina", "astronaut"])
def test_text_regions_skip_photos_without_text(name: str) -> None:
    from skimage import data

    arr = getattr(data, name)()
    img = Image.fromarray(arr).convert("RGB")
    found = imagestats.text_regions(_gray(img, imagestats.DETECT_SIDE))
    assert found.ratio < 0.004, (name, found)


def test_text_regions_skip_flat_shapes() -> None:
    found = imagestats.text_regions(_gray(shapes_image(), imagestats.DETECT_SIDE))
    assert found.ratio == 0.0


def test_tiny_images_have_no_regions_or_edges() -> None:
    assert imagestats.text_regions(np.zeros((4, 4), np.uint8)) == imagestats.TextRegions(0.0, 0)
    assert imagestats.edge_density(np.zeros((1, 5), np.uint8)) == 0.0

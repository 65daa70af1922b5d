import numpy as np
import pytest
from PIL import Image, ImageFilter

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.image import pixels
from mmcurate.ops.image.statistics import colorfulness, gray_entropy, laplacian_variance
from mmcurate.ops.registry import create
from mmcurate.sample import Sample

NAMES = ("image_sharpness_filter", "image_entropy_filter", "image_colorfulness_filter")


def _op(name, root, **params):
    op = create(name, params)
    op.bind(OpContext(root=root))
    return op


def _noise(size=(200, 150), seed=0):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


@pytest.fixture
def images(tmp_path):
    sharp = _noise()
    sharp.save(tmp_path / "sharp.png")
    sharp.filter(ImageFilter.GaussianBlur(4)).save(tmp_path / "blurred.png")
    Image.new("RGB", (120, 80), (128, 128, 128)).save(tmp_path / "gray.png")
    Image.new("RGB", (120, 80), (230, 20, 20)).save(tmp_path / "red.png")
    halves = np.zeros((80, 120, 3), np.uint8)
    halves[:, 60:] = 255
    Image.fromarray(halves).save(tmp_path / "halves.png")
    return tmp_path


def test_sharpness_ranks_blurred_below_sharp(images):
    op = _op("image_sharpness_filter", images)
    s = Sample(id="x", images=["sharp.png", "blurred.png", "gray.png"])
    sharp, blurred, flat = op.compute_stats(s)["sharpness"]
    assert sharp > 20 * blurred > 0
    assert flat == 0.0


def test_entropy_values(images):
    op = _op("image_entropy_filter", images)
    s = Sample(id="x", images=["gray.png", "halves.png", "sharp.png"])
    flat, halves, noise = op.compute_stats(s)["entropy"]
    assert flat == 0.0
    assert halves == pytest.approx(1.0)
    assert 7.5 < noise <= 8.0


def test_colorfulness_values(images):
    op = _op("image_colorfulness_filter", images)
    gray, red = op.compute_stats(Sample(id="x", images=["gray.png", "red.png"]))["colorfulness"]
    assert gray == 0.0
    # constant red: rg = 210, yb = 105 - 20 = 105, no spread -> 0.3 * hypot(210, 105)
    assert red == pytest.approx(0.3 * np.hypot(210, 105), rel=0.02)


def test_default_bounds_only_record(images):
    for name in NAMES:
        op = _op(name, images)
        stats = op.compute_stats(Sample(id="x", images=["gray.png"]))
        assert op.drop_reason(stats) is None


def test_bounds_and_any_or_all():
    any_op = create("image_sharpness_filter", {"min_sharpness": 100})
    all_op = create("image_sharpness_filter", {"min_sharpness": 100, "any_or_all": "all"})
    stats = {"sharpness": [500.0, 20.0]}
    assert any_op.drop_reason(stats) is None
    assert all_op.drop_reason(stats) == "images[1] sharpness=20 < min_sharpness=100"
    assert any_op.drop_reason({"sharpness": [100.0]}) is None  # inclusive
    ent = create(
        "image_entropy_filter", {"min_entropy": 2, "max_entropy": 7.5, "any_or_all": "all"}
    )
    assert ent.drop_reason({"entropy": [7.9]}) == "images[0] entropy=7.9 > max_entropy=7.5"
    col = create("image_colorfulness_filter", {"max_colorfulness": 10, "any_or_all": "all"})
    assert col.drop_reason({"colorfulness": [0.0, 50.0]}) is not None
    assert col.drop_reason({"colorfulness": []}) is None


def test_three_filters_decode_each_image_once(images, monkeypatch):
    memo = pixels.ThumbnailMemo()
    monkeypatch.setattr(pixels, "MEMO", memo)
    s = Sample(id="x", images=["sharp.png", "red.png"])
    ops = [_op(name, images) for name in NAMES]
    for op in ops:
        op.ensure_setup()
        op.compute_stats(s)
    assert (memo.misses, memo.hits) == (2, 4)
    assert [op.metrics() for op in ops] == [
        {"images_decoded": 2.0, "decode_memo_hits": 0.0},
        {"images_decoded": 0.0, "decode_memo_hits": 2.0},
        {"images_decoded": 0.0, "decode_memo_hits": 2.0},
    ]


def test_corrupt_or_truncated_image_raises_sample_error(images):
    data = (images / "sharp.png").read_bytes()
    (images / "trunc.png").write_bytes(data[: len(data) // 2])
    (images / "junk.jpg").write_bytes(b"junk")
    for name in NAMES:
        op = _op(name, images)
        with pytest.raises(SampleError, match=r"images\[1\]: cannot decode image .*trunc\.png"):
            op.compute_stats(Sample(id="x", images=["gray.png", "trunc.png"]))
        with pytest.raises(SampleError, match=r"images\[0\]: cannot decode image .*junk\.jpg"):
            op.compute_stats(Sample(id="x", images=["junk.jpg"]))
        with pytest.raises(SampleError, match=r"images\[0\]: file not found"):
            op.compute_stats(Sample(id="x", images=["nope.png"]))


def test_measures_on_tiny_arrays():
    assert laplacian_variance(np.zeros((2, 5), np.uint8)) == 0.0
    assert gray_entropy(np.zeros((0, 0), np.uint8)) == 0.0
    assert colorfulness(np.zeros((0, 0, 3), np.uint8)) == 0.0

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.sample import Message, Sample


def _scene(seed: int, size=(320, 240)) -> Image.Image:
    """A smooth synthetic picture: a gradient background with a few coloured shapes."""
    rng = np.random.default_rng(seed)
    w, h = size
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    base = rng.uniform(0, 255, 3) * x + rng.uniform(0, 255, 3) * y
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x0, y0 = rng.integers(0, w - 60), rng.integers(0, h - 60)
        box = (int(x0), int(y0), int(x0 + rng.integers(40, 120)), int(y0 + rng.integers(40, 120)))
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    return img.filter(ImageFilter.GaussianBlur(1.5))


@pytest.fixture
def media(tmp_path):
    for k in (1, 2):
        img = _scene(k)
        img.save(tmp_path / f"s{k}.png")
        img.resize((160, 120), Image.Resampling.LANCZOS).save(
            tmp_path / f"s{k}_small.jpg", quality=85
        )
        img.resize((640, 480), Image.Resampling.BICUBIC).save(
            tmp_path / f"s{k}_big.jpg", quality=90
        )
    return tmp_path


def _op(root, **params):
    op = create("image_deduplicator", params)
    op.bind(OpContext(root=root))
    return op


def _sample(i, images, text="Describe the image."):
    return Sample(id=str(i), images=images, messages=[Message(role="user", content=text)])


@pytest.mark.parametrize("method", ["phash", "dhash", "whash", "ahash"])
def test_resized_copies_grouped_different_images_kept(media, method):
    op = _op(media, method=method)
    names = ["s1.png", "s2.png", "s1_small.jpg", "s2_big.jpg", "s1_big.jpg"]
    keys = [op.hash_key(_sample(i, [n])) for i, n in enumerate(names)]
    assert all(len(k) == 16 for k in keys)
    assert op.group(keys) == [None, None, 0, 1, 0]


def test_multi_image_keys_concatenate_in_order(media):
    op = _op(media)
    samples = [
        _sample(0, ["s1.png", "s2.png"]),
        _sample(1, ["s1_small.jpg", "s2_big.jpg"]),
        _sample(2, ["s2.png", "s1.png"]),  # same images, other order: not a duplicate
        _sample(3, ["s1.png"]),  # a subset: not a duplicate
    ]
    keys = [op.hash_key(x) for x in samples]
    assert keys[0] == op.hash_key(_sample(9, ["s1.png"])) + op.hash_key(_sample(9, ["s2.png"]))
    assert op.group(keys) == [None, 0, None, None]


def test_samples_without_images_never_duplicates(media):
    op = _op(media)
    keys = [op.hash_key(_sample(i, [])) for i in range(3)]
    assert op.group(keys) == [None, None, None]


def test_consider_text(media):
    op = _op(media, consider_text=True)
    samples = [
        _sample(0, ["s1.png"], "What colour is the circle?"),
        _sample(1, ["s1_small.jpg"], "What colour is the circle?"),
        _sample(2, ["s1_big.jpg"], "How many shapes are there?"),
        _sample(3, [], "Hello"),
        _sample(4, [], "Hello"),  # no images, same text: duplicates (as in Data-Juicer)
    ]
    assert op.group([op.hash_key(x) for x in samples]) == [None, 0, None, None, 3]


def test_corrupt_or_missing_image_raises_sample_error(media):
    (media / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    op = _op(media)
    with pytest.raises(SampleError, match=r"images\[1\]: cannot decode image .*bad\.jpg"):
        op.hash_key(_sample(0, ["s1.png", "bad.jpg"]))
    with pytest.raises(SampleError, match=r"images\[0\]: file not found"):
        op.hash_key(_sample(0, ["gone.png"]))

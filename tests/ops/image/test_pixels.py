import os

import numpy as np
from PIL import Image

from mmcurate.ops.base import OpContext
from mmcurate.ops.image.pixels import THUMB_SIDE, Thumbnail, ThumbnailMemo, thumbnail
from mmcurate.sample import Sample


def _thumb(nbytes: int) -> Thumbnail:
    return Thumbnail(rgb=np.zeros(nbytes, np.uint8), gray=np.zeros(0, np.uint8), full_size=(1, 1))


def test_thumbnail_scales_long_side_and_never_enlarges(tmp_path):
    Image.new("RGB", (1024, 512), (1, 2, 3)).save(tmp_path / "big.jpg")
    Image.new("RGB", (100, 60), (1, 2, 3)).save(tmp_path / "small.png")
    ctx, memo = OpContext(root=tmp_path), ThumbnailMemo()
    big = thumbnail(Sample(id="x", images=["big.jpg"]), 0, ctx, memo)
    small = thumbnail(Sample(id="x", images=["small.png"]), 0, ctx, memo)
    assert big.rgb.shape == (THUMB_SIDE // 2, THUMB_SIDE, 3)
    assert big.gray.shape == (THUMB_SIDE // 2, THUMB_SIDE)
    assert big.full_size == (1024, 512)
    assert small.rgb.shape == (60, 100, 3)


def test_memo_hits_and_notices_rewritten_files(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (10, 10), (0, 0, 0)).save(path)
    ctx, memo = OpContext(root=tmp_path), ThumbnailMemo()
    s = Sample(id="x", images=["a.png"])
    first = thumbnail(s, 0, ctx, memo)
    assert thumbnail(s, 0, ctx, memo) is first
    Image.new("RGB", (12, 10), (255, 255, 255)).save(path)
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    second = thumbnail(s, 0, ctx, memo)
    assert second.rgb.shape == (10, 12, 3)
    assert (memo.hits, memo.misses) == (1, 2)


def test_memo_evicts_least_recently_used_beyond_budget():
    memo = ThumbnailMemo(max_bytes=250)
    memo.put(("a", 0, 0), _thumb(100))
    memo.put(("b", 0, 0), _thumb(100))
    assert memo.get(("a", 0, 0)) is not None  # a is now the most recent
    memo.put(("c", 0, 0), _thumb(100))
    assert memo.get(("b", 0, 0)) is None
    assert memo.get(("a", 0, 0)) is not None and memo.get(("c", 0, 0)) is not None
    memo.put(("huge", 0, 0), _thumb(1000))  # larger than the budget: not kept
    assert len(memo) == 2
    assert ThumbnailMemo(max_bytes=0).max_bytes == 0

import pytest

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.sample import Sample


def _op(root, **params):
    op = create("video_resolution_filter", params)
    op.bind(OpContext(root=root))
    return op


def test_sizes_of_every_video(tmp_path, make_video):
    a = make_video("a.mp4", size=(64, 48))
    b = make_video("b.mp4", size=(32, 96))
    stats = _op(tmp_path).compute_stats(Sample(id="x", videos=[a, b]))
    assert stats == {"width": [64, 32], "height": [48, 96]}


def test_boundaries(tmp_path):
    op = _op(tmp_path, min_width=32, max_width=64, min_height=24, max_height=48, any_or_all="all")
    assert op.drop_reason({"width": [32, 64], "height": [48, 24]}) is None
    assert op.drop_reason({"width": [31], "height": [30]}) == "videos[0] width=31 < min_width=32"
    assert op.drop_reason({"width": [40], "height": [49]}) == (
        "videos[0] height=49 > max_height=48"
    )


def test_any_or_all_on_multi_video_sample(tmp_path):
    stats = {"width": [1920, 320], "height": [1080, 240]}
    assert _op(tmp_path, min_width=640).drop_reason(stats) is None
    assert _op(tmp_path, min_width=640, any_or_all="all").drop_reason(stats) == (
        "videos[1] width=320 < min_width=640"
    )


def test_missing_video_raises_sample_error(tmp_path):
    with pytest.raises(SampleError, match=r"videos\[0\]: file not found"):
        _op(tmp_path).compute_stats(Sample(id="x", videos=["nope.mp4"]))

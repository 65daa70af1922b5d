import pytest

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.sample import Sample


def _op(root, **params):
    op = create("video_duration_filter", params)
    op.bind(OpContext(root=root))
    return op


def test_durations_of_every_video(tmp_path, make_video):
    a = make_video("a.mp4", fps=10, frames=10)
    b = make_video("b.mp4", fps=5, frames=20)
    stats = _op(tmp_path).compute_stats(Sample(id="x", videos=[a, b]))
    assert stats["duration"] == pytest.approx([1.0, 4.0])


def test_boundaries_and_defaults(tmp_path):
    op = _op(tmp_path, min_duration=1, max_duration=4, any_or_all="all")
    assert op.drop_reason({"duration": [1.0, 4.0]}) is None
    assert op.drop_reason({"duration": [0.99]}) == "videos[0] duration=0.99 < min_duration=1"
    assert op.drop_reason({"duration": [4.5]}) == "videos[0] duration=4.5 > max_duration=4"
    assert _op(tmp_path).drop_reason({"duration": [0.0, 1e6]}) is None
    assert op.drop_reason({"duration": []}) is None


def test_any_or_all_on_multi_video_sample(tmp_path):
    stats = {"duration": [2.0, 30.0]}
    assert _op(tmp_path, max_duration=10).drop_reason(stats) is None
    assert _op(tmp_path, max_duration=10, any_or_all="all").drop_reason(stats) == (
        "videos[1] duration=30 > max_duration=10"
    )
    assert _op(tmp_path, max_duration=1).drop_reason(stats).startswith("no videos passes")


def test_corrupt_video_raises_sample_error(tmp_path, make_video):
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(SampleError, match=r"videos\[1\]: .*bad\.mp4"):
        _op(tmp_path).compute_stats(Sample(id="x", videos=[make_video("ok.mp4"), "bad.mp4"]))

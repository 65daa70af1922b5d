from fractions import Fraction

import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.ops.video.aspect_ratio import parse_ratio
from mmcurate.sample import Sample


def _op(root, **params):
    op = create("video_aspect_ratio_filter", params)
    op.bind(OpContext(root=root))
    return op


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9/21", Fraction(9, 21)), ("16:9", Fraction(16, 9)), (0.5, Fraction(1, 2)), ("2", 2)],
)
def test_parse_ratio(text, expected):
    assert parse_ratio(text) == expected


@pytest.mark.parametrize("bad", ["wide", "1/0", "-1/2"])
def test_bad_ratios_are_config_errors(bad):
    with pytest.raises(ConfigError, match="min_ratio"):
        create("video_aspect_ratio_filter", {"min_ratio": bad})


def test_ratios_of_every_video(tmp_path, make_video):
    a = make_video("a.mp4", size=(64, 36))
    b = make_video("b.mp4", size=(36, 84))
    stats = _op(tmp_path).compute_stats(Sample(id="x", videos=[a, b]))
    assert stats["aspect_ratio"] == pytest.approx([16 / 9, 36 / 84])


def test_default_bounds_are_inclusive_at_exact_fractions(tmp_path):
    op = _op(tmp_path, any_or_all="all")  # Data-Juicer defaults: 9/21 .. 21/9
    assert op.drop_reason({"aspect_ratio": [360 / 840, 2520 / 1080]}) is None
    assert (
        op.drop_reason({"aspect_ratio": [2.4]}) == "videos[0] aspect_ratio=2.4 > max_ratio=2.33333"
    )
    assert op.drop_reason({"aspect_ratio": [0.4]}) is not None


def test_any_or_all_on_multi_video_sample(tmp_path):
    stats = {"aspect_ratio": [16 / 9, 0.25]}
    assert _op(tmp_path).drop_reason(stats) is None
    assert _op(tmp_path, any_or_all="all").drop_reason(stats).startswith("videos[1]")
    assert (
        _op(tmp_path, min_ratio="1:1", max_ratio="1:1").drop_reason(stats).startswith("no videos")
    )


def test_corrupt_video_raises_sample_error(tmp_path):
    (tmp_path / "bad.webm").write_bytes(b"\x1a\x45\xdf\xa3 broken")
    with pytest.raises(SampleError, match=r"videos\[0\]: .*bad\.webm"):
        _op(tmp_path).compute_stats(Sample(id="x", videos=["bad.webm"]))

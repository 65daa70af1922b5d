import pytest

from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.video import media
from mmcurate.ops.video.media import read_video_info, video_info
from mmcurate.sample import Sample


def test_reads_metadata_of_mp4_and_webm(tmp_path, make_video):
    mp4 = make_video("a.mp4", size=(64, 48), fps=10, frames=25)
    webm = make_video("b.webm", size=(40, 30), fps=10, frames=10, fmt="webm", codec="libvpx-vp9")
    ctx = OpContext(root=tmp_path)
    s = Sample(id="x", videos=[mp4, webm])
    a, b = read_video_info(s, 0, ctx), read_video_info(s, 1, ctx)
    assert (a.width, a.height, a.fps, a.frames) == (64, 48, 10.0, 25)
    assert a.duration == pytest.approx(2.5)
    assert (b.width, b.height) == (40, 30)  # webm states no stream duration
    assert b.duration == pytest.approx(1.0, abs=0.11)


def test_info_is_memoised_per_file(tmp_path, make_video, monkeypatch):
    memo = media._InfoMemo()
    monkeypatch.setattr(media, "INFO_MEMO", memo)
    name = make_video("a.mp4")
    s = Sample(id="x", videos=[name, name])
    ctx = OpContext(root=tmp_path)
    assert video_info(s, 0, ctx) == video_info(s, 1, ctx)
    assert (memo.misses, memo.hits) == (1, 1)


def test_bad_videos_raise_sample_error_naming_the_field(tmp_path, make_video):
    good = make_video("good.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video" * 50)
    data = (tmp_path / good).read_bytes()
    (tmp_path / "trunc.mp4").write_bytes(data[: len(data) // 2])  # index (moov) lost
    ctx = OpContext(root=tmp_path)
    cases = {
        "junk.mp4": r"videos\[1\]: not a readable video: .*junk\.mp4",
        "trunc.mp4": r"videos\[1\]: (no video stream|not a readable video).*trunc\.mp4",
        "missing.mp4": r"videos\[1\]: file not found: .*missing\.mp4",
    }
    for name, pattern in cases.items():
        with pytest.raises(SampleError, match=pattern):
            video_info(Sample(id="x", videos=[good, name]), 1, ctx)


def test_remote_videos_are_refused(tmp_path):
    s = Sample(id="x", videos=["https://example.com/v.mp4"])
    with pytest.raises(SampleError, match=r"videos\[0\]: remote media"):
        video_info(s, 0, OpContext(root=tmp_path))

import numpy as np
import pytest
from PIL import Image

from mmcurate.errors import ConfigError
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.ops.registry import create
from mmcurate.ops.video.frames import target_times
from mmcurate.sample import Message, Sample


def _op(tmp_path, **params):
    op = create("video_frames_mapper", params)
    op.bind(OpContext(root=tmp_path, work_dir=tmp_path / "work"))
    op.ensure_setup()
    return op


def _sample(*videos):
    msgs = [Message(role="user", content="<video>\nWhat happens?")]
    return Sample(id="v", videos=list(videos), messages=msgs)


def _gray_levels(paths):
    # frame k of a test video has gray level 12 * k (JPEG and YUV round-trip: +-3)
    return [int(round(np.asarray(Image.open(p).convert("L")).mean() / 12)) for p in paths]


def test_fps_sampling_writes_frames_into_meta(tmp_path, make_video):
    s = _sample(make_video("a.mp4", fps=10, frames=20))  # 2 s
    out = _op(tmp_path, fps=2).process(s)
    frames, times = out.meta["video_frames"], out.meta["video_frame_times"]
    assert times == [[0.0, 0.5, 1.0, 1.5]]
    assert _gray_levels(frames[0]) == [0, 5, 10, 15]
    assert all(p.startswith(str(tmp_path / "work" / "video_frames")) for p in frames[0])
    assert out.images == [] and out.messages == s.messages  # conversation untouched


def test_max_frames_spreads_over_whole_video(tmp_path, make_video):
    s = _sample(make_video("a.mp4", fps=10, frames=20))
    out = _op(tmp_path, fps=10, max_frames=4).process(s)
    assert out.meta["video_frame_times"] == [[0.0, 0.5, 1.0, 1.5]]


def test_frame_num_like_data_juicer_uniform(tmp_path, make_video):
    s = _sample(make_video("a.mp4", fps=10, frames=20))
    one = _op(tmp_path, frame_num=1).process(s)
    two = _op(tmp_path, frame_num=2).process(s)
    three = _op(tmp_path, frame_num=3).process(s)
    assert one.meta["video_frame_times"] == [[1.0]]  # the middle
    assert two.meta["video_frame_times"] == [[0.0, 1.9]]  # first and last
    assert three.meta["video_frame_times"] == [[0.0, 1.0, 1.9]]
    assert _gray_levels(three.meta["video_frames"][0]) == [0, 10, 19]


def test_more_frames_requested_than_exist(tmp_path, make_video):
    s = _sample(make_video("a.mp4", fps=10, frames=3))
    out = _op(tmp_path, frame_num=8).process(s)
    assert out.meta["video_frame_times"] == [[0.0, 0.1, 0.2]]


def test_multi_video_lists_are_aligned_and_reused(tmp_path, make_video):
    a, b = make_video("a.mp4", frames=10), make_video("b.mp4", frames=30)
    op = _op(tmp_path, frame_dir=str(tmp_path / "frames"), max_side=16)
    out = op.process(_sample(a, b, a))
    frames = out.meta["video_frames"]
    assert [len(f) for f in frames] == [1, 3, 1]
    assert frames[0] == frames[2]  # same video, same folder
    assert Image.open(frames[1][0]).size == (16, 12)
    mtimes = [(tmp_path / "frames").stat().st_mtime_ns]
    again = op.process(out)
    assert again is out  # meta already right: the sample is unchanged
    assert (tmp_path / "frames").stat().st_mtime_ns == mtimes[0]


def test_no_videos_unchanged(tmp_path):
    s = Sample(id="t", messages=[Message(role="user", content="hi")])
    assert _op(tmp_path).process(s) is s


def test_corrupt_video_raises_sample_error(tmp_path, make_video):
    (tmp_path / "bad.mp4").write_bytes(b"garbage" * 30)
    with pytest.raises(SampleError, match=r"videos\[1\]: not a readable video: .*bad\.mp4"):
        _op(tmp_path).process(_sample(make_video("ok.mp4"), "bad.mp4"))


def test_param_and_context_errors(tmp_path):
    with pytest.raises(ConfigError, match="fps or frame_num"):
        create("video_frames_mapper", {"fps": 1, "frame_num": 4})
    op = create("video_frames_mapper", {})
    op.bind(OpContext(root=tmp_path))
    with pytest.raises(ConfigError, match="frame_dir"):
        op.ensure_setup()


def test_target_times():
    assert target_times(10.0, None, None, 16) == [float(k) for k in range(10)]  # 1 fps
    assert target_times(0.2, 1.0, None, 16) == [0.0]  # at least one frame
    assert target_times(8.0, 4.0, None, 4) == [0.0, 2.0, 4.0, 6.0]


def test_unwritable_frame_dir_raises_sample_error(tmp_path, make_video):
    (tmp_path / "not_a_dir").write_text("x")
    op = _op(tmp_path, frame_dir=str(tmp_path / "not_a_dir"))
    with pytest.raises(SampleError, match=r"videos\[0\]: cannot write frames"):
        op.process(_sample(make_video("a.mp4")))

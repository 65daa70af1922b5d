"""PyAV frame sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmcurate.models.video import sample_frames
from tests.conftest import write_video


def test_fps_sampling(video_file: Path) -> None:  # 24 frames at 8 fps = 3 s
    v = sample_frames(video_file, fps=2.0, max_frames=16)
    assert v.timestamps == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert v.sample_fps == pytest.approx(2.0)
    assert all(f.mode == "RGB" and f.size == (96, 64) for f in v.frames)
    # the bar grows: later frames hold more red
    reds = [int((np.asarray(f)[:, :, 0] > 128).sum()) for f in v.frames]
    assert reds == sorted(reds) and reds[-1] > reds[0]


def test_max_frames_spreads_over_the_whole_video(video_file: Path) -> None:
    v = sample_frames(f"file://{video_file}", fps=8.0, max_frames=4)
    assert len(v.frames) == 4
    assert v.timestamps[0] == 0.0 and v.timestamps[-1] >= 2.0


def test_single_frame_video(tmp_path: Path) -> None:
    v = sample_frames(write_video(tmp_path / "one.mp4", frames=1), fps=2.0, max_frames=1)
    assert len(v.frames) == 1


def test_not_a_video(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises((OSError, ValueError)):
        sample_frames(bad)

from __future__ import annotations

import random
from pathlib import Path

import av
import numpy as np
import pytest

from mmcurate.demodata import videos
from mmcurate.demodata.items import PALETTE


def _decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]


def _mask(frame: np.ndarray, color: str) -> np.ndarray:
    return np.abs(frame - np.array(PALETTE[color])).sum(axis=-1) < 60


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


@pytest.mark.parametrize("event", sorted(videos.EVENTS))
@pytest.mark.parametrize("seed", range(3))
def test_clips_show_what_the_answers_say(tmp_path: Path, event: str, seed: int) -> None:
    item = videos.build(random.Random(seed), event)
    assert item.clip is not None and item.kind == "video" and item.variant == event
    path = tmp_path / "clip.mp4"
    videos.write_clip(item.clip, path)
    frames = _decode(path)
    truth = item.truth
    assert len(frames) == truth["frames"] == truth["seconds"] * truth["fps"]
    assert [frames[0].shape[1], frames[0].shape[0]] == truth["size"]
    first, last = frames[0], frames[-1]
    if event == "move":
        (x0, y0), (x1, y1) = (
            _centroid(_mask(first, truth["color"])),
            _centroid(_mask(last, truth["color"])),
        )
        step = {"right": x1 - x0, "left": x0 - x1, "down": y1 - y0, "up": y0 - y1}
        assert step[truth["direction"]] > 20
        assert (
            next(t for t in item.turns if t.question.startswith("In which direction")).answer
            == (truth["direction"])
        )
    elif event == "recolor":
        before, after = truth["colors"]
        h, w = first.shape[:2]
        assert _mask(first, before)[h // 2, w // 2] and _mask(last, after)[h // 2, w // 2]
    elif event in ("grow", "shrink") or event == "grow":
        a0, a1 = _mask(first, truth["color"]).sum(), _mask(last, truth["color"]).sum()
        assert (a1 > a0) == (truth["event"] == "grow")
    else:  # bounce: right until the peak frame, then left
        xs = [_centroid(_mask(f, truth["color"]))[0] for f in frames]
        peak = truth["bounce_frame"]
        assert xs[peak] > xs[0] + 20 and xs[peak] > xs[-1] + 10


def test_mpeg4_fallback_encodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(videos, "_codec", lambda: "mpeg4")
    item = videos.build(random.Random(0), "move")
    assert item.clip is not None
    assert videos.write_clip(item.clip, tmp_path / "a.mp4") == "mpeg4"
    assert len(_decode(tmp_path / "a.mp4")) == item.truth["frames"]


def test_yuv_conversion_round_trips() -> None:
    rng = np.random.default_rng(0)
    rgb = np.repeat(np.repeat(rng.integers(0, 256, (8, 10, 3), dtype=np.uint8), 2, 0), 2, 1)
    yuv = videos.to_yuv420p(rgb)
    assert yuv.shape == (24, 20) and yuv.dtype == np.uint8
    frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    back = frame.to_ndarray(format="rgb24").astype(int)
    assert np.abs(back - rgb.astype(int)).mean() < 4

"""Sample frames from videos into JPEG files (``video_frames_mapper``).

Frames are written to ``<frame_dir>/<video stem>-<digest>/frame_0000.jpg, ...`` where the
digest covers the video file (path, size, modification time) and the sampling parameters;
a ``frames.json`` manifest is written last, so a finished folder is reused as it is (resume,
or the same video in several samples) and a half-written one is redone.

Where the frames go in the sample: ``meta["video_frames"]`` (one list of absolute frame
paths per entry of ``videos``, in order: Data-Juicer's ``video_frames`` field and shape) and
``meta["video_frame_times"]`` (each frame's time in seconds). The frames are *not* added to
``images``: ``images`` must match the ``<image>`` placeholders of the conversation, and
extra images without placeholders would corrupt the sample for training and for exporters.
A scorer that wants to show a video to a VLM as images reads ``meta["video_frames"]`` and
puts those frames where the ``<video>`` placeholder is.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import Field, model_validator

from mmcurate.errors import ConfigError
from mmcurate.ops.base import Mapper, Params, SampleError
from mmcurate.ops.registry import register
from mmcurate.ops.video.media import open_video, video_info, video_path
from mmcurate.sample import Sample

#: ``meta`` keys written by this op.
FRAMES_KEY = "video_frames"
TIMES_KEY = "video_frame_times"
_MANIFEST = "frames.json"
_DEFAULT_FPS = 1.0


class VideoFramesParams(Params):
    """Parameters of ``video_frames_mapper``."""

    fps: float | None = Field(
        None,
        gt=0,
        description="Frames per second of video to keep (default 1 when frame_num is unset); "
        "more than max_frames are spread evenly over the whole video instead.",
    )
    frame_num: int | None = Field(
        None,
        gt=0,
        description="Exact number of frames spread over the video instead of fps (Data-Juicer "
        "'uniform': 1 = middle frame, 2 = first and last, more = evenly between them).",
    )
    max_frames: int = Field(16, gt=0, description="At most this many frames per video (fps mode).")
    frame_dir: str | None = Field(
        None, description="Folder for the frames; default: <run work dir>/video_frames."
    )
    max_side: int | None = Field(
        None, gt=0, description="Downscale frames so the long side is at most this; None: keep."
    )
    quality: int = Field(90, ge=1, le=95, description="JPEG quality of the written frames.")

    @model_validator(mode="after")
    def _one_mode(self) -> VideoFramesParams:
        if self.fps is not None and self.frame_num is not None:
            raise ValueError("set fps or frame_num, not both")
        return self


def target_times(
    duration: float, fps: float | None, frame_num: int | None, max_frames: int
) -> list[float]:
    """The times (seconds) to take frames at, for a video of ``duration`` seconds."""
    if frame_num is not None:
        if frame_num == 1:
            return [duration / 2]
        return [duration * k / (frame_num - 1) for k in range(frame_num)]
    rate = fps or _DEFAULT_FPS
    n = max(1, math.floor(duration * rate + 1e-9))
    if n > max_frames:
        return [duration * k / max_frames for k in range(max_frames)]
    return [k / rate for k in range(n)]


@register("video_frames_mapper")
class VideoFramesMapper(Mapper[VideoFramesParams]):
    """Sample JPEG frames from each video (by fps or count) into meta['video_frames']."""

    Params = VideoFramesParams

    def setup(self) -> None:
        self.frame_root()  # fail before any work when there is nowhere to write

    def frame_root(self) -> Path:
        """The folder frames are written under.

        Raises:
            ConfigError: no ``frame_dir`` and no run work directory.
        """
        if self.params.frame_dir is not None:
            return Path(self.params.frame_dir).absolute()
        if self.ctx.work_dir is not None:
            return Path(self.ctx.work_dir).absolute() / "video_frames"
        raise ConfigError("video_frames_mapper: set frame_dir (there is no run work directory)")

    def process(self, sample: Sample) -> Sample:
        if not sample.videos:
            return sample
        frames: list[list[str]] = []
        times: list[list[float]] = []
        for i in range(len(sample.videos)):
            paths, secs = self._frames_of(sample, i)
            frames.append(paths)
            times.append(secs)
        if sample.meta.get(FRAMES_KEY) == frames and sample.meta.get(TIMES_KEY) == times:
            return sample
        return sample.model_copy(
            update={"meta": {**sample.meta, FRAMES_KEY: frames, TIMES_KEY: times}}
        )

    def _out_dir(self, video: Path) -> Path:
        st = video.stat()
        p = self.params
        spec = [
            str(video),
            st.st_size,
            st.st_mtime_ns,
            p.fps,
            p.frame_num,
            p.max_frames,
            p.max_side,
            p.quality,
        ]
        digest = hashlib.sha1(json.dumps(spec).encode()).hexdigest()[:16]
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", video.stem)[:48] or "video"
        return self.frame_root() / f"{stem}-{digest}"

    def _frames_of(self, sample: Sample, i: int) -> tuple[list[str], list[float]]:
        p = self.params
        info = video_info(sample, i, self.ctx)
        out_dir = self._out_dir(video_path(sample, i, self.ctx))
        manifest = out_dir / _MANIFEST
        if manifest.exists():
            done = json.loads(manifest.read_text())
            return [str(out_dir / n) for n in done["frames"]], list(done["times"])
        targets = target_times(info.duration, p.fps, p.frame_num, p.max_frames)
        names: list[str] = []
        times: list[float] = []
        with open_video(sample, i, self.ctx) as (path, container, stream):
            stream.thread_type = "AUTO"
            last: tuple[float, Any] | None = None
            j = 0
            for n, frame in enumerate(container.decode(stream)):
                t = float(frame.time) if frame.time is not None else n / (info.fps or 1.0)
                last = (t, frame)
                if j < len(targets) and t + 1e-6 >= targets[j]:
                    names.append(self._save(i, out_dir, len(names), frame.to_image()))
                    times.append(round(t, 6))
                    while j < len(targets) and t + 1e-6 >= targets[j]:
                        j += 1
                    if j == len(targets):
                        break
            if last is None:
                raise SampleError(f"videos[{i}]: no decodable frame in {path}")
            if j < len(targets) and (not times or times[-1] != round(last[0], 6)):
                # targets past the last frame (the stated duration runs to its end)
                names.append(self._save(i, out_dir, len(names), last[1].to_image()))
                times.append(round(last[0], 6))
        try:
            tmp = out_dir / f".{_MANIFEST}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps({"frames": names, "times": times}))
            os.replace(tmp, manifest)
        except OSError as err:
            raise SampleError(f"videos[{i}]: cannot write frames to {out_dir}: {err}") from None
        return [str(out_dir / n) for n in names], times

    def _save(self, i: int, out_dir: Path, k: int, img: Image.Image) -> str:
        """Write frame number ``k`` as JPEG (downscaled to ``max_side``); returns its name."""
        p = self.params
        name = f"frame_{k:04d}.jpg"
        rgb = img.convert("RGB")
        if p.max_side is not None and max(rgb.size) > p.max_side:
            rgb.thumbnail((p.max_side, p.max_side), Image.Resampling.LANCZOS)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            _atomic_save(out_dir / name, rgb, p.quality)
        except OSError as err:
            raise SampleError(f"videos[{i}]: cannot write frames to {out_dir}: {err}") from None
        return name


def _atomic_save(path: Path, img: Image.Image, quality: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    img.save(tmp, format="JPEG", quality=quality)
    os.replace(tmp, path)

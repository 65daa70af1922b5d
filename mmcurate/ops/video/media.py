"""Opening a sample's videos inside ops (PyAV), with errors that name the field and file.

:func:`video_info` reads container metadata only (no frame is decoded) and is memoised per
process, so several video filters in one recipe open each file once.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import av.error
import av.video.stream

from mmcurate.io.media import resolve_media
from mmcurate.ops.base import OpContext, SampleError
from mmcurate.sample import Sample

#: What PyAV raises for unreadable, truncated or non-media files (a file whose index is
#: missing can also open with no stream at all, reported as "no video stream").
VIDEO_ERRORS = (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError)


@dataclass(frozen=True)
class VideoInfo:
    """Container metadata of a video's first video stream.

    Attributes:
        width: Coded width in pixels (rotation metadata not applied, as in Data-Juicer).
        height: Coded height in pixels.
        duration: Seconds: the stream's duration, else the container's, else the end of
            its last packet.
        fps: Average frame rate, when the container states one.
        frames: Frame count, when the container states one.
    """

    width: int
    height: int
    duration: float
    fps: float | None
    frames: int | None


def video_path(sample: Sample, i: int, ctx: OpContext) -> Path:
    """Absolute path of ``sample.videos[i]`` (URIs are not supported by CPU video ops)."""
    resolved = resolve_media(ctx.root, sample.videos[i])
    if not isinstance(resolved, Path):
        raise SampleError(f"videos[{i}]: remote media not supported by this op: {resolved}")
    return resolved


@contextmanager
def open_video(
    sample: Sample, i: int, ctx: OpContext
) -> Iterator[tuple[Path, av.container.InputContainer, av.video.stream.VideoStream]]:
    """Open ``sample.videos[i]``: yields (path, container, first video stream).

    Errors while opening, and PyAV errors raised inside the ``with`` block (decoding),
    become :class:`SampleError` naming ``videos[i]`` and the file.
    """
    path = video_path(sample, i, ctx)
    try:
        container = av.open(str(path))
    except FileNotFoundError:
        raise SampleError(f"videos[{i}]: file not found: {path}") from None
    except VIDEO_ERRORS as err:
        raise SampleError(f"videos[{i}]: not a readable video: {path}: {err}") from None
    try:
        with container:
            if not container.streams.video:
                raise SampleError(f"videos[{i}]: no video stream in {path}")
            yield path, container, container.streams.video[0]
    except SampleError:
        raise
    except VIDEO_ERRORS as err:
        raise SampleError(f"videos[{i}]: cannot decode video {path}: {err}") from None


def _duration(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    end = None  # no stated duration: the end of the last packet (demuxing, no decoding)
    for packet in container.demux(stream):
        if packet.pts is None or packet.time_base is None:
            continue
        t = float((packet.pts + (packet.duration or 0)) * packet.time_base)
        end = t if end is None else max(end, t)
    return end


def read_video_info(sample: Sample, i: int, ctx: OpContext) -> VideoInfo:
    """Metadata of ``sample.videos[i]`` without decoding frames (not memoised).

    Raises:
        SampleError: naming ``videos[i]`` for a missing, unreadable or stream-less file.
    """
    with open_video(sample, i, ctx) as (path, container, stream):
        cc = stream.codec_context
        duration = _duration(container, stream)
        if duration is None:
            raise SampleError(f"videos[{i}]: no duration and no timed packets in {path}")
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            width=int(cc.width),
            height=int(cc.height),
            duration=duration,
            fps=float(rate) if rate else None,
            frames=int(stream.frames) or None,
        )


class _InfoMemo:
    """Bounded per-process memo of :class:`VideoInfo` keyed by (path, mtime, size)."""

    def __init__(self, max_items: int = 4096) -> None:
        self.max_items = max_items
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple[str, int, int], VideoInfo] = OrderedDict()

    def get(self, key: tuple[str, int, int]) -> VideoInfo | None:
        info = self._items.get(key)
        if info is None:
            self.misses += 1
        else:
            self.hits += 1
            self._items.move_to_end(key)
        return info

    def put(self, key: tuple[str, int, int], info: VideoInfo) -> None:
        self._items[key] = info
        if len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()
        self.hits = self.misses = 0


#: The per-process memo used by :func:`video_info`.
INFO_MEMO = _InfoMemo()


def video_info(sample: Sample, i: int, ctx: OpContext) -> VideoInfo:
    """Metadata of ``sample.videos[i]``, read once per process (see :func:`read_video_info`).

    Raises:
        SampleError: naming ``videos[i]`` for a missing, unreadable or stream-less file.
    """
    path = video_path(sample, i, ctx)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SampleError(f"videos[{i}]: file not found: {path}") from None
    except OSError as err:
        raise SampleError(f"videos[{i}]: cannot stat file {path}: {err}") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    info = INFO_MEMO.get(key)
    if info is None:
        info = read_video_info(sample, i, ctx)
        INFO_MEMO.put(key, info)
    return info

"""Video frame sampling with PyAV: frames at a target fps, at most ``max_frames`` of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image


@dataclass(frozen=True)
class SampledVideo:
    """Frames sampled from a video.

    Attributes:
        frames: RGB frames in time order.
        timestamps: Each frame's time in seconds.
        sample_fps: The effective sampling rate (frames per second of video).
    """

    frames: list[Image.Image]
    timestamps: list[float]
    sample_fps: float


def sample_frames(path: Path | str, fps: float = 2.0, max_frames: int = 16) -> SampledVideo:
    """Decode a video and keep one frame every ``1/fps`` seconds, at most ``max_frames``.

    When the video is long enough to give more than ``max_frames`` frames at ``fps``, the
    frames are spread evenly over the whole video instead (a lower effective fps).

    Args:
        path: A local video file (``file://`` prefix allowed).
        fps: Target frames per second.
        max_frames: Upper bound on frames returned.

    Returns:
        The sampled frames (at least one for a readable, non-empty video).

    Raises:
        ValueError: The file holds no decodable video frame.
        OSError: The file cannot be opened.
    """
    import av

    path = Path(str(path).removeprefix("file://"))
    decoded: list[tuple[float, Image.Image]] = []
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"no video stream in {path}")
        stream = container.streams.video[0]
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        step = 1.0 / fps
        if duration and duration * fps > max_frames:
            step = duration / max_frames
        next_t = 0.0
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else len(decoded) * step
            if t + 1e-6 >= next_t:
                decoded.append((t, frame.to_image().convert("RGB")))
                next_t += step
                while next_t <= t:
                    next_t += step
    if not decoded:
        raise ValueError(f"no decodable frame in {path}")
    if len(decoded) > max_frames:
        idx = [round(i * (len(decoded) - 1) / (max_frames - 1)) for i in range(max_frames)]
        if max_frames == 1:
            idx = [0]
        decoded = [decoded[i] for i in idx]
    span = decoded[-1][0] - decoded[0][0]
    eff = (len(decoded) - 1) / span if len(decoded) > 1 and span > 0 else fps
    return SampledVideo([f for _, f in decoded], [t for t, _ in decoded], eff)

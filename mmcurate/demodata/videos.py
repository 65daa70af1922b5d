"""Tiny video clips (2-3 s, at most 160 px) of one shape moving, bouncing, growing or changing
colour, and an encoder that writes them as mp4 with PyAV (libx264, else mpeg4).

Frames are drawn with the scene renderer's :class:`~mmcurate.demodata.scenes.Shape`, so a
clip's motion and colours are known exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
from av.video.stream import VideoStream
from PIL import Image, ImageDraw

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    ACTIVITY,
    ATTRIBUTE,
    CAUSAL,
    COMPARATIVE,
    LANGUAGE,
    LOGIC,
    PALETTE,
    SCENE,
    SPATIAL,
    Clip,
    Item,
    Turn,
    article,
)
from mmcurate.demodata.scenes import BACKGROUNDS, SHAPES, Shape

SIZES = ((128, 96), (160, 120), (96, 96), (144, 112))
FPS = 12
WALL_RGB = (110, 110, 110)
DIRECTIONS = ("right", "left", "down", "up")


def _frame(size: tuple[int, int], bg: str, shape: Shape, wall: int | None = None) -> np.ndarray:
    img = Image.new("RGB", size, BACKGROUNDS[bg])
    draw = ImageDraw.Draw(img)
    if wall is not None:
        draw.rectangle((wall, 0, size[0] - 1, size[1] - 1), fill=WALL_RGB)
    shape.draw(draw)
    return np.asarray(img)


def _lerp(a: float, b: float, t: float) -> int:
    return int(round(a + (b - a) * t))


def _common(shape: Shape, seconds: int) -> list[Turn]:
    return [
        cv.short_answer("What shape appears in the video?", shape.shape, (ATTRIBUTE,)),
        cv.short_answer("How long is the video, in seconds?", str(seconds), (SCENE,)),
    ]


def _move(
    rng: random.Random, size: tuple[int, int], bg: str, shape: Shape, n: int
) -> tuple[list[np.ndarray], dict[str, Any], list[Turn]]:
    w, h = size
    direction = rng.choice(DIRECTIONS)
    s = shape.s
    start = {
        "right": (s + 2, h // 2),
        "left": (w - s - 2, h // 2),
        "down": (w // 2, s + 2),
        "up": (w // 2, h - s - 2),
    }[direction]
    end = {
        "right": (w - s - 2, h // 2),
        "left": (s + 2, h // 2),
        "down": (w // 2, h - s - 2),
        "up": (w // 2, s + 2),
    }[direction]
    frames = [
        _frame(
            size,
            bg,
            replace(
                shape,
                cx=_lerp(start[0], end[0], i / (n - 1)),
                cy=_lerp(start[1], end[1], i / (n - 1)),
            ),
        )
        for i in range(n)
    ]
    edge = {"right": "left", "left": "right", "down": "top", "up": "bottom"}
    opposite = {"right": "left", "left": "right", "down": "up", "up": "down"}
    probe = rng.choice(DIRECTIONS)
    turns = [
        cv.short_answer(
            f"In which direction does the {shape.name} move?", direction, (ACTIVITY, SPATIAL)
        ),
        cv.multi_choice(
            rng,
            f"Which way does the {shape.name} move?",
            direction.capitalize(),
            [d.capitalize() for d in DIRECTIONS],
            (ACTIVITY, SPATIAL),
        ),
        cv.yes_no(f"Does the {shape.name} move {probe}?", probe == direction, (ACTIVITY, SPATIAL)),
        cv.description(
            "Briefly describe what happens in the video.",
            f"{article(shape.color).capitalize()} {shape.name} moves steadily {direction} "
            f"across a {bg} background, "
            f"from the {edge[direction]} edge to the {edge[opposite[direction]]} edge.",
            (ACTIVITY, LANGUAGE),
            False,
        ),
        cv.chain_of_thought(
            f"Where does the {shape.name} start and where does it end?",
            (
                f"In the first frame the {shape.name} is at the {edge[direction]} edge.",
                f"In each following frame it is a little further {direction}.",
                f"In the last frame it reaches the {edge[opposite[direction]]} edge.",
            ),
            f"It starts at the {edge[direction]} edge and ends at the "
            f"{edge[opposite[direction]]} edge.",
            (ACTIVITY, SPATIAL, LOGIC),
        ),
        cv.specified(
            'Answer in JSON with the keys "shape", "color" and "direction".',
            cv.as_json({"shape": shape.shape, "color": shape.color, "direction": direction}),
            (ACTIVITY, LANGUAGE),
        ),
    ]
    return (
        frames,
        {"event": "move", "direction": direction, "start": list(start), "end": list(end)},
        turns,
    )


def _recolor(
    rng: random.Random, size: tuple[int, int], bg: str, shape: Shape, n: int
) -> tuple[list[np.ndarray], dict[str, Any], list[Turn]]:
    w, h = size
    still = replace(shape, cx=w // 2, cy=h // 2)
    after = rng.choice([c for c in PALETTE if c != shape.color])
    switch = n // 2
    frames = [
        _frame(size, bg, still if i < switch else replace(still, color=after)) for i in range(n)
    ]
    turns = [
        cv.short_answer(
            f"What colour is the {shape.shape} at the end of the video?",
            after,
            (ATTRIBUTE, ACTIVITY),
        ),
        cv.short_answer(
            f"What colour is the {shape.shape} at the start of the video?",
            shape.color,
            (ATTRIBUTE,),
        ),
        cv.yes_no(f"Does the {shape.shape} move during the video?", False, (ACTIVITY, SPATIAL)),
        cv.comparison(
            f"Compare the {shape.shape} at the start and at the end of the video.",
            "It stays in the centre and keeps its size, but its colour changes from "
            f"{shape.color} to {after}.",
            (COMPARATIVE, ATTRIBUTE, ACTIVITY),
        ),
        cv.description(
            "Briefly describe what happens in the video.",
            f"{article(shape.color).capitalize()} {shape.name} sits in the centre of a {bg} "
            "background and "
            f"halfway through the clip turns {after}.",
            (ACTIVITY, LANGUAGE),
            False,
        ),
    ]
    return (
        frames,
        {"event": "recolor", "colors": [shape.color, after], "change_frame": switch},
        turns,
    )


def _bounce(
    rng: random.Random, size: tuple[int, int], bg: str, shape: Shape, n: int
) -> tuple[list[np.ndarray], dict[str, Any], list[Turn]]:
    w, h = size
    ball = replace(shape, shape="circle", cy=h // 2)
    wall = w - 12
    left, right = ball.s + 2, wall - ball.s
    peak = (n - 1) // 2
    back = n - 1 - peak
    stop = left + (right - left) // 3
    xs = [
        _lerp(left, right, i / peak) if i <= peak else _lerp(right, stop, (i - peak) / back)
        for i in range(n)
    ]
    frames = [_frame(size, bg, replace(ball, cx=x), wall) for x in xs]
    turns = [
        cv.chain_of_thought(
            "Why does the ball change direction?",
            (
                "At the start the ball moves right, towards the gray wall.",
                "About halfway through the clip it touches the wall.",
                "A ball that hits a solid wall bounces back.",
            ),
            "It hits the gray wall on the right and bounces back to the left.",
            (CAUSAL, ACTIVITY),
        ),
        cv.short_answer("How many times does the ball hit the wall?", "Once", (ACTIVITY,)),
        cv.yes_no(
            "Is the ball moving to the left at the end of the video?", True, (ACTIVITY, SPATIAL)
        ),
        cv.description(
            "Describe the video in detail.",
            f"The video shows {article(ball.color)} {ball.color} ball on a {bg} background "
            "with a gray wall along "
            "the right edge. The ball starts at the left edge and rolls right at a steady speed. "
            "About halfway through it hits the wall and bounces back, moving left until the "
            "clip ends "
            "before it reaches the left edge.",
            (ACTIVITY, LANGUAGE, CAUSAL),
            True,
        ),
    ]
    return frames, {"event": "bounce", "bounce_frame": peak, "wall_x": wall, "x": xs}, turns


def _grow(
    rng: random.Random, size: tuple[int, int], bg: str, shape: Shape, n: int
) -> tuple[list[np.ndarray], dict[str, Any], list[Turn]]:
    w, h = size
    small, big = 8, min(w, h) // 2 - 4
    grows = rng.random() < 0.5
    a, b = (small, big) if grows else (big, small)
    sizes = [_lerp(a, b, i / (n - 1)) for i in range(n)]
    frames = [_frame(size, bg, replace(shape, cx=w // 2, cy=h // 2, s=s)) for s in sizes]
    change = "grows" if grows else "shrinks"
    options = ["It grows", "It shrinks", "It moves to the left", "It changes colour"]
    turns = [
        cv.short_answer(
            f"Does the {shape.name} get bigger or smaller?",
            "Bigger" if grows else "Smaller",
            (ACTIVITY, ATTRIBUTE),
        ),
        cv.yes_no(f"Does the {shape.name} change colour?", False, (ATTRIBUTE,)),
        cv.multi_choice(
            rng,
            f"What happens to the {shape.name} during the video?",
            f"It {change}",
            options,
            (ACTIVITY,),
        ),
        cv.description(
            "Briefly describe what happens in the video.",
            f"{article(shape.color).capitalize()} {shape.name} in the centre of a {bg} "
            f"background steadily {change}.",
            (ACTIVITY, LANGUAGE),
            False,
        ),
    ]
    return frames, {"event": "grow" if grows else "shrink", "half_sizes": [a, b]}, turns


EVENTS: dict[str, Callable[..., tuple[list[np.ndarray], dict[str, Any], list[Turn]]]] = {
    "move": _move,
    "recolor": _recolor,
    "bounce": _bounce,
    "grow": _grow,
}


def build(rng: random.Random, event: str | None = None) -> Item:
    """A random clip item.

    Args:
        rng: Draws everything.
        event: ``move``, ``recolor``, ``bounce`` or ``grow`` (random when ``None``).
    """
    size = rng.choice(SIZES)
    bg = rng.choice(list(BACKGROUNDS))
    seconds = rng.choice((2, 3))
    n = seconds * FPS
    shape = Shape(
        rng.choice(SHAPES),
        rng.choice(list(PALETTE)),
        size[0] // 2,
        size[1] // 2,
        rng.randint(10, 16),
    )
    event = event or rng.choice(sorted(EVENTS))
    frames, truth, turns = EVENTS[event](rng, size, bg, shape, n)
    truth.update(
        shape=shape.shape if event != "bounce" else "circle",
        color=shape.color,
        background=bg,
        size=list(size),
        fps=FPS,
        frames=n,
        seconds=seconds,
    )
    return Item(
        "video",
        event,
        clip=Clip(frames, FPS),
        truth=truth,
        turns=[*turns, *_common(replace(shape, shape=truth["shape"]), seconds)],
    )


# One thread and no macroblock-tree rate control: with mbtree, libx264's output was seen to
# vary between processes for identical frames.
_ENCODER_OPTIONS = {
    "libx264": {"crf": "26", "preset": "veryfast", "threads": "1", "x264-params": "mbtree=0"},
    "mpeg4": {"threads": "1", "qscale": "4"},
}


def _codec() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """RGB frame -> planar YUV 4:2:0 (BT.601, limited range) in PyAV's ndarray layout.

    The conversion is done here in integer arithmetic rather than by swscale, whose SIMD
    paths depend on buffer alignment and so can change the encoded bytes between processes.
    """
    h, w = rgb.shape[:2]
    c = rgb.astype(np.int32)
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    sub = c.reshape(h // 2, 2, w // 2, 2, 3).sum(axis=(1, 3))
    sub = (sub + 2) >> 2
    r2, g2, b2 = sub[..., 0], sub[..., 1], sub[..., 2]
    u = ((-38 * r2 - 74 * g2 + 112 * b2 + 128) >> 8) + 128
    v = ((112 * r2 - 94 * g2 - 18 * b2 + 128) >> 8) + 128
    planes = [np.clip(p, 0, 255).astype(np.uint8).ravel() for p in (y, u, v)]
    return np.concatenate(planes).reshape(-1, w)


def write_clip(clip: Clip, path: Path) -> str:
    """Encode ``clip`` as mp4 at ``path``; the same clip gives the same bytes on every run.

    Returns:
        The codec used.
    """
    codec = _codec()
    h, w = clip.frames[0].shape[:2]
    with av.open(str(path), mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
        stream = cast(
            VideoStream,
            container.add_stream(codec, rate=clip.fps, options=_ENCODER_OPTIONS[codec]),
        )
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i, arr in enumerate(clip.frames):
            frame = av.VideoFrame.from_ndarray(to_yuv420p(arr), format="yuv420p")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return codec

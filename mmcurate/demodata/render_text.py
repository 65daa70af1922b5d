"""Fonts and text layout for rendered documents and signs.

Fonts come from files that ship with the Python dependencies (matplotlib's DejaVu fonts), so
the output is the same on every machine with the same package versions and needs no system
fonts. Fallbacks: DejaVu under /usr/share/fonts, then Pillow's scalable default font.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import matplotlib
from PIL import ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Face = Literal["sans", "bold", "mono", "serif"]

_FILES: dict[Face, str] = {
    "sans": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
    "serif": "DejaVuSerif.ttf",
}


def _font_dirs() -> list[Path]:
    return [
        Path(matplotlib.get_data_path()) / "fonts" / "ttf",
        Path("/usr/share/fonts/truetype/dejavu"),
        Path("/usr/share/fonts/TTF"),
    ]


@functools.cache
def font(size: int, face: Face = "sans") -> Font:
    """A font of ``size`` pixels (cached).

    Args:
        size: Nominal size in pixels.
        face: ``sans``, ``bold``, ``mono`` or ``serif``.
    """
    for directory in _font_dirs():
        path = directory / _FILES[face]
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def text_width(text: str, fnt: Font) -> float:
    """Advance width of ``text`` in pixels."""
    return float(fnt.getlength(text))


def wrap(text: str, fnt: Font, width: float) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, fnt) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def ink_box(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, fnt: Font
) -> tuple[int, int, int, int]:
    """Integer pixel box ``[x1, y1, x2, y2)`` (exclusive end) of ``text`` drawn at ``xy``."""
    x1, y1, x2, y2 = draw.textbbox(xy, text, font=fnt)
    return int(x1), int(y1), int(x2) + 1, int(y2) + 1


def line_height(fnt: Font, spacing: float = 1.35) -> int:
    """Distance between baselines for ``fnt``."""
    size = fnt.size if isinstance(fnt, ImageFont.FreeTypeFont) else 11
    return int(round(size * spacing))


def draw_centered(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    lines: list[str],
    fnt: Font,
    fill: tuple[int, int, int],
) -> list[tuple[int, int, int, int]]:
    """Draw ``lines`` centred in ``box``; returns each line's ink box."""
    x1, y1, x2, y2 = box
    step = line_height(fnt, 1.2)
    top = (y1 + y2) / 2 - step * len(lines) / 2
    boxes = []
    for i, line in enumerate(lines):
        w = text_width(line, fnt)
        xy = ((x1 + x2) / 2 - w / 2, top + i * step)
        draw.text(xy, line, font=fnt, fill=fill)
        boxes.append(ink_box(draw, xy, line, fnt))
    return boxes

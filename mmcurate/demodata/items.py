"""Shared building blocks of the demo-data generator: vocabulary, turns, media and items.

Every kind module (documents, signs, charts, photos, scenes, videos) renders media from a
seeded ``random.Random`` and returns an :class:`Item`: the media, the ground truth the media
was drawn from, and all the question/answer :class:`Turn` candidates that are true for it.
:mod:`mmcurate.demodata.generate` then picks turns, writes files and assembles the jsonl.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from PIL import Image

from mmcurate.taxonomy import CAPABILITIES, STYLES


def _member(vocab: tuple[str, ...], label: str) -> str:
    if label not in vocab:
        raise ValueError(f"{label!r} is not one of {vocab}")
    return label


# Interaction styles (taxonomy.STYLES), named once here.
MULTI_CHOICE = _member(STYLES, "multi-choice")
COORDINATE = _member(STYLES, "coordinate")
YES_NO = _member(STYLES, "yes/no")
SHORT_PHRASE = _member(STYLES, "word/short-phrase")
SHORT_DESC = _member(STYLES, "short description")
DETAILED_DESC = _member(STYLES, "detailed description")
COMPARISON = _member(STYLES, "comparison")
CHAIN_OF_THOUGHT = _member(STYLES, "chain-of-thought (step-by-step)")
SPECIFIED = _member(STYLES, "specified style")

# Capabilities (taxonomy.CAPABILITIES), named once here.
SPATIAL = _member(CAPABILITIES, "object_spatial_understanding")
ATTRIBUTE = _member(CAPABILITIES, "attribute_identification")
LOGIC = _member(CAPABILITIES, "logical_deduction")
SCENE = _member(CAPABILITIES, "scene_understanding")
FINE_GRAINED = _member(CAPABILITIES, "fine_grained_recognition")
LANGUAGE = _member(CAPABILITIES, "language_generation")
ICL = _member(CAPABILITIES, "in_context_learning")
COMPARATIVE = _member(CAPABILITIES, "comparative_analysis")
ACTIVITY = _member(CAPABILITIES, "activity_recognition")
CAUSAL = _member(CAPABILITIES, "causal_reasoning")
HUMANITIES = _member(CAPABILITIES, "humanities")
STEM = _member(CAPABILITIES, "stem_knowledge")
DATA = _member(CAPABILITIES, "data_understanding")
OCR = _member(CAPABILITIES, "optical_character_recognition")

Kind = Literal["document", "sign", "chart", "photo", "scene", "video"]
KINDS: tuple[Kind, ...] = ("document", "sign", "chart", "photo", "scene", "video")

RGB = tuple[int, int, int]

#: Named colours used by scenes, signs and videos (exact RGB values, drawn without blending).
PALETTE: dict[str, RGB] = {
    "red": (220, 40, 40),
    "green": (40, 160, 70),
    "blue": (40, 80, 220),
    "yellow": (240, 205, 30),
    "orange": (245, 140, 30),
    "purple": (135, 60, 190),
    "pink": (240, 120, 180),
    "brown": (125, 80, 40),
    "black": (20, 20, 20),
}


@dataclass(frozen=True)
class Turn:
    """One human question and its true answer.

    Attributes:
        question: The human turn (without media placeholders).
        answer: The assistant turn; true for the item's media.
        styles: Interaction styles of this turn (``taxonomy.STYLES``), primary first.
        capabilities: Capabilities it exercises (``taxonomy.CAPABILITIES``), primary first.
        ocr: Whether reading text in the media is essential to answer.
        pixel_exact: Whether the answer depends on exact pixel positions (boxes), so the
            turn is not reused on a perturbed copy of the image.
        transcription: Whether the answer is rendered text, verbatim (OCR transcription).
    """

    question: str
    answer: str
    styles: tuple[str, ...]
    capabilities: tuple[str, ...]
    ocr: bool = False
    pixel_exact: bool = False
    transcription: bool = False

    def __post_init__(self) -> None:
        for s in self.styles:
            _member(STYLES, s)
        for c in self.capabilities:
            _member(CAPABILITIES, c)


@dataclass
class Picture:
    """An image to write, with its file format (PNG for pixel-exact content, JPEG for photos)."""

    image: Image.Image
    fmt: Literal["png", "jpg"] = "png"


@dataclass
class Clip:
    """A short video: RGB frames (all the same size) and a frame rate."""

    frames: list[np.ndarray]
    fps: int


@dataclass
class Item:
    """Media, ground truth and candidate turns for one sample.

    Attributes:
        kind: The media kind (see :data:`KINDS`).
        variant: Which template drew it (``"receipt"``, ``"bar"``, ``"pair"``, ...).
        pictures: Images, in placeholder order (empty for videos).
        clip: The video, for video items.
        truth: Kind-specific ground truth (JSON-serialisable) the turns were derived from.
        turns: Every candidate turn that is true for the media.
    """

    kind: Kind
    variant: str
    pictures: list[Picture] = field(default_factory=list)
    clip: Clip | None = None
    truth: dict[str, Any] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any printable parts (independent of ``PYTHONHASHSEED``)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def norm_box(box: tuple[int, int, int, int] | list[int], width: int, height: int) -> list[float]:
    """Pixel box ``[x1, y1, x2, y2]`` -> box normalised to 0-1, rounded to 3 decimals."""
    x1, y1, x2, y2 = box
    return [
        round(x1 / width, 3),
        round(y1 / height, 3),
        round(x2 / width, 3),
        round(y2 / height, 3),
    ]


def box_entry(
    label: str,
    box: tuple[int, int, int, int] | list[int],
    size: tuple[int, int],
    rgb: RGB | None = None,
    image: int = 0,
) -> dict[str, Any]:
    """A ground-truth box record for ``truth["boxes"]``.

    Args:
        label: What the box encloses (the phrase used in questions).
        box: Pixel box ``[x1, y1, x2, y2]`` (x2/y2 exclusive).
        size: ``(width, height)`` of the image.
        rgb: The object's exact fill colour, when it has one.
        image: Index of the image the box lies in.
    """
    entry: dict[str, Any] = {
        "label": label,
        "image": image,
        "bbox": [int(v) for v in box],
        "bbox_norm": norm_box(box, *size),
    }
    if rgb is not None:
        entry["rgb"] = list(rgb)
    return entry


def number_word(n: int) -> str:
    """English word for small counts (0-20), digits beyond."""
    words = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ]
    return words[n] if 0 <= n < len(words) else str(n)


def join_words(parts: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def article(word: str) -> str:
    """``"a"`` or ``"an"`` for a following word."""
    return "an" if word[:1].lower() in "aeiou" else "a"

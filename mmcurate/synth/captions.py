"""Difference captions (ImgDiff stage 3): region captions, the red-box side-by-side image,
the difference question, and the LLaVA-style samples.

Captions come from one of three places, recorded in ``meta.imgdiff.caption_source``:

- ``vlm``: the configured model backend (``vllm-server``, ``transformers``, ...) through
  :func:`mmcurate.models.generate`, with the ``imgdiff_*`` prompts and pydantic schemas;
- ``heuristic``: the model layer's heuristic backend, whose handlers for the ``imgdiff_*``
  prompts are registered here: a region is named by its dominant colour (nearest of a few
  named colours) and any OCR text (tesseract), and the difference sentence is composed from
  the two region captions. A heuristic, said so in every caption;
- ``procedural_ground_truth``: for procedural pairs without a VLM, the renderer's exact
  captions of the changed object (a predicted box takes the captions of the ground-truth
  box it overlaps at IoU >= ``gt_match_iou``; a box over no changed object has none and is
  dropped).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from pydantic import BaseModel

from mmcurate.models import ImagePart, Request, register_heuristic
from mmcurate.prompts import load_prompt
from mmcurate.prompts.schemas import DifferenceCaption, RegionCaption
from mmcurate.synth.boxes import Box
from mmcurate.synth.procedural import COLORS

REGION_PROMPT = "imgdiff_region_caption"
DIFFERENCE_PROMPT = "imgdiff_difference"
EMPTY = "empty background"
DIFFERENCE_QUESTION = (
    "The image shows two pictures side by side, separated by a black bar. A red box marks the "
    "same region in both pictures. What is different inside the red box?"
)
REMOVAL_QUESTION = (
    "One object in the first image is missing from the second image. Which one is it?"
)
_ARTICLES = {"a", "an", "the"}
_WORD_RE = re.compile(r"[a-z0-9]+")


def normalise(caption: str) -> list[str]:
    """Lower-case words of a caption without articles (for comparing captions)."""
    return [w for w in _WORD_RE.findall(caption.lower()) if w not in _ARTICLES]


def caption_overlap(a: str, b: str) -> float:
    """Jaccard overlap of two captions' word sets (1.0: the same words)."""
    wa, wb = set(normalise(a)), set(normalise(b))
    if not wa and not wb:
        return 1.0
    return len(wa & wb) / len(wa | wb)


def mentions(caption: str, objects: Sequence[str]) -> bool:
    """Whether a caption names one of ``objects`` (word match, plural ``s`` tolerated)."""
    words = set(normalise(caption))
    words |= {w[:-1] for w in words if w.endswith("s")}
    for obj in objects:
        ow = normalise(obj)
        if ow and all(w in words or w.rstrip("s") in words for w in ow):
            return True
    return False


def pad_box(box: Box, size: tuple[int, int], frac: float) -> Box:
    """``box`` grown by ``frac`` of its size on each side, clipped to the image."""
    x1, y1, x2, y2 = box
    dx, dy = int((x2 - x1) * frac), int((y2 - y1) * frac)
    return max(0, x1 - dx), max(0, y1 - dy), min(size[0], x2 + dx), min(size[1], y2 + dy)


def region_crops(
    img_a: Image.Image, img_b: Image.Image, box: Box, pad_frac: float = 0.15
) -> tuple[Image.Image, Image.Image]:
    """The same (padded) region cropped from both images (the second at the first's size)."""
    if img_b.size != img_a.size:
        img_b = img_b.resize(img_a.size, Image.Resampling.BILINEAR)
    region = pad_box(box, img_a.size, pad_frac)
    return img_a.crop(region), img_b.crop(region)


def side_by_side(
    img_a: Image.Image, img_b: Image.Image, box: Box, bar: int | None = None
) -> Image.Image:
    """Both images with a red box drawn on the region, left and right of a black bar."""
    if img_b.size != img_a.size:
        img_b = img_b.resize(img_a.size, Image.Resampling.BILINEAR)
    w, h = img_a.size
    bar = bar if bar is not None else max(8, w // 40)
    width = max(2, round(max(w, h) / 150))
    out = Image.new("RGB", (2 * w + bar, h), (0, 0, 0))
    for i, img in enumerate((img_a, img_b)):
        marked = img.convert("RGB").copy()
        ImageDraw.Draw(marked).rectangle(
            (box[0], box[1], box[2] - 1, box[3] - 1), outline=(255, 0, 0), width=width
        )
        out.paste(marked, (i * (w + bar), 0))
    return out


def region_requests(
    key: str, crop_a: Image.Image, crop_b: Image.Image, max_words: int
) -> list[Request]:
    """The two region-caption requests of one box (keys ``<key>:a`` and ``<key>:b``)."""
    prompt = load_prompt(REGION_PROMPT)
    return [
        prompt.request({"max_words": max_words}, images=[crop], key=f"{key}:{side}")
        for side, crop in (("a", crop_a), ("b", crop_b))
    ]


def difference_request(
    key: str, sbs: Image.Image, caption_a: str, caption_b: str, max_words: int
) -> Request:
    """The difference request for one box's side-by-side image."""
    prompt = load_prompt(DIFFERENCE_PROMPT)
    values = {"caption_a": caption_a, "caption_b": caption_b, "max_words": max_words}
    return prompt.request(
        values,
        images=[sbs],
        key=key,
        meta={"caption_a": caption_a, "caption_b": caption_b},
    )


# -- heuristic answers (no model) -----------------------------------------------------------

#: Names for the dominant colour: the procedural palette plus white and grey.
_NAMED: dict[str, tuple[int, int, int]] = {
    **COLORS,
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
}


def _first_image(request: Request) -> Image.Image:
    for msg in request.messages:
        for part in msg.parts():
            if isinstance(part, ImagePart):
                img = part.image
                if isinstance(img, Image.Image):
                    return img.convert("RGB")
                path = str(img).removeprefix("file://")
                with Image.open(path) as im:
                    return im.convert("RGB")
    raise ValueError("the request has no image")


def _ocr(img: Image.Image) -> str:
    try:
        import pytesseract

        text = pytesseract.image_to_string(img.convert("L"), config="--psm 6", timeout=5)
    except Exception:  # noqa: BLE001 - OCR is optional in the heuristic
        return ""
    words = [w for w in re.findall(r"[A-Za-z0-9]{2,}", text)]
    return " ".join(words[:4])


def heuristic_region_caption(img: Image.Image) -> RegionCaption:
    """Name a region by its dominant non-background colour and OCR text (a heuristic).

    The background colour is the median of the border pixels; pixels further than 0.15 (max
    channel, 0-1 scale) from it are the object. Under 4% object pixels reads as background.
    """
    arr = np.asarray(img.convert("RGB"), np.float32) / 255.0
    border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    bg = np.median(border, axis=0)
    obj = np.abs(arr - bg).max(axis=2) > 0.15
    if obj.mean() < 0.04:
        return RegionCaption(caption=f"{EMPTY} (heuristic)", has_object=False)
    colour = np.median(arr[obj], axis=0) * 255.0
    name = min(_NAMED, key=lambda k: float(np.sum((np.array(_NAMED[k]) - colour) ** 2)))
    text = _ocr(img)
    caption = f"{name} object" + (f' with text "{text}"' if text else "") + " (heuristic)"
    return RegionCaption(caption=caption[:80], has_object=True)


@register_heuristic(REGION_PROMPT)
def _region_heuristic(request: Request, schema: type[BaseModel] | None) -> RegionCaption:
    return heuristic_region_caption(_first_image(request))


@register_heuristic(DIFFERENCE_PROMPT)
def _difference_heuristic(request: Request, schema: type[BaseModel] | None) -> DifferenceCaption:
    a = str(request.meta.get("caption_a", "")).replace(" (heuristic)", "")[:50]
    b = str(request.meta.get("caption_b", "")).replace(" (heuristic)", "")[:50]
    return DifferenceCaption(
        difference=f"Inside the red box the left image shows {a}; the right image shows {b}."[:128]
    )


# -- samples --------------------------------------------------------------------------------


def difference_messages(difference: str) -> list[dict[str, str]]:
    """The conversation of a difference sample (one side-by-side image)."""
    return [
        {"role": "user", "content": f"<image>\n{DIFFERENCE_QUESTION}"},
        {"role": "assistant", "content": difference},
    ]


def removal_messages(
    removed: str, distractors: Sequence[str], rng: np.random.Generator
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The object-removal multiple-choice conversation (two images) and its answer facts.

    Args:
        removed: Caption of the object in the first image that the second lacks.
        distractors: Other object captions (up to 3 are used; duplicates of ``removed`` are
            skipped).
        rng: Seeded generator for the option order.
    """
    seen = set(normalise(removed) and [" ".join(normalise(removed))])
    picked: list[str] = []
    for d in distractors:
        key = " ".join(normalise(d))
        if key and key not in seen:
            seen.add(key)
            picked.append(d)
        if len(picked) == 3:
            break
    options = [removed, *picked]
    order = rng.permutation(len(options))
    options = [options[i] for i in order]
    letters = "ABCD"
    answer = letters[options.index(removed)]
    listing = "\n".join(f"{letters[i]}. {o}" for i, o in enumerate(options))
    messages = [
        {
            "role": "user",
            "content": f"<image>\n<image>\n{REMOVAL_QUESTION}\n{listing}\n"
            "Answer with the option's letter.",
        },
        {"role": "assistant", "content": f"{answer}. {removed}"},
    ]
    return messages, {"options": options, "answer": answer}

"""Difference areas of an image pair (ImgDiff stage 2), from pixel and SSIM difference maps.

Method (a heuristic; no segmentation model is available offline):

1. Both images as float RGB in [0, 1] (the second resized to the first's size if needed).
2. Two difference maps: the largest per-channel absolute difference, Gaussian-smoothed
   (``pixel_sigma``) so JPEG noise and anti-aliasing do not count; and the structural
   dissimilarity ``(1 - SSIM) / 2`` per pixel (scikit-image, Gaussian window), averaged over
   the RGB channels.
3. A pixel is *changed* when either map passes its threshold; the mask is cleaned with a
   morphological opening (specks) and closing (holes), components smaller than
   ``min_component_px`` are removed, and components closer than ``merge_px`` are grouped
   (one object changed in shape gives several pieces: a square's corners around a circle).
4. Each group's box is a candidate. Candidates are dropped, each with a recorded reason,
   when they are tiny (area < ``min_area_frac`` of the image, default 1/400), when their
   crops are similar (crop similarity >= ``crop_similarity_max``, default 0.85), or when a
   higher-scoring box overlaps them at IoU >= ``nms_iou`` (default 0.5).

*Crop similarity* is the smallest of the per-channel SSIMs of the two crops (so a pure
colour change, which grey-level SSIM can miss, still reads as different).

The optional ``segmentation="felzenszwalb"`` refinement grows each box to the image
segments (scikit-image's graph segmentation of both images) that the changed mask covers
for at least half their area, so a box covers the whole changed object and not only its
changed pixels; it stands in for the segmentation model ImgDiff uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

Box = tuple[int, int, int, int]


class BoxParams(BaseModel):
    """Thresholds of the difference-area stage (published ImgDiff defaults where they exist).

    Attributes:
        crop_similarity_max: Keep a box only if its crops' similarity is below this (ImgDiff:
            0.85).
        nms_iou: Suppress a box overlapping a better one at this IoU or more (ImgDiff: 0.5).
        min_area_frac: Drop boxes smaller than this fraction of the image (1/400).
        max_boxes: Keep at most this many boxes per pair (``None``: no limit).
        pixel_threshold: Smoothed per-channel absolute difference that marks a pixel changed.
        ssim_threshold: Structural dissimilarity ``(1 - SSIM) / 2`` that marks a pixel changed.
        pixel_sigma: Gaussian sigma (pixels) applied to the absolute difference map.
        open_px: Radius of the morphological opening (removes specks).
        close_px: Radius of the morphological closing (fills holes).
        merge_px: Components closer than this are one candidate.
        min_component_px: Components with fewer pixels are noise.
        pad_px: Pixels added around each box (clipped to the image).
        segmentation: ``none``, or ``felzenszwalb`` to grow boxes to covered image segments.
        max_side: Images are compared at most this large (longest side, pixels); boxes are
            returned in the original image's coordinates.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    crop_similarity_max: float = Field(default=0.85, gt=0.0, le=1.0)
    nms_iou: float = Field(default=0.5, gt=0.0, le=1.0)
    min_area_frac: float = Field(default=1 / 400, ge=0.0, lt=1.0)
    max_boxes: int | None = Field(default=None, ge=1)
    pixel_threshold: float = Field(default=0.10, gt=0.0, lt=1.0)
    ssim_threshold: float = Field(default=0.25, gt=0.0, le=1.0)
    pixel_sigma: float = Field(default=1.0, ge=0.0)
    open_px: int = Field(default=1, ge=0)
    close_px: int = Field(default=3, ge=0)
    merge_px: int = Field(default=6, ge=0)
    min_component_px: int = Field(default=12, ge=0)
    pad_px: int = Field(default=1, ge=0)
    segmentation: Literal["none", "felzenszwalb"] = "none"
    max_side: int = Field(default=640, ge=32)


@dataclass
class Candidate:
    """One candidate box and what happened to it."""

    box: Box
    score: float
    crop_similarity: float | None = None
    dropped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (for traces)."""
        return {
            "box": list(self.box),
            "score": round(self.score, 4),
            "crop_similarity": None
            if self.crop_similarity is None
            else round(self.crop_similarity, 4),
            "dropped": self.dropped,
        }


@dataclass
class BoxResult:
    """The difference areas of one pair.

    Attributes:
        boxes: Kept boxes (x1, y1, x2, y2, exclusive end, pixels of the first image), best first.
        crop_similarities: Crop similarity of each kept box.
        candidates: Every candidate, kept or dropped with its reason.
        resized: Whether the second image was resized to the first's size.
    """

    boxes: list[Box] = field(default_factory=list)
    crop_similarities: list[float] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    resized: bool = False

    def drop_summary(self) -> str:
        """Why candidates were dropped, counted (``"2 tiny, 1 crops similar"``)."""
        counts: dict[str, int] = {}
        for c in self.candidates:
            if c.dropped:
                key = c.dropped.split(":", 1)[0]
                counts[key] = counts.get(key, 0) + 1
        return ", ".join(f"{n} {k}" for k, n in counts.items()) or "no candidates"


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (exclusive ends)."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def to_array(img: Image.Image) -> np.ndarray:
    """RGB float array in [0, 1]."""
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def _disk(r: int) -> np.ndarray:
    from skimage.morphology import disk

    return disk(r) if r > 0 else np.ones((1, 1), bool)


def difference_maps(a: np.ndarray, b: np.ndarray, pixel_sigma: float) -> tuple[np.ndarray, ...]:
    """``(pixel, dissimilarity)`` maps of two same-size RGB float arrays."""
    from scipy.ndimage import gaussian_filter
    from skimage.metrics import structural_similarity

    pix = np.abs(a - b).max(axis=2)
    if pixel_sigma > 0:
        pix = gaussian_filter(pix, pixel_sigma)
    _, ssim_map = structural_similarity(
        a, b, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5, full=True
    )
    dis = (1.0 - ssim_map.mean(axis=2)) / 2.0
    return pix, dis


def crop_similarity(a: np.ndarray, b: np.ndarray, box: Box) -> float:
    """Smallest per-channel SSIM of the two crops (1.0: identical).

    Crops smaller than 7 pixels on a side are compared by ``1 - mean absolute difference``.
    """
    from skimage.metrics import structural_similarity

    x1, y1, x2, y2 = box
    ca, cb = a[y1:y2, x1:x2], b[y1:y2, x1:x2]
    side = min(ca.shape[0], ca.shape[1])
    if side < 7:
        return float(1.0 - np.abs(ca - cb).mean())
    win = min(7, side if side % 2 else side - 1)
    values = [
        structural_similarity(ca[..., c], cb[..., c], data_range=1.0, win_size=win)
        for c in range(3)
    ]
    return float(min(values))


def _segments_grow(a: np.ndarray, b: np.ndarray, mask: np.ndarray, boxes: list[Box]) -> list[Box]:
    from skimage.segmentation import felzenszwalb

    grown = []
    segs = [felzenszwalb(x, scale=200, sigma=0.8, min_size=30) for x in (a, b)]
    for box in boxes:
        x1, y1, x2, y2 = box
        for seg in segs:
            inside = seg[y1:y2, x1:x2][mask[y1:y2, x1:x2]]
            for label in np.unique(inside):
                sel = seg == label
                cover = (sel & mask).sum() / max(1, sel.sum())
                if cover >= 0.5:
                    ys, xs = np.nonzero(sel)
                    x1, y1 = min(x1, int(xs.min())), min(y1, int(ys.min()))
                    x2, y2 = max(x2, int(xs.max()) + 1), max(y2, int(ys.max()) + 1)
        grown.append((x1, y1, x2, y2))
    return grown


def changed_mask(a: np.ndarray, b: np.ndarray, params: BoxParams) -> np.ndarray:
    """The cleaned boolean mask of changed pixels."""
    from scipy.ndimage import binary_closing, binary_opening, label

    pix, dis = difference_maps(a, b, params.pixel_sigma)
    mask = (pix > params.pixel_threshold) | (dis > params.ssim_threshold)
    if params.open_px:
        mask = binary_opening(mask, _disk(params.open_px))
    if params.close_px:
        # pad so closing does not erode objects touching the border
        r = params.close_px
        padded = np.pad(mask, r, mode="edge")
        mask = binary_closing(padded, _disk(r))[r:-r, r:-r]
    if params.min_component_px and mask.any():
        labels, _ = label(mask)
        sizes = np.bincount(labels.ravel())
        small = sizes < params.min_component_px
        small[0] = False
        mask = mask & ~small[labels]
    return np.asarray(mask, dtype=bool)


def candidate_boxes(
    mask: np.ndarray, score_map: np.ndarray, params: BoxParams, tight: np.ndarray | None = None
) -> list[Candidate]:
    """Group the mask's components (closer than ``merge_px``) into scored boxes.

    When ``tight`` (pixels whose smoothed absolute difference passes the threshold) covers
    enough of a group, the box is fitted to those pixels: the SSIM window spreads a change a
    few pixels beyond its edges, the absolute difference does not.
    """
    from scipy.ndimage import binary_dilation, find_objects, label

    if not mask.any():
        return []
    grouping = binary_dilation(mask, _disk(params.merge_px)) if params.merge_px else mask
    groups, n = label(grouping)
    out = []
    h, w = mask.shape
    for i, sl in enumerate(find_objects(groups), start=1):
        if sl is None:
            continue
        sub = (groups[sl] == i) & mask[sl]
        if tight is not None:
            t = sub & tight[sl]
            if t.sum() >= max(1, params.min_component_px):
                sub = t
        ys, xs = np.nonzero(sub)
        if len(ys) == 0:
            continue
        y0, x0 = sl[0].start, sl[1].start
        p = params.pad_px
        box = (
            max(0, x0 + int(xs.min()) - p),
            max(0, y0 + int(ys.min()) - p),
            min(w, x0 + int(xs.max()) + 1 + p),
            min(h, y0 + int(ys.max()) + 1 + p),
        )
        out.append(Candidate(box, float(score_map[sl][sub].sum())))
    return out


def find_boxes(
    img_a: Image.Image, img_b: Image.Image, params: BoxParams | None = None
) -> BoxResult:
    """The difference areas of a pair (see the module docstring).

    Args:
        img_a: First image (boxes are in its pixel coordinates).
        img_b: Second image (resized to the first's size when the sizes differ).
        params: Thresholds (default :class:`BoxParams`).
    """
    params = params or BoxParams()
    result = BoxResult()
    w0, h0 = img_a.size
    if img_b.size != img_a.size:
        img_b = img_b.resize(img_a.size, Image.Resampling.BILINEAR)
        result.resized = True
    scale = min(1.0, params.max_side / max(w0, h0))
    if scale < 1.0:
        size = (max(1, round(w0 * scale)), max(1, round(h0 * scale)))
        img_a = img_a.resize(size, Image.Resampling.BILINEAR)
        img_b = img_b.resize(size, Image.Resampling.BILINEAR)
    a, b = to_array(img_a), to_array(img_b)
    h, w = a.shape[:2]
    mask = changed_mask(a, b, params)
    pix, _ = difference_maps(a, b, params.pixel_sigma) if mask.any() else (mask, mask)
    cands = candidate_boxes(mask, pix, params, tight=pix > params.pixel_threshold)
    if params.segmentation == "felzenszwalb" and cands:
        for c, g in zip(cands, _segments_grow(a, b, mask, [c.box for c in cands]), strict=True):
            c.box = g
    cands.sort(key=lambda c: -c.score)
    min_area = params.min_area_frac * w * h
    kept: list[Candidate] = []
    for c in cands:
        x1, y1, x2, y2 = c.box
        area = (x2 - x1) * (y2 - y1)
        if area < min_area:
            c.dropped = f"tiny: area {area} px < {params.min_area_frac:.4g} of the image"
            continue
        c.crop_similarity = crop_similarity(a, b, c.box)
        if c.crop_similarity >= params.crop_similarity_max:
            c.dropped = (
                f"crops similar: crop similarity {c.crop_similarity:.3f} >= "
                f"{params.crop_similarity_max}"
            )
            continue
        over = next((k for k in kept if iou(k.box, c.box) >= params.nms_iou), None)
        if over is not None:
            c.dropped = f"nms: IoU {iou(over.box, c.box):.2f} >= {params.nms_iou} with a better box"
            continue
        if params.max_boxes is not None and len(kept) >= params.max_boxes:
            c.dropped = f"max_boxes: more than {params.max_boxes} boxes"
            continue
        kept.append(c)
    inv = 1.0 / scale
    for c in cands:
        if scale < 1.0:
            c.box = (
                int(c.box[0] * inv),
                int(c.box[1] * inv),
                min(w0, int(np.ceil(c.box[2] * inv))),
                min(h0, int(np.ceil(c.box[3] * inv))),
            )
    result.candidates = cands
    result.boxes = [c.box for c in kept]
    result.crop_similarities = [float(c.crop_similarity or 0.0) for c in kept]
    return result


def pixel_diff_boxes(img_a: Image.Image, img_b: Image.Image, threshold: float = 0.1) -> list[Box]:
    """Baseline for the benchmark: raw absolute pixel difference > ``threshold``, connected
    components, one box each (no smoothing, SSIM, morphology, grouping or filters)."""
    from scipy.ndimage import find_objects, label

    if img_b.size != img_a.size:
        img_b = img_b.resize(img_a.size, Image.Resampling.BILINEAR)
    mask = np.abs(to_array(img_a) - to_array(img_b)).max(axis=2) > threshold
    labels, _ = label(mask)
    boxes = []
    for sl in find_objects(labels):
        if sl is not None:
            boxes.append((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop))
    boxes.sort(key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    return boxes

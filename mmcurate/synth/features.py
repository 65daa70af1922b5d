"""Whole-image similarity for pairing and the pair filter: a heuristic image descriptor.

ImgDiff measures whole-image similarity with CLIP image embeddings. No CLIP weights are
available offline, so this module uses a hand-made descriptor, and says so (heuristic):

- a 24x24 grey thumbnail, mean-centred (layout and shapes), weight 0.6;
- a joint HSV colour histogram, 8x3x3 bins, square-rooted (colours), weight 0.2;
- a 4x4 grid of 8-bin gradient-orientation histograms (edges, HOG-like), weight 0.2.

Each block is L2-normalised, weighted, and the whole vector L2-normalised, so the inner
product of two descriptors is a cosine similarity in [-1, 1] that FAISS can search
(``IndexFlatIP``). Values are not comparable with CLIP similarities; the (0.9, 0.98) window
keeps its published defaults, and the benchmark reports where pairs fall.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

#: Identifies the descriptor in metadata (change it when the descriptor changes).
FEATURE_NAME = "heuristic-thumb-hsv-hog-v1"
DIM = 24 * 24 + 8 * 3 * 3 + 4 * 4 * 8
_WEIGHTS = (0.6, 0.2, 0.2)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def descriptor(img: Image.Image) -> np.ndarray:
    """The L2-normalised heuristic descriptor of one image (float32, length :data:`DIM`)."""
    rgb = img.convert("RGB")
    rgb.draft("RGB", (128, 128))  # JPEG: decode at reduced scale
    small = rgb.resize((96, 96), Image.Resampling.BILINEAR)
    grey = np.asarray(small.convert("L").resize((24, 24), Image.Resampling.BOX), np.float32)
    thumb = _unit((grey - grey.mean()).ravel())
    hsv = np.asarray(small.convert("HSV"), np.float32) / 256.0
    h = np.minimum((hsv[..., 0] * 8).astype(int), 7)
    s = np.minimum((hsv[..., 1] * 3).astype(int), 2)
    v = np.minimum((hsv[..., 2] * 3).astype(int), 2)
    hist = np.bincount((h * 9 + s * 3 + v).ravel(), minlength=72).astype(np.float32)
    colour = _unit(np.sqrt(hist / hist.sum()))
    g = np.asarray(small.convert("L"), np.float32) / 255.0
    gy, gx = np.gradient(g)
    mag = np.hypot(gx, gy)
    ang = np.minimum(((np.arctan2(gy, gx) % np.pi) / np.pi * 8).astype(int), 7)
    cells = []
    for i in range(4):
        for j in range(4):
            sl = (slice(i * 24, (i + 1) * 24), slice(j * 24, (j + 1) * 24))
            cells.append(np.bincount(ang[sl].ravel(), weights=mag[sl].ravel(), minlength=8))
    edges = _unit(np.sqrt(np.concatenate(cells).astype(np.float32)))
    w1, w2, w3 = _WEIGHTS
    vec = np.concatenate([w1 * thumb, w2 * colour, w3 * edges]).astype(np.float32)
    return _unit(vec).astype(np.float32)


def similarity(a: Image.Image, b: Image.Image) -> float:
    """Cosine similarity of two images' descriptors."""
    return float(np.dot(descriptor(a), descriptor(b)))


def descriptors(paths: Sequence[Path | str]) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Descriptors of image files, one row each, plus ``(index, reason)`` for unreadable ones
    (their rows are zero, so they match nothing)."""
    out = np.zeros((len(paths), DIM), np.float32)
    bad: list[tuple[int, str]] = []
    for i, p in enumerate(paths):
        try:
            with Image.open(p) as im:
                out[i] = descriptor(im)
        except (OSError, ValueError) as err:
            bad.append((i, f"{p}: {err}"))
    return out, bad

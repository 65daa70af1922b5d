"""Mined pairs: near-duplicate images from the user's own pool (FAISS on image features).

Every image of every readable sample of the pool is described with the heuristic
descriptor of :mod:`mmcurate.synth.features` (no CLIP weights offline; labelled as a
heuristic), indexed with FAISS (inner product on L2-normalised vectors = cosine), and
searched for its ``k`` nearest neighbours. Pairs whose similarity lies in ``(lo, hi)`` (the
ImgDiff window, default (0.9, 0.98)) are kept, most similar first, each image in at most one
pair by default. Identical files (similarity >= ``hi``) and unrelated images (``<= lo``) are
left out, and counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from mmcurate.errors import ConfigError
from mmcurate.synth.features import FEATURE_NAME, descriptors


def pool_images(data: Path) -> tuple[list[str], dict[str, Any]]:
    """Absolute paths of every distinct local image of a dataset, plus load facts.

    Raises:
        FormatError: The dataset cannot be read.
        ConfigError: It holds no local image.
    """
    from mmcurate.io import iter_samples, read_dataset, resolve_media
    from mmcurate.io.media import is_uri

    loaded = read_dataset(data)
    seen: dict[str, None] = {}
    for s in iter_samples(loaded.dataset):
        for p in s.images:
            if is_uri(p):
                continue
            seen.setdefault(str(resolve_media(loaded.root, p)), None)
    paths = list(seen)
    if not paths:
        raise ConfigError(f"{data}: no local images to mine pairs from")
    return paths, {"samples": len(loaded.dataset), "load_errors": len(loaded.errors)}


def knn_pairs(
    x: np.ndarray, k: int, lo: float, hi: float, one_pair_per_image: bool = True
) -> tuple[list[tuple[int, int, float]], dict[str, int]]:
    """Pairs ``(i, j, similarity)`` with ``lo < similarity < hi`` among FAISS kNN results.

    Args:
        x: L2-normalised rows (float32).
        k: Neighbours per row (itself included, then skipped).
        lo: Exclusive lower bound.
        hi: Exclusive upper bound.
        one_pair_per_image: Greedy: most similar pair first, each row used at most once.

    Returns:
        The pairs (most similar first) and counts (``candidates``, ``too_similar``,
        ``too_different``, ``in_window``, ``reused_image``).
    """
    from mmcurate.selectors.faiss_utils import import_faiss, search_blocks, to_device

    faiss = import_faiss()
    n, d = x.shape
    index = faiss.IndexFlatIP(d)
    index = to_device(index)
    index.add(np.ascontiguousarray(x, dtype=np.float32))
    sims, ids = search_blocks(index, x, min(k, n))
    best: dict[tuple[int, int], float] = {}
    for i in range(n):
        for s, j in zip(sims[i], ids[i], strict=True):
            if j < 0 or j == i:
                continue
            key = (min(i, int(j)), max(i, int(j)))
            best[key] = max(best.get(key, -1.0), float(s))
    counts = {"candidates": len(best), "too_similar": 0, "too_different": 0}
    window = []
    for (i, j), s in best.items():
        if s >= hi:
            counts["too_similar"] += 1
        elif s <= lo:
            counts["too_different"] += 1
        else:
            window.append((i, j, s))
    window.sort(key=lambda t: (-t[2], t[0], t[1]))
    counts["in_window"] = len(window)
    if not one_pair_per_image:
        counts["reused_image"] = 0
        return window, counts
    used: set[int] = set()
    out = []
    for i, j, s in window:
        if i in used or j in used:
            continue
        used.update((i, j))
        out.append((i, j, s))
    counts["reused_image"] = len(window) - len(out)
    return out, counts


def _loader(a: str, b: str) -> Any:
    def load() -> tuple[Image.Image, Image.Image]:
        with Image.open(a) as ia, Image.open(b) as ib:
            return ImageOps.exif_transpose(ia).convert("RGB"), ImageOps.exif_transpose(ib).convert(
                "RGB"
            )

    return load


def mine_pairs(
    data: Path, n: int, lo: float, hi: float, k: int = 8, one_pair_per_image: bool = True
) -> tuple[list[Any], dict[str, Any]]:
    """Up to ``n`` near-duplicate pairs from a pool (see the module docstring).

    Returns:
        :class:`mmcurate.synth.pipeline.Pair` objects and facts for the summary (images,
        unreadable images, counts per step, the feature's name).
    """
    from mmcurate.synth.pipeline import Pair

    paths, info = pool_images(Path(data))
    x, bad = descriptors(paths)
    pairs, counts = knn_pairs(x, k, lo, hi, one_pair_per_image)
    chosen = pairs[:n]
    out = []
    for i, j, s in chosen:
        pid = f"mined-{Path(paths[i]).stem}-{Path(paths[j]).stem}"
        out.append(
            Pair(
                pair_id=pid,
                source="mined",
                load=_loader(paths[i], paths[j]),
                paths=(paths[i], paths[j]),
                similarity=s,
            )
        )
    info.update(
        images=len(paths),
        unreadable_images=len(bad),
        feature=FEATURE_NAME + " (heuristic)",
        **counts,
        mined=len(chosen),
    )
    return out, info

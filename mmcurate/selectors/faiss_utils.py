"""FAISS for the embedding selectors: imported lazily, GPU when present, else faiss-cpu.

GPU FAISS is used when the installed ``faiss`` reports GPUs (``faiss.get_num_gpus() > 0``)
and ``MMCURATE_FAISS_GPU`` is not ``0``; the CPU package is the tested default.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mmcurate.errors import MissingDependencyError


def import_faiss() -> Any:
    """The ``faiss`` module, or a :class:`MissingDependencyError` naming the extra."""
    try:
        import faiss
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "embedding selectors need FAISS: pip install 'mmcurate[ml]' (faiss-cpu), or "
            "faiss-gpu on a CUDA machine"
        ) from None
    return faiss


def use_gpu() -> bool:
    """Whether GPU FAISS is available and allowed."""
    if os.environ.get("MMCURATE_FAISS_GPU", "1") == "0":
        return False
    faiss = import_faiss()
    get = getattr(faiss, "get_num_gpus", None)
    return bool(get is not None and get() > 0)


def to_device(index: Any) -> Any:
    """Move an index to the GPU when :func:`use_gpu`, else return it unchanged."""
    if not use_gpu():
        return index
    faiss = import_faiss()
    return faiss.index_cpu_to_all_gpus(index)  # pragma: no cover - needs a GPU build


def kmeans(
    x: np.ndarray,
    k: int,
    niter: int = 20,
    seed: int = 0,
    spherical: bool = True,
    sample_per_centroid: int = 256,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FAISS k-means, trained on a seeded sample of at most ``sample_per_centroid`` rows
    per centroid (256 is FAISS' default), then every row assigned to its nearest centroid.

    Returns:
        centroids (k, d) float32, assignment per row (int64), squared distance (or, when
        ``spherical``, 1 - cosine) of each row to its centroid (float32).
    """
    faiss = import_faiss()
    n, d = x.shape
    k = max(1, min(k, n))
    km = faiss.Kmeans(
        d,
        k,
        niter=niter,
        seed=seed,
        spherical=spherical,
        gpu=use_gpu(),
        verbose=False,
        min_points_per_centroid=1,
        max_points_per_centroid=sample_per_centroid,
    )
    km.train(np.ascontiguousarray(x, dtype=np.float32))
    centroids = np.asarray(km.centroids, dtype=np.float32).reshape(k, d)
    index = faiss.IndexFlatIP(d) if spherical else faiss.IndexFlatL2(d)
    index = to_device(index)
    index.add(centroids)
    dist, assign = search_blocks(index, x, 1)
    score = dist[:, 0]
    if spherical:
        score = 1.0 - score
    return centroids, assign[:, 0].astype(np.int64), score.astype(np.float32)


def search_blocks(
    index: Any, x: np.ndarray, k: int, block: int = 65536
) -> tuple[np.ndarray, np.ndarray]:
    """``index.search`` in row blocks (bounded temporary memory)."""
    n = x.shape[0]
    dist = np.empty((n, k), dtype=np.float32)
    ids = np.empty((n, k), dtype=np.int64)
    for s in range(0, n, block):
        d_, i_ = index.search(np.ascontiguousarray(x[s : s + block], dtype=np.float32), k)
        dist[s : s + block], ids[s : s + block] = d_, i_
    return dist, ids

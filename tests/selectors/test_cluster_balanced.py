import numpy as np

from mmcurate.ops.registry import create
from tests.selectors.pools import row, view


def clustered(sizes, dim=8, seed=0, scores=None):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((len(sizes), dim)) * 4
    out, i = [], 0
    for c, size in enumerate(sizes):
        for _ in range(size):
            emb = centers[c] + 0.05 * rng.standard_normal(dim)
            s = {"q": float(scores[i])} if scores is not None else {"q": 1.0}
            out.append(row(i, s, emb=emb.tolist()))
            i += 1
    return out


def expected_shares(sizes, budget):
    """The quota rule on cluster sizes: equal shares, smallest first, shortfall carried,
    rounds until the budget is full."""
    left = dict(enumerate(sizes))
    got = dict.fromkeys(left, 0)
    while budget > 0 and any(left.values()):
        present = sorted((s, c) for c, s in left.items() if s)
        per, debt, used = max(budget // len(present), 1), 0, 0
        for s, c in present:
            if used >= budget:
                break
            allowance = per + debt
            take = min(allowance, s, budget - used)
            debt, used = allowance - take, used + take
            got[c] += take
            left[c] -= take
        budget -= used
    return [got[c] for c in range(len(sizes))]


def test_equal_share_per_cluster_small_cluster_shortfall_carried():
    pool = clustered([50, 20, 3])
    op = create("cluster_balanced_selector", {"budget": 15, "n_clusters": 3, "seed": 0})
    got = np.asarray(op.select(view(pool)))
    assign = op.last_assign
    sizes = np.bincount(assign, minlength=3)
    per_cluster = np.bincount(assign[got], minlength=3)
    assert per_cluster.tolist() == expected_shares(sizes.tolist(), 15)
    assert expected_shares([50, 20, 3], 15) == [5, 7, 3]  # the rule on the planted sizes


def test_best_scored_within_each_cluster():
    sizes = [10, 10]
    scores = np.arange(20, dtype=float)[::-1]
    pool = clustered(sizes, scores=scores)
    got = create("cluster_balanced_selector", {"budget": 4, "n_clusters": 2, "score": "q"}).select(
        view(pool)
    )
    assert list(got) == [0, 1, 10, 11]


def test_without_a_score_takes_the_rows_closest_to_the_centroid():
    pool = clustered([30], seed=1)
    op = create("cluster_balanced_selector", {"budget": 3, "n_clusters": 1})
    got = list(op.select(view(pool)))
    x = np.array([s.stats["lite_perception_mapper.text_embedding"] for s in pool])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = x.mean(0)
    c /= np.linalg.norm(c)
    assert set(got) == set(np.argsort(-(x @ c))[:3].tolist())

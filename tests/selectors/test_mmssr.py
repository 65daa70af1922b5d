"""mmSSR's semantics on hand-built pools, plus equivalence with a plain reference."""

import math
import warnings

import numpy as np
import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.registry import create
from mmcurate.selectors.budget import SelectionWarning, token_costs
from mmcurate.taxonomy import CAPABILITIES
from tests.selectors.pools import random_pool, row, view


def run(samples, **params):
    """Selected rows (sorted, as returned) and the selection order."""
    op = create("mmssr_selector", {"tie_break": "index", **params})
    got = list(op.select(view(samples)))
    order = op.last_result.rows.tolist() if op.last_result is not None else got
    assert got == sorted(order)
    return got, order, op


def test_smallest_bin_first_and_shortfall_carried_to_the_next_bin():
    # bins by style: x has 10 rows, y has 1, z has 4 -> visited y, z, x
    pool = [row(i, {"ocr": 5 - i // 2}, ["x"]) for i in range(10)]
    pool += [row(10, {"ocr": 5}, ["y"])]
    pool += [row(11 + k, {"ocr": 5 - k}, ["z"]) for k in range(4)]
    _, order, op = run(pool, budget=9, capabilities=["ocr"])
    # per_bin = 9 // 3 = 3: y gives 1 (debt 2), z gives all 4 of its 5 (debt 1), x gives 4
    assert order == [10, 11, 12, 13, 14, 0, 1, 2, 3]
    assert op.last_result.rounds == 1


def test_equal_bin_sizes_are_visited_in_label_order():
    pool = [row(0, {"ocr": 5}, ["b"]), row(1, {"ocr": 4}, ["b"])]
    pool += [row(2, {"ocr": 3}, ["a"]), row(3, {"ocr": 2}, ["a"])]
    _, order, _ = run(pool, budget=2, capabilities=["ocr"])
    assert order == [2, 0]


def test_threshold_excludes_rows_and_warns_when_the_budget_cannot_be_filled():
    pool = [row(i, {"ocr": 3}, ["s"]) for i in range(4)]
    pool += [row(4 + i, {"ocr": 1}, ["s"]) for i in range(4)]
    pool += [row(8, {"ocr": 0}, ["s"])]
    with pytest.warns(SelectionWarning, match="score > 2"):
        got, _, _ = run(pool, budget=6, capabilities=["ocr"], threshold=2)
    assert got == [0, 1, 2, 3]
    got, _, _ = run(pool, budget=8, capabilities=["ocr"])  # default threshold 0
    assert 8 not in got and len(got) == 8


def test_multi_label_row_counts_in_every_bin_and_is_taken_once():
    pool = [
        row(0, {"ocr": 5}, ["p", "q"]),
        row(1, {"ocr": 4}, ["p"]),
        row(2, {"ocr": 4.5}, ["q"]),
        row(3, {"ocr": 3}, ["q"]),
        row(4, {"ocr": 1}, ["p"]),
    ]
    # p = {0,1,4}, q = {0,2,3}: equal sizes, p first by label; 0 leaves via p, q takes 2
    _, order, _ = run(pool, budget=2, capabilities=["ocr"])
    assert order == [0, 2]


def test_exhausted_capability_is_dropped_and_the_rest_fill_the_budget():
    pool = [row(0, {"a": 5, "b": 0}, ["s"])]
    pool += [row(i, {"a": 0, "b": 10 - i}, ["s"]) for i in range(1, 10)]
    _, order, op = run(pool, budget=6, capabilities=["a", "b"])
    # round 1: quota 3 each (a finds 1); round 2: quota 1 (a finds none: dropped);
    # round 3: b alone, quota 1
    assert order == [0, 1, 2, 3, 4, 5]
    res = op.last_result
    assert (res.rounds, res.per_group, res.exhausted) == (3, [1, 5], [0])


def test_equal_quotas_round_robin_in_capability_order():
    caps = ["a", "b", "c"]
    pool = [row(i, {c: (5.0 if c == caps[i % 3] else 0.0) for c in caps}, ["s"]) for i in range(15)]
    _, order, op = run(pool, budget=10, capabilities=caps)
    assert op.last_result.per_group == [4, 3, 3]  # 3 each, then the leftover 1 to a
    assert order[:3] == [0, 3, 6] and order[-1] == 9


def test_sources_split_bins_unless_disabled():
    pool = [row(i, {"ocr": 5}, ["s"], source="big") for i in range(10)]
    pool += [row(10 + i, {"ocr": 1}, ["s"], source="small") for i in range(3)]
    got, _, _ = run(pool, budget=4, capabilities=["ocr"])
    assert got == [0, 1, 10, 11]
    got, _, _ = run(pool, budget=4, capabilities=["ocr"], source_field=None)
    assert got == [0, 1, 2, 3]


def test_nested_source_field():
    pool = [row(i, {"ocr": 5}, ["s"]) for i in range(6)]
    for i, s in enumerate(pool):
        s.meta["origin"] = {"name": "rare" if i == 5 else "common"}
    got, _, _ = run(pool, budget=2, capabilities=["ocr"], source_field="origin.name")
    assert got == [0, 5]


def test_rows_without_styles_form_their_own_bin():
    pool = [row(i, {"ocr": 5}, []) for i in range(3)]
    pool += [row(3 + i, {"ocr": 4}, ["s"]) for i in range(3)]
    _, order, _ = run(pool, budget=2, capabilities=["ocr"])
    assert order == [0, 3]


def test_seeded_random_tie_break_is_deterministic():
    pool = [row(i, {"ocr": 3}, ["s"]) for i in range(100)]
    v = view(pool)

    def sel(**p):
        return list(
            create("mmssr_selector", {"budget": 10, "capabilities": ["ocr"], **p}).select(v)
        )

    assert sel(seed=1) == sel(seed=1)
    assert sel(seed=1) != sel(seed=2)
    assert sel(tie_break="index") == list(range(10))


def test_missing_score_columns_name_the_columns_and_the_command():
    pool = [row(i, {"optical_character_recognition": 3}, ["s"]) for i in range(5)]
    with pytest.raises(ConfigError) as err:
        create("mmssr_selector", {"budget": 2}).select(view(pool))
    msg = str(err.value)
    assert "stem_knowledge" in msg and "optical_character_recognition," not in msg
    assert "curate score DATA --out SCORED --backend heuristic" in msg
    with pytest.raises(ConfigError, match="nope"):
        create(
            "mmssr_selector", {"budget": 2, "capabilities": "optical_character_recognition,nope"}
        ).select(view(pool))


def test_budget_larger_than_the_pool_returns_it_whole_with_a_warning():
    pool = [row(i, {c: 1.0 for c in CAPABILITIES}, ["s"]) for i in range(5)]
    with pytest.warns(SelectionWarning, match="covers the whole pool"):
        got = create("mmssr_selector", {"budget": 50}).select(view(pool))
    assert list(got) == [0, 1, 2, 3, 4]


def test_params_validate():
    with pytest.raises(ConfigError, match="capabilities"):
        create("mmssr_selector", {"budget": 2, "capabilities": []})
    with pytest.raises(ConfigError, match="budget"):
        create("mmssr_selector", {"budget": "lots"})
    with pytest.raises(ConfigError, match="Valid parameters"):
        create("mmssr_selector", {"budget": 2, "treshold": 1})


# ----------------------------------------------------------------------------- reference
def reference(samples, caps, budget, thr, tiebreak, costs=None, source=True):
    """The published procedure written plainly (lists, sets, sorted), with the documented
    deviations of mmcurate.selectors.quota."""
    n = len(samples)
    rank = {r: i for i, r in enumerate(tiebreak)}
    labels = [
        {f"{st}+{s.meta.get('source', '') if source else ''}" for st in (s.styles or [""])}
        for s in samples
    ]

    def score(c, r):
        v = samples[r].scores.get(c)
        return None if v is None or math.isnan(v) else v

    pool, selected, used, active = set(range(n)), [], 0, list(caps)
    while used < budget and active:
        quota = max((budget - used) // len(active), 1)
        dropped = []
        for c in active:
            quota = min(quota, budget - used)
            cand = [r for r in pool if score(c, r) is not None and score(c, r) > thr]
            cand.sort(key=lambda r: (-score(c, r), rank[r]))
            members = {}
            for r in cand:
                for b in labels[r]:
                    members.setdefault(b, []).append(r)
            bins = sorted(members.items(), key=lambda kv: (len(kv[1]), kv[0]))
            per_bin = max(quota // len(bins), 1) if bins else 0
            chosen, taken, u, debt = [], set(), 0, 0
            for _, rows in bins:
                if u >= quota:
                    break
                allowance = per_bin + debt
                room, w = min(allowance, quota - u), 0
                for r in rows:
                    if r in taken:
                        continue
                    cost = 1 if costs is None else int(costs[r])
                    if w + cost > room:
                        break
                    chosen.append(r)
                    taken.add(r)
                    w += cost
                debt = allowance - w
                u += w
            if not chosen:
                dropped.append(c)
            else:
                pool -= taken
                selected += chosen
                used += u
            if used >= budget:
                break
        active = [c for c in active if c not in dropped]
    return selected


@pytest.mark.parametrize(
    ("seed", "budget", "thr", "tokens", "float_scores"),
    [
        (0, 40, 0, False, None),
        (1, 150, 2, False, None),
        (2, 299, 0, False, None),
        (3, 7, 0, False, None),
        (4, 6000, 0, True, None),
        (5, 60, 0, False, 0.5),  # few distinct non-integer values (lazy levels)
        (6, 60, 1.2, False, 0.001),  # many distinct values (one full sort per capability)
    ],
)
def test_same_selection_order_as_a_plain_reference(seed, budget, thr, tokens, float_scores):
    pool = random_pool(300, seed=seed)
    if float_scores is not None:
        rng = np.random.default_rng(seed)
        for s in pool:
            s.scores = {
                k: round(float(rng.random() * 5) / float_scores) * float_scores for k in s.scores
            }
    caps = ["ocr", "stem", "spatial"]
    params = {"capabilities": caps, "threshold": thr, "seed": seed}
    params["budget"] = f"{budget} tokens" if tokens else budget
    v = view(pool)
    op = create("mmssr_selector", params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SelectionWarning)  # seed 2: the pool runs out
        got = op.select(v)
    costs = token_costs(v) if tokens else None
    perm = np.random.default_rng(seed).permutation(len(pool)).tolist()
    ref = reference(pool, caps, budget, thr, perm, costs)
    assert op.last_result.rows.tolist() == ref
    assert list(got) == sorted(ref)
    total = len(ref) if costs is None else int(costs[ref].sum())
    assert total <= budget

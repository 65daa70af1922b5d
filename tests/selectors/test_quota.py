import numpy as np

from mmcurate.selectors.quota import Bins, QuotaSampler, levels, ranked


def test_levels_integer_fractional_and_too_many():
    lv, n = levels(np.array([5.0, 0.0, np.nan, 3.0]), above=0)
    assert n == 3 and lv.tolist() == [0, 255, 255, 2]
    lv, n = levels(np.array([0.5, 1.5, 1.5, np.nan]))
    assert n == 2 and lv.tolist() == [1, 0, 0, 255]
    assert levels(np.linspace(0, 1, 100)) is None


def test_ranked_is_stable_in_tiebreak_order():
    v = np.array([1.0, 2.0, 1.0, np.nan, 2.0])
    assert ranked(v).tolist() == [1, 4, 0, 2]
    assert ranked(v, np.array([4, 3, 2, 1, 0])).tolist() == [4, 1, 2, 0]
    assert ranked(v, above=1.0).tolist() == [1, 4]
    many = np.random.default_rng(0).random(70_000)
    assert np.array_equal(ranked(many), np.argsort(-many, kind="stable"))


def test_a_bin_that_runs_out_of_its_top_level_continues_with_lower_levels():
    # one bin, levels 5 (rows 0, 1) then 4 (rows 2, 3) then 3 (row 4)
    v = np.array([5.0, 5.0, 4.0, 4.0, 3.0, 0.0])
    q = QuotaSampler([v], Bins.single(np.zeros(6, dtype=np.int32), ["a"]), 6, above=0)
    res = q.run(4)
    assert res.rows.tolist() == [0, 1, 2, 3]
    assert q.run(3).rows.tolist() == [4]  # the pool keeps its state: only row 4 is left


def test_token_weights_carry_unused_allowance():
    # two bins, per_bin = 5 tokens: bin a's best row costs 6 (does not fit), so its 5 go on
    costs = np.array([6, 1, 4, 4])
    v = np.array([5.0, 4.0, 5.0, 4.0])
    bins = Bins.single(np.array([0, 0, 1, 1], dtype=np.int32), ["a", "b"])
    res = QuotaSampler([v], bins, 4, costs=costs).run(10)
    assert res.rows.tolist()[:2] == [2, 3] and res.used <= 10

import json

import numpy as np
import pytest

from mmcurate.errors import ConfigError
from mmcurate.sample import Sample, to_dataset
from mmcurate.selectors.columns import (
    embedding_matrix,
    meta_values,
    score_matrix,
    style_pairs,
    text_bytes,
)
from tests.selectors.pools import random_pool, row


def test_reads_honour_an_indices_mapping():
    pool = random_pool(50, seed=1)
    ds = to_dataset(pool)
    pick = [7, 3, 3 + 10, 41, 0]
    sub = ds.select(pick)
    assert np.array_equal(
        score_matrix(sub, ["ocr"], "t"), score_matrix(ds, ["ocr"], "t")[:, pick], equal_nan=True
    )
    codes, labels = meta_values(sub, "source")
    assert [labels[c] for c in codes] == [pool[i].meta["source"] for i in pick]
    assert np.allclose(
        embedding_matrix(sub, "lite_perception_mapper.text_embedding", "t"),
        embedding_matrix(ds, "lite_perception_mapper.text_embedding", "t")[pick],
    )
    rows, codes, labels = style_pairs(sub)
    for r, c in zip(rows, codes, strict=True):
        assert labels[c] in (pool[pick[r]].styles or [""])
    assert np.array_equal(text_bytes(sub), text_bytes(ds)[pick])


def test_meta_values_nested_missing_non_string_and_empty_meta():
    samples = [
        Sample(id="a", meta={"source": "x", "deep": {"src": "n1"}}),
        Sample(id="b", meta={}),
        Sample(id="c", meta={"source": "y", "deep": {"src": "n2"}}),
    ]
    ds = to_dataset(samples)
    codes, labels = meta_values(ds, "source")
    assert [labels[c] for c in codes] == ["x", "", "y"]
    codes, labels = meta_values(ds, "deep.src")
    assert [labels[c] for c in codes] == ["n1", "", "n2"]
    odd = to_dataset([Sample(id="a", meta={"source": 3}), Sample(id="b", meta={"source": "z"})])
    codes, labels = meta_values(odd, "source")
    assert [labels[c] for c in codes] == ["3", "z"]  # per-row fallback for a number


def test_meta_values_ignores_a_nested_key_of_the_same_name():
    ds = to_dataset(
        [
            Sample(id="a", meta={"a": {"source": "inner"}, "source": "outer"}),
            Sample(id="b", meta={"a": {"source": "inner"}}),
        ]
    )
    codes, labels = meta_values(ds, "source")
    assert [labels[c] for c in codes] == ["outer", ""]


def test_style_pairs_dedupe_repeats_and_mark_unstyled_rows():
    ds = to_dataset(
        [Sample(id="a", styles=["p", "q", "p"]), Sample(id="b"), Sample(id="c", styles=["q"])]
    )
    rows, codes, labels = style_pairs(ds)
    got = sorted((int(r), labels[c]) for r, c in zip(rows, codes, strict=True))
    assert got == [(0, "p"), (0, "q"), (1, ""), (2, "q")]


def test_embedding_errors_name_the_problem():
    ds = to_dataset([row(0, emb=[1.0, 2.0]), row(1, emb=[1.0])])
    with pytest.raises(ConfigError, match="lengths 1..2"):
        embedding_matrix(ds, "lite_perception_mapper.text_embedding", "op")
    ds = to_dataset([row(0, emb=[1.0, 2.0]), row(1)])
    with pytest.raises(ConfigError, match="missing on 1 of 2 rows"):
        embedding_matrix(ds, "lite_perception_mapper.text_embedding", "op")
    with pytest.raises(ConfigError, match="no embedding stat 'other'.*text_embedding"):
        embedding_matrix(ds, "other", "op")


def test_several_embedding_keys_are_normalised_and_concatenated():
    s = [Sample(id=str(i), stats={"t.a": [3.0, 4.0], "t.b": [0.0, 0.0, 2.0]}) for i in range(2)]
    x = embedding_matrix(to_dataset(s), ["t.a", "t.b"], "op")
    want = np.array([0.6, 0.8, 0.0, 0.0, 1.0]) / np.sqrt(2)
    assert np.allclose(x, [want, want])


def test_meta_json_round_trip_is_what_selectors_parse():
    s = Sample(id="a", meta={"source": 'caf\u00e9 "q"\n\\'})
    codes, labels = meta_values(to_dataset([s]), "source")
    assert labels[codes[0]] == json.loads(json.dumps(s.meta))["source"]

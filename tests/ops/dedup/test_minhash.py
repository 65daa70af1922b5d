import hashlib
import struct

import numpy as np
import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops.dedup.minhash import (
    decode_signature,
    encode_signature,
    lsh_params,
    shingles,
)
from mmcurate.ops.registry import create
from mmcurate.sample import Message, Sample

ANSWER = (
    "The photo shows a red double-decker bus parked beside a stone church on a rainy "
    "afternoon. Two people with black umbrellas are waiting at the bus stop while a cyclist "
    "passes on the left. The street is wet and reflects the lights of a small bakery whose "
    "sign reads Fresh Bread Daily, and a tall tree partly hides the clock tower behind it."
)
# The same answer with one word changed, and with different casing and punctuation spacing.
NEAR = ANSWER.replace("cyclist", "motorcyclist")
RECASED = ANSWER.upper()
OTHER = (
    "A woman in a white coat sits on a wooden bench in a snowy park feeding pigeons. "
    "Behind her a frozen pond reflects a row of bare trees, and children in bright "
    "jackets are skating near the far shore under a pale winter sky."
)
# Shares a long phrase with ANSWER but is mostly different.
OVERLAP = (
    "The photo shows a red double-decker bus parked beside a stone church. Inside, the "
    "driver is reading a newspaper, the seats are empty and a forgotten green scarf lies "
    "on the floor near the stairs leading to the upper deck of the vehicle."
)


def s(text: str, i: int = 0) -> Sample:
    return Sample(
        id=str(i),
        messages=[
            Message(role="user", content="<image>\nDescribe the image in detail."),
            Message(role="assistant", content=text),
        ],
    )


def dedup(texts, **params):
    op = create("document_minhash_deduplicator", params)
    return op.group([op.hash_key(s(t, i)) for i, t in enumerate(texts)])


def test_near_duplicates_grouped_to_earliest_and_others_kept():
    assert dedup([OTHER, ANSWER, NEAR, OVERLAP, RECASED, ANSWER]) == [None, None, 1, None, 1, 1]


def test_lowercase_off_separates_recased_text():
    assert dedup([ANSWER, RECASED], lowercase=False) == [None, None]


def test_short_texts_are_not_all_duplicates():
    # Data-Juicer gives every text shorter than window_size the same (empty) signature.
    assert dedup(["A red bus.", "A cat.", "A red bus.", "Yes"]) == [None, None, 0, None]


def test_ignore_pattern_and_character_tokenization():
    a = "今天天气很好，我们一起去公园散步，看到了很多美丽的花朵和绿色的树木。"
    b = a.replace("美丽", "漂亮")
    assert dedup([a, b], tokenization="character") == [None, 0]
    assert dedup([a, b], tokenization="space") == [None, None]  # one "word" each
    tagged = [f"[{n}] " + ANSWER for n in ("2021-01-01", "1999-12-31")]
    assert dedup(tagged, ignore_pattern=r"\[[\d-]+\]", lowercase=False) == [None, 0]


def test_punctuation_tokenization():
    a = "first clause here, second clause there; third clause; fourth one, fifth; sixth, seventh."
    b = a.replace("fourth one", "fourth two")
    assert dedup([a, b], tokenization="punctuation", window_size=2, jaccard_threshold=0.5) == [
        None,
        0,
    ]


def test_keys_are_compact_strings_and_round_trip():
    op = create("document_minhash_deduplicator", {"num_permutations": 128})
    key = op.hash_key(s(ANSWER))
    assert isinstance(key, str) and len(key) < 128 * 4 * 4 / 3 + 16
    sig = decode_signature(key)
    assert sig.dtype == np.dtype("<u4") and len(sig) == 128
    assert encode_signature(sig) == key


def test_union_find_joins_transitively_and_skips_errored_rows():
    op = create(
        "document_minhash_deduplicator",
        {"num_permutations": 4, "num_bands": 2, "num_rows_per_band": 2},
    )

    def key(*v):
        return encode_signature(np.array(v, dtype=np.uint64))

    a, b, c, d = key(1, 2, 3, 4), key(1, 2, 9, 9), key(7, 7, 9, 9), key(5, 5, 5, 5)
    # a~b share band 0, b~c share band 1; a and c share nothing but join through b
    assert op.group([d, None, c, b, a]) == [None, None, None, 2, 2]
    assert op.group([a, b, c]) == [None, 0, 0]
    assert op.group([None, a]) == [None, None]


def test_lsh_params_match_data_juicer_defaults():
    assert lsh_params(0.7, 256) == (25, 10)
    assert create("document_minhash_deduplicator", {"jaccard_threshold": 0.99}).bands[0] == 1


def test_invalid_params_are_config_errors():
    with pytest.raises(ConfigError, match="num_bands"):
        create("document_minhash_deduplicator", {"num_bands": 4})
    with pytest.raises(ConfigError, match="exceeds num_permutations"):
        create(
            "document_minhash_deduplicator",
            {"num_bands": 20, "num_rows_per_band": 20, "num_permutations": 256},
        )
    with pytest.raises(ConfigError, match="ignore_pattern"):
        create("document_minhash_deduplicator", {"ignore_pattern": "(unclosed"})
    with pytest.raises(ConfigError, match="tokenization"):
        create("document_minhash_deduplicator", {"tokenization": "sentencepiece"})


def test_shingles():
    assert shingles("a b c", "space", 2) == {b"a b", b"b c"}
    assert shingles("a b", "space", 5) == {b"a b"}
    assert shingles("abc", "character", 2) == {b"ab", b"bc"}


def test_signatures_equal_data_juicers_formula():
    # Data-Juicer: sha1_hash32 of each shingle, (a*h + b) mod (2^61 - 1), masked to 32 bits,
    # permutations drawn from RandomState(42) as below.
    prime, mask = np.uint64((1 << 61) - 1), np.uint64((1 << 32) - 1)
    gen = np.random.RandomState(seed=42)
    a, b = np.array(
        [
            (gen.randint(1, prime, dtype=np.uint64), gen.randint(0, prime, dtype=np.uint64))
            for _ in range(64)
        ],
        dtype=np.uint64,
    ).T
    words = ANSWER.lower().split(" ")
    grams = {" ".join(words[i : i + 5]).encode() for i in range(len(words) - 4)}
    hv = np.array([struct.unpack("<I", hashlib.sha1(g).digest()[:4])[0] for g in grams], np.uint64)
    expected = np.bitwise_and((hv[:, None] * a + b) % prime, mask).min(axis=0)
    op = create("document_minhash_deduplicator", {"num_permutations": 64})
    assert (op.signature(ANSWER) == expected).all()

"""Near-duplicate text removal with MinHash LSH (Data-Juicer ``document_minhash_deduplicator``).

Each sample's text is cut into shingles (word or character n-grams), and its MinHash
signature is computed per sample (in the workers) with ``datasketch`` using the same
permutations as Data-Juicer (datasketch's ``legacy`` scheme, seed 42, SHA-1 token hashes),
so signatures are bit-identical to Data-Juicer's for the same shingles. The signature is
the sample's key. Grouping then runs once over the whole dataset: the signature is cut
into ``num_bands`` bands of ``num_rows_per_band`` values; two samples sharing any band
are candidates, and candidates are joined transitively (union-find). Each cluster keeps
its earliest row; every other row is marked a duplicate of it.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import regex
from pydantic import Field, model_validator

from mmcurate.ops.base import Deduplicator, Params
from mmcurate.ops.registry import register
from mmcurate.sample import Sample

#: Seed of the permutations, as in Data-Juicer.
SEED = 42
_KEY_PREFIX = "mh1:"
_PUNCTUATION = regex.compile(r"\p{P}")


class DocumentMinhashDedupParams(Params):
    """Parameters of ``document_minhash_deduplicator``."""

    tokenization: Literal["space", "punctuation", "character"] = Field(
        "space",
        description=(
            "How text is cut into tokens before shingling: 'space' (words; English-like "
            "text), 'punctuation' (pieces between punctuation marks), 'character' (CJK)."
        ),
    )
    window_size: int = Field(5, gt=0, description="Tokens per shingle (n-gram size).")
    lowercase: bool = Field(True, description="Lower-case the text first.")
    ignore_pattern: str | None = Field(
        None, description="Regular expression removed from the text before tokenizing."
    )
    num_permutations: int = Field(256, gt=1, description="MinHash signature length.")
    jaccard_threshold: float = Field(
        0.7,
        ge=0,
        le=1,
        description=(
            "Jaccard similarity at which two texts count as near-duplicates; picks the LSH "
            "bands/rows when they are not given."
        ),
    )
    num_bands: int | None = Field(
        None, gt=0, description="LSH bands; None: chosen from jaccard_threshold (with rows)."
    )
    num_rows_per_band: int | None = Field(
        None, gt=0, description="Signature values per band; None: chosen with num_bands."
    )

    @model_validator(mode="after")
    def _check(self) -> DocumentMinhashDedupParams:
        if self.ignore_pattern is not None:
            try:
                regex.compile(self.ignore_pattern)
            except regex.error as err:
                raise ValueError(f"ignore_pattern is not a valid regex: {err}") from None
        if (self.num_bands is None) != (self.num_rows_per_band is None):
            raise ValueError("set both num_bands and num_rows_per_band, or neither")
        used = (self.num_bands or 0) * (self.num_rows_per_band or 0)
        if used > self.num_permutations:
            raise ValueError(
                f"num_bands * num_rows_per_band = {used}"
                f" exceeds num_permutations = {self.num_permutations}"
            )
        return self


@functools.lru_cache(maxsize=16)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) minimising false positives + false negatives at ``threshold``.

    The optimiser is datasketch's (Data-Juicer copies the same function). It is private
    there; ``MinHashLSH`` itself refuses one band, which high thresholds call for.
    """
    from datasketch.lsh import _optimal_param

    b, r = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(b), int(r)


@functools.lru_cache(maxsize=16)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


@functools.cache
def _minhash_class() -> Any:
    """datasketch's ``MinHash``, imported on first use: datasketch pulls in scipy.integrate
    (~0.6 s), which every ``curate`` command paid at start-up when imported at the top."""
    from datasketch import MinHash

    return MinHash


@functools.lru_cache(maxsize=16)
def _permutations(num_perm: int) -> np.ndarray:
    return _minhash_class()(num_perm=num_perm, seed=SEED, scheme="legacy").permutations


def shingles(
    text: str,
    tokenization: Literal["space", "punctuation", "character"],
    window_size: int,
) -> set[bytes]:
    """The set of shingles (UTF-8 encoded n-grams of tokens) of ``text``.

    A text with fewer tokens than ``window_size`` gives one shingle, the whole token
    sequence, so short texts match only texts with the same tokens.
    """
    tokens: list[str]
    if tokenization == "character":
        tokens, sep = list(text), ""
    elif tokenization == "punctuation":
        tokens, sep = _PUNCTUATION.split(text), " "
    else:
        tokens, sep = text.split(), " "
    if len(tokens) < window_size:
        return {sep.join(tokens).encode("utf-8")}
    return {
        sep.join(tokens[i : i + window_size]).encode("utf-8")
        for i in range(len(tokens) - window_size + 1)
    }


def encode_signature(values: np.ndarray) -> str:
    """A MinHash signature (values < 2**32) as a compact ASCII key (4 bytes per value)."""
    return _KEY_PREFIX + base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")


def decode_signature(key: str) -> np.ndarray:
    """Inverse of :func:`encode_signature` (``uint32`` array)."""
    if not key.startswith(_KEY_PREFIX):
        raise ValueError(f"not a MinHash key: {key[:16]!r}")
    return np.frombuffer(base64.b64decode(key[len(_KEY_PREFIX) :]), dtype="<u4")


def _find(parent: list[int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        parent[x], x = root, parent[x]
    return root


@register("document_minhash_deduplicator")
class DocumentMinhashDeduplicator(Deduplicator[DocumentMinhashDedupParams]):
    """Drop near-duplicate texts (MinHash LSH on word/character n-grams), keeping the first."""

    Params = DocumentMinhashDedupParams

    @property
    def bands(self) -> tuple[int, int]:
        """(num_bands, num_rows_per_band) in use."""
        p = self.params
        if p.num_bands is not None and p.num_rows_per_band is not None:
            return p.num_bands, p.num_rows_per_band
        return lsh_params(p.jaccard_threshold, p.num_permutations)

    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature of ``text`` after normalisation (``uint64`` values < 2**32)."""
        p = self.params
        if p.lowercase:
            text = text.lower()
        if p.ignore_pattern:
            text = _compiled(p.ignore_pattern).sub("", text)
        m = _minhash_class()(
            num_perm=p.num_permutations,
            seed=SEED,
            scheme="legacy",
            permutations=_permutations(p.num_permutations),
        )
        m.update_batch(list(shingles(text, p.tokenization, p.window_size)))
        return np.asarray(m.hashvalues)

    def hash_key(self, sample: Sample) -> str:
        return encode_signature(self.signature(self.text(sample)))

    def group(self, keys: Sequence[str | None]) -> list[int | None]:
        present = [(i, k) for i, k in enumerate(keys) if k is not None]
        rows = [i for i, _ in present]
        out: list[int | None] = [None] * len(keys)
        if len(rows) < 2:
            return out
        sigs = np.stack([decode_signature(k) for _, k in present])
        if sigs.shape[1] != self.params.num_permutations:
            raise ValueError(
                f"keys hold {sigs.shape[1]} permutations, expected {self.params.num_permutations}"
            )
        b, r = self.bands
        parent = list(range(len(rows)))
        order = np.arange(len(rows))
        for band in range(b):
            chunk = np.ascontiguousarray(sigs[:, band * r : (band + 1) * r])
            _, inverse = np.unique(chunk.view(np.dtype((np.void, 4 * r))), return_inverse=True)
            inverse = inverse.ravel()
            first = np.full(inverse.max() + 1, len(rows))
            np.minimum.at(first, inverse, order)
            leader = first[inverse]
            for x in np.flatnonzero(leader != order).tolist():
                rx, ry = _find(parent, x), _find(parent, int(leader[x]))
                if rx != ry:  # the smaller row index becomes the root: clusters keep it
                    parent[max(rx, ry)] = min(rx, ry)
        for pos, row in enumerate(rows):
            root = _find(parent, pos)
            if root != pos:
                out[row] = rows[root]
        return out

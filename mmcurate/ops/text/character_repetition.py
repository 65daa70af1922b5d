"""Character n-gram repetition filter (Data-Juicer ``character_repetition_filter`` semantics)."""

from __future__ import annotations

import math
from collections import Counter
from typing import cast

from pydantic import Field

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason
from mmcurate.sample import Sample, StatValue


class CharacterRepetitionParams(DJRangeParams):
    """Parameters of ``character_repetition_filter``."""

    rep_len: int = Field(10, gt=0, description="Length n of the character n-grams.")
    min_ratio: float = Field(0.0, description="Minimum repetition ratio (inclusive).")
    max_ratio: float = Field(0.5, description="Maximum repetition ratio (inclusive).")


@register("character_repetition_filter")
class CharacterRepetitionFilter(Filter[CharacterRepetitionParams]):
    """Keep samples whose character n-gram repetition ratio is in range."""

    Params = CharacterRepetitionParams

    stats = {"char_rep_ratio": float}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {"char_rep_ratio": char_rep_ratio(self.text(sample), self.params.rep_len)}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(float, stats["char_rep_ratio"])
        return dj_range_reason(
            "char_rep_ratio", value, p.min_ratio, p.max_ratio, "min_ratio", "max_ratio", p
        )


def char_rep_ratio(text: str, n: int) -> float:
    """Share of all character n-gram occurrences taken by the most frequent repeated n-grams.

    With ``m`` distinct n-grams, the top ``min(floor(sqrt(m)), #n-grams seen more than
    once)`` frequencies are summed and divided by the number of n-gram occurrences; 0.0 when
    the text is shorter than ``n``.
    """
    counts = Counter(text[i : i + n] for i in range(len(text) - n + 1))
    if not counts:
        return 0.0
    freqs = sorted(counts.values(), reverse=True)
    n_repeated = len(freqs) - freqs.count(1)
    k = min(int(math.sqrt(len(freqs))), n_repeated)
    return sum(freqs[:k]) / (len(text) - n + 1)

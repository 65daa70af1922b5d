"""Word n-gram repetition filter (Data-Juicer ``word_repetition_filter`` semantics)."""

from __future__ import annotations

from collections import Counter
from typing import cast

from pydantic import Field

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import LangTokenizationParams, dj_range_reason
from mmcurate.ops.text.words import refine_words, split_words
from mmcurate.sample import Sample, StatValue


class WordRepetitionParams(LangTokenizationParams):
    """Parameters of ``word_repetition_filter``."""

    rep_len: int = Field(10, gt=0, description="Length n of the word n-grams.")
    min_ratio: float = Field(0.0, description="Minimum repetition ratio (inclusive).")
    max_ratio: float = Field(0.5, description="Maximum repetition ratio (inclusive).")


@register("word_repetition_filter")
class WordRepetitionFilter(Filter[WordRepetitionParams]):
    """Keep samples whose word n-gram repetition ratio (lower-cased words) is in range."""

    Params = WordRepetitionParams

    stats = {"word_rep_ratio": float}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        words = refine_words(split_words(self.text(sample)), lower_case=True)
        return {"word_rep_ratio": word_rep_ratio(words, self.params.rep_len)}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(float, stats["word_rep_ratio"])
        return dj_range_reason(
            "word_rep_ratio", value, p.min_ratio, p.max_ratio, "min_ratio", "max_ratio", p
        )


def word_rep_ratio(words: list[str], n: int) -> float:
    """Share of word n-gram occurrences whose n-gram occurs more than once (0.0 if none).

    Words never contain spaces, so counting n-tuples equals Data-Juicer's counting of the
    n-grams joined by spaces.
    """
    total = len(words) - n + 1
    if total <= 0:
        return 0.0
    counts = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    return sum(c for c in counts.values() if c > 1) / total

"""Word count filter (Data-Juicer ``words_num_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import cast

from pydantic import Field

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import LangTokenizationParams, dj_range_reason
from mmcurate.ops.text.words import count_words, split_words
from mmcurate.sample import Sample, StatValue


class WordsNumParams(LangTokenizationParams):
    """Parameters of ``words_num_filter``."""

    min_num: int = Field(10, description="Minimum number of words (inclusive).")
    max_num: int = Field(sys.maxsize, description="Maximum number of words (inclusive).")


@register("words_num_filter")
class WordsNumFilter(Filter[WordsNumParams]):
    """Keep samples whose word count (whitespace split, special chars stripped) is in range."""

    Params = WordsNumParams

    stats = {"num_words": int}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {"num_words": count_words(split_words(self.text(sample)))}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(int, stats["num_words"])
        return dj_range_reason("num_words", value, p.min_num, p.max_num, "min_num", "max_num", p)

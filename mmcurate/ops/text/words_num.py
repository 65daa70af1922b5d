"""Word count filter (Data-Juicer ``words_num_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import cast

from pydantic import Field, field_validator

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason, reject_tokenization
from mmcurate.ops.text.words import count_words, split_words
from mmcurate.sample import Sample, StatValue


class WordsNumParams(DJRangeParams):
    """Parameters of ``words_num_filter``."""

    lang: str = Field(
        "en",
        description="Sample language. Data-Juicer uses it only to pick a tokenizer model "
        "when tokenization is on; with whitespace splitting it has no effect.",
    )
    tokenization: bool = Field(
        False,
        description="Count tokenizer pieces instead of words. Needs Data-Juicer's "
        "sentencepiece model (a download): only false is available.",
    )
    min_num: int = Field(10, description="Minimum number of words (inclusive).")
    max_num: int = Field(sys.maxsize, description="Maximum number of words (inclusive).")

    @field_validator("tokenization")
    @classmethod
    def _offline(cls, v: bool) -> bool:
        return reject_tokenization(v, "Data-Juicer's sentencepiece model for `lang`")


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

"""Alphanumeric ratio filter (Data-Juicer ``alphanumeric_filter`` semantics)."""

from __future__ import annotations

import sys
from typing import cast

from pydantic import Field, field_validator

from mmcurate.ops.base import Filter
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import DJRangeParams, dj_range_reason, reject_tokenization
from mmcurate.sample import Sample, StatValue

#: ASCII bytes that are not alphanumeric (deleted to count the alphanumeric ones fast).
_ASCII_NON_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())


class AlphanumericParams(DJRangeParams):
    """Parameters of ``alphanumeric_filter``."""

    tokenization: bool = Field(
        False,
        description="Divide alphabetic characters by tokenizer tokens instead. Needs the "
        "Hugging Face tokenizer EleutherAI/pythia-6.9b-deduped (a download): only false is "
        "available.",
    )
    min_ratio: float = Field(0.25, description="Minimum alphanumeric ratio (inclusive).")
    max_ratio: float = Field(
        float(sys.maxsize), description="Maximum alphanumeric ratio (inclusive)."
    )

    @field_validator("tokenization")
    @classmethod
    def _offline(cls, v: bool) -> bool:
        return reject_tokenization(v, "the Hugging Face tokenizer EleutherAI/pythia-6.9b-deduped")


@register("alphanumeric_filter")
class AlphanumericFilter(Filter[AlphanumericParams]):
    """Keep samples whose share of alphanumeric characters (str.isalnum) is in range."""

    Params = AlphanumericParams

    stats = {"alnum_ratio": float}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {"alnum_ratio": alnum_ratio(self.text(sample))}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        value = cast(float, stats["alnum_ratio"])
        return dj_range_reason(
            "alnum_ratio", value, p.min_ratio, p.max_ratio, "min_ratio", "max_ratio", p
        )


def alnum_ratio(text: str) -> float:
    """Characters for which ``str.isalnum()`` holds, over all characters (0.0 if empty)."""
    if not text:
        return 0.0
    if text.isascii():
        alnum = len(text.encode("ascii").translate(None, _ASCII_NON_ALNUM))
    else:
        alnum = sum(map(str.isalnum, text))
    return alnum / len(text)

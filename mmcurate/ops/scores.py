"""``score_filter``: keep rows by a threshold on a score or a numeric stat already computed.

Score, then decide: scorers write ``scores.<capability>`` and ``stats.<op>.<stat>``; this
filter only reads one of them and compares it with ``[min, max]`` (inclusive), so a
threshold changes without re-scoring. ``key`` names the value:

- ``scores.<key>``: a capability score (``scores.optical_character_recognition``);
- ``stats.<op>.<stat>``: a numeric stat (``stats.lite_perception_mapper.ocr_words``).

A row without the value is dropped with the reason ``<key> missing`` (it was not scored,
e.g. the scorer op is missing from the recipe or failed on that row; failed rows are in the
errors file already). The value read is stored as the stat ``score_filter.value``; a recipe
with several ``score_filter`` steps keeps the last step's value in that stat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import Field, field_validator, model_validator

from mmcurate.ops.base import Filter, Params, range_reason
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue


class ScoreFilterParams(Params):
    """Parameters of ``score_filter``."""

    key: str = Field(
        description="scores.<capability> or stats.<op>.<stat> (a numeric value on the row)."
    )
    min: float | None = Field(None, description="Keep rows with value >= min (inclusive).")
    max: float | None = Field(None, description="Keep rows with value <= max (inclusive).")

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        head, _, rest = value.partition(".")
        if head not in ("scores", "stats") or not rest:
            raise ValueError(f"key must be scores.<capability> or stats.<op>.<stat>, got {value!r}")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> ScoreFilterParams:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) > max ({self.max})")
        return self


def read_value(sample: Sample, key: str) -> float | None:
    """The numeric value ``key`` names on ``sample`` (``None`` when absent or not a number)."""
    head, _, rest = key.partition(".")
    raw = sample.scores.get(rest) if head == "scores" else sample.stats.get(rest)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


@register("score_filter")
class ScoreFilter(Filter[ScoreFilterParams]):
    """Keep rows whose score (scores.<key>) or numeric stat (stats.<op>.<stat>) is in range."""

    Params = ScoreFilterParams

    stats = {"value": float}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        value = read_value(sample, self.params.key)
        return {"value": math.nan if value is None else value}

    def compute_stats_batch(
        self, samples: Sequence[Sample]
    ) -> list[dict[str, StatValue] | Exception]:
        """Always read the value again: the stored ``score_filter.value`` may be another
        ``score_filter`` step's (reading a field costs nothing)."""
        return [self.compute_stats(s) for s in samples]

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        value = stats["value"]
        assert isinstance(value, float | int)
        if isinstance(value, float) and math.isnan(value):
            return f"{self.params.key} missing"
        return range_reason(self.params.key, float(value), self.params.min, self.params.max)

"""Punctuation normalisation (Data-Juicer ``punctuation_normalization_mapper`` semantics)."""

from __future__ import annotations

from mmcurate.ops.base import Mapper, Params
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import map_text
from mmcurate.sample import Sample

#: Data-Juicer's map of unicode punctuation to ASCII (note ``１`` -> ``"``, ``—`` -> `` - ``
#: and ``．`` -> ``". "``, kept as they are there).
PUNCTUATION_MAP: dict[str, str] = {
    "，": ",",
    "。": ".",
    "、": ",",
    "„": '"',
    "”": '"',
    "“": '"',
    "«": '"',
    "»": '"',
    "１": '"',
    "」": '"',
    "「": '"',
    "《": '"',
    "》": '"',
    "´": "'",
    "∶": ":",
    "：": ":",
    "？": "?",
    "！": "!",
    "（": "(",
    "）": ")",
    "；": ";",
    "–": "-",
    "—": " - ",
    "．": ". ",
    "～": "~",
    "’": "'",
    "…": "...",
    "━": "-",
    "〈": "<",
    "〉": ">",
    "【": "[",
    "】": "]",
    "％": "%",
    "►": "-",
}
_TABLE = str.maketrans(PUNCTUATION_MAP)


@register("punctuation_normalization_mapper")
class PunctuationNormalizationMapper(Mapper[Params]):
    """Replace unicode punctuation (full-width, curly quotes, dashes...) by ASCII equivalents."""

    def process(self, sample: Sample) -> Sample:
        return map_text(self, sample, normalize_punctuation)


def normalize_punctuation(text: str) -> str:
    """Apply :data:`PUNCTUATION_MAP` to each character."""
    if text.isascii():
        return text
    return text.translate(_TABLE)

"""Whitespace normalisation (Data-Juicer ``whitespace_normalization_mapper`` semantics)."""

from __future__ import annotations

from mmcurate.ops.base import Mapper, Params
from mmcurate.ops.registry import register
from mmcurate.sample import Message, Sample

#: The whitespace variants Data-Juicer maps to a plain space (tab, unicode spaces,
#: zero-width characters, the object replacement character, U+0084).
VARIOUS_WHITESPACES = frozenset(
    " \t\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u00a0\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufffc\u0084"
)
_TABLE = {ord(c): " " for c in VARIOUS_WHITESPACES}


@register("whitespace_normalization_mapper")
class WhitespaceNormalizationMapper(Mapper[Params]):
    """Strip each turn, then map unicode space variants (and tabs) to a plain space."""

    def process(self, sample: Sample) -> Sample:
        new = [normalize_whitespace(m.content) for m in sample.messages]
        if all(n == m.content for n, m in zip(new, sample.messages, strict=True)):
            return sample
        messages = [
            Message.model_construct(role=m.role, content=n)
            for n, m in zip(new, sample.messages, strict=True)
        ]
        return sample.model_copy(update={"messages": messages})


def normalize_whitespace(text: str) -> str:
    """Data-Juicer's rule: strip, then replace each whitespace variant with ' '."""
    return text.strip().translate(_TABLE)

"""Whitespace normalisation (Data-Juicer ``whitespace_normalization_mapper`` semantics)."""

from __future__ import annotations



from mmcurate.ops.base import Mapper, Params
from mmcurate.ops.registry import register
from mmcurate.sample import Message, Sample

# Unicode whitespace variants Data-Juicer maps to a plain space (zero-width ones removed).
_VARIANTS = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u0085"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_TABLE = {ord(c): " " for c in _VARIANTS} | {ord(c): None for c in _ZERO_WIDTH}


@register("whitespace_normalization_mapper")
class WhitespaceNormalizationMapper(Mapper):
    """Map unicode space variants to ' ', remove zero-width spaces, strip each turn."""

    class Params(Params):
        pass

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
    """Normalise unicode whitespace variants and strip leading/trailing whitespace."""
    return text.translate(_TABLE).strip()

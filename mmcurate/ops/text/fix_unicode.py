"""Unicode repair (Data-Juicer ``fix_unicode_mapper`` semantics): ``ftfy.fix_text``.

ftfy fixes mojibake, HTML entities, curly quotes, full-width forms, line breaks and
control characters, then applies the unicode normalisation form. One ftfy rule depends on
the text around it: HTML entities are unescaped only until a line containing ``<`` is met.
In the ``dj`` text view the op rewrites Data-Juicer's whole text, so that rule sees the
turns and tokens as Data-Juicer does; in the ``plain`` view each turn is fixed on its own.
"""

from __future__ import annotations

from typing import Literal, cast

from pydantic import Field, field_validator

from mmcurate.ops.base import Mapper, Params
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import map_text
from mmcurate.sample import Sample

NormalizationForm = Literal["NFC", "NFKC", "NFD", "NFKD"]
_FORMS = ("NFC", "NFKC", "NFD", "NFKD")


class FixUnicodeParams(Params):
    """Parameters of ``fix_unicode_mapper``."""

    normalization: str | None = Field(
        None,
        description="Unicode normalisation form: NFC, NFKC, NFD or NFKD (any case); "
        "empty or null means NFC.",
    )

    @field_validator("normalization")
    @classmethod
    def _form(cls, v: str | None) -> str | None:
        if v and v.upper() not in _FORMS:
            raise ValueError(f"normalization {v!r} is not one of {', '.join(_FORMS)}")
        return v

    @property
    def form(self) -> NormalizationForm:
        """The normalisation form in effect."""
        return cast(NormalizationForm, (self.normalization or "NFC").upper())


@register("fix_unicode_mapper")
class FixUnicodeMapper(Mapper[FixUnicodeParams]):
    """Fix broken unicode (mojibake, HTML entities...) with ftfy, then normalise (NFC...)."""

    Params = FixUnicodeParams

    def process(self, sample: Sample) -> Sample:
        form = self.params.form
        return map_text(self, sample, lambda text: fix_unicode(text, form))


def fix_unicode(text: str, normalization: NormalizationForm = "NFC") -> str:
    """``ftfy.fix_text(text, normalization=normalization)``.

    Fast path: printable ASCII (with tabs and newlines) and no ``&`` is returned as is;
    ftfy changes no such text (every other fix needs a non-ASCII character, a control
    character or an HTML entity).
    """
    if text.isascii() and "&" not in text and _printable(text):
        return text
    import ftfy

    return ftfy.fix_text(text, normalization=normalization)


def _printable(text: str) -> bool:
    return text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable()

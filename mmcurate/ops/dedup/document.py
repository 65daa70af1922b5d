"""Exact document deduplication (Data-Juicer ``document_deduplicator`` semantics)."""

from __future__ import annotations

import hashlib
import re
import string

from pydantic import Field

from mmcurate.ops.base import Deduplicator, Params
from mmcurate.ops.registry import register
from mmcurate.sample import Sample

_NON_CHARACTER = re.compile(rf"\s+|\d+|[{re.escape(string.punctuation)}]")


class DocumentDedupParams(Params):
    """Parameters of ``document_deduplicator``."""

    lowercase: bool = Field(False, description="Lower-case the text before hashing.")
    ignore_non_character: bool = Field(
        False, description="Remove whitespace, digits and ASCII punctuation before hashing."
    )


@register("document_deduplicator")
class DocumentDeduplicator(Deduplicator[DocumentDedupParams]):
    """Drop samples whose text is identical to an earlier one (MD5 after normalisation)."""

    Params = DocumentDedupParams

    def hash_key(self, sample: Sample) -> str:
        p = self.params
        text = self.text(sample)
        if p.lowercase:
            text = text.lower()
        if p.ignore_non_character:
            text = _NON_CHARACTER.sub("", text)
        return hashlib.md5(text.strip().encode("utf-8")).hexdigest()

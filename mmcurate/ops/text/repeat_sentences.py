"""Repeated-sentence removal (Data-Juicer ``remove_repeat_sentences_mapper`` semantics).

Data-Juicer splits the text into lines (``\\n``), each line into sentences (after ``.``,
``。``, ``!``, ``！``, ``?``, ``？``, ``......``, ``……`` and those followed by a closing quote,
with its four regular expressions), and drops a sentence whose *key* was already seen in the
sample. The key is the sentence stripped, optionally lower-cased, and, with
``ignore_special_character``, reduced to ASCII letters, digits, CJK ideographs
(U+4E00-U+9FA5), tabs and spaces. Keys shorter than ``min_repeat_sentence_length`` are never
deduplicated. Kept sentences are concatenated as they were, so the text's spacing is kept.

The seen keys span the whole sample: a sentence repeated in a later turn is removed too.
In the ``dj`` text view the op rewrites Data-Juicer's text itself (the first sentence of
each turn then carries its ``[[human]]: `` prefix in its key, exactly as in Data-Juicer); in
the ``plain`` view it goes through the turns' lines in order, media placeholders left out of
the keys. Unlike Data-Juicer, a sentence holding a media placeholder (or Data-Juicer's special
tokens) is never removed, and a removed first sentence of a turn keeps its turn prefix:
Data-Juicer would delete them and leave a sample whose text no longer matches its media or
turns.
"""

from __future__ import annotations

import re
from typing import Literal

import regex
from pydantic import Field, field_validator

from mmcurate.io.records import SPEAKER_TO_ROLE
from mmcurate.ops.base import Mapper, Params
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import map_text, with_contents
from mmcurate.sample import Sample, strip_placeholders

# Data-Juicer's sentence splitter, pattern for pattern (``regex`` module). In the last one
# ``{6}`` and ``{2}`` sit inside a character class, so they are the literal characters
# ``{``, ``6``, ``2`` and ``}``: kept as is, since Data-Juicer splits there too.
_SPLITS = (
    regex.compile(r"([.。！!？\?])([^’”])"),
    regex.compile(r"(\.{6})([^’”])"),
    regex.compile(r"(\…{2})([^’”])"),
    regex.compile(r"([.。!！？\?\.{6}\…{2}][’”])([^’”])"),
)
_SPECIAL = re.compile(r"[^a-zA-Z0-9\u4e00-\u9fa5\n\t ]")
#: Tokens whose sentence is never removed: media placeholders in both spellings and
#: Data-Juicer's end-of-chunk token.
_PROTECTED = re.compile(
    r"<(?:image|video|audio|__dj__image|__dj__video|__dj__audio)>|<\|__dj__eoc\|>"
)
_TURN_PREFIX = re.compile(rf"\[\[(?:{'|'.join(SPEAKER_TO_ROLE)})\]\]: ")


def split_sentences(line: str) -> list[str]:
    """Data-Juicer's ``split_sentence``: the sentences of one line, spacing kept."""
    for pattern in _SPLITS:
        line = pattern.sub(r"\1\n\2", line)
    return line.split("\n")


class RemoveRepeatSentencesParams(Params):
    """Parameters of ``remove_repeat_sentences_mapper``."""

    lowercase: bool = Field(False, description="Compare sentences lower-cased.")
    ignore_special_character: bool = Field(
        True,
        description="Compare sentences on ASCII letters, digits, CJK ideographs, tabs and "
        "spaces only (other characters ignored, also for the length).",
    )
    min_repeat_sentence_length: int = Field(
        2, description="Sentences shorter than this (after the above) are never removed."
    )
    tokenizer: str | None = Field(
        None,
        description="Data-Juicer's custom sentence splitter (a lambda as a string). Not "
        "supported: recipes do not run code; only null (the built-in splitter).",
    )

    @field_validator("tokenizer")
    @classmethod
    def _builtin_only(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError(
                "custom tokenizers are not supported (a recipe does not run code); "
                "leave tokenizer unset to use the built-in sentence splitter"
            )
        return v


@register("remove_repeat_sentences_mapper")
class RemoveRepeatSentencesMapper(Mapper[RemoveRepeatSentencesParams]):
    """Remove sentences already seen earlier in the sample (all turns)."""

    Params = RemoveRepeatSentencesParams

    def process(self, sample: Sample) -> Sample:
        if self.ctx.text_view == "dj":
            return map_text(self, sample, lambda text: self.dedup(text, set(), "dj"))
        seen: set[str] = set()
        new = [self.dedup(m.content, seen, "plain") for m in sample.messages]
        if all(n == m.content for n, m in zip(new, sample.messages, strict=True)):
            return sample
        return with_contents(sample, new)

    def dedup(self, text: str, seen: set[str], view: Literal["plain", "dj"]) -> str:
        """``text`` without the sentences whose key is in ``seen`` (which it extends)."""
        p = self.params
        out: list[str] = []
        for line in text.split("\n"):
            kept = ""
            if line:
                for i, sentence in enumerate(split_sentences(line)):
                    protected = _PROTECTED.search(sentence) is not None
                    key = sentence
                    if protected and view == "plain":
                        key = strip_placeholders(key)
                    key = key.strip()
                    if p.lowercase:
                        key = key.lower()
                    if p.ignore_special_character:
                        key = _SPECIAL.sub("", key)
                    if len(key) < p.min_repeat_sentence_length:
                        kept += sentence
                    elif key not in seen:
                        kept += sentence
                        seen.add(key)
                    elif protected:
                        kept += sentence
                    elif i == 0 and view == "dj" and (prefix := _TURN_PREFIX.match(sentence)):
                        kept += prefix.group(0)
            out.append(kept)
        return "\n".join(out)

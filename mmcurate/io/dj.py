"""Data-Juicer jsonl: ``{"text": "<__dj__image>\\n A bus. <|__dj__eoc|>", "images": [...], ...}``.

Placeholders map one to one: ``<__dj__image>`` <-> ``<image>``, ``<__dj__video>`` <->
``<video>``, ``<__dj__audio>`` <-> ``<audio>``. The end-of-chunk token ``<|__dj__eoc|>`` is
kept as literal text in the message content. A row's ``__dj__stats__`` is kept verbatim in
``meta["__dj__stats__"]`` (it is not mapped into ``Sample.stats``).

Conversations follow Data-Juicer's own LLaVA converter
(``tools/fmt_conversion/multimodal/source_format_to_data_juicer_format/llava_to_dj.py``, default
options): each turn is rendered as ``[[<speaker>]]: <text>`` with the speaker ``human`` / ``gpt``
/ ``system``, turns are joined with ``"\\n"`` and one `` <|__dj__eoc|>`` is appended at the end.
Unlike that tool we map ``<image>`` to ``<__dj__image>`` (Data-Juicer's own image token), write
every image (not only the first), and accept any sequence of turns (not only human/gpt pairs).

Reading:

- A ``text`` that starts with ``[[human]]: `` (or ``gpt`` / ``system`` / ``user`` /
  ``assistant``) is split back into turns at each ``"\\n[[<speaker>]]: "``; the trailing
  `` <|__dj__eoc|>`` of each turn is removed (so the converter's ``split_chunk`` output reads
  too). This is the exact inverse of the writer unless a turn's text itself contains
  ``"\\n[[gpt]]: "``-like markers or ends with `` <|__dj__eoc|>``.
- Any other ``text`` becomes one user message whose content is the mapped text, ``<|__dj__eoc|>``
  included; such a sample (exactly one user message) is written back as that text, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mmcurate.io.records import (
    ROLE_TO_SPEAKER,
    SPEAKER_TO_ROLE,
    Body,
    Codec,
    RecordError,
    Row,
    media_list,
)

EOC_TOKEN = "<|__dj__eoc|>"
#: Data-Juicer token -> canonical placeholder.
DJ_TOKENS: Mapping[str, str] = {
    "<__dj__image>": "<image>",
    "<__dj__video>": "<video>",
    "<__dj__audio>": "<audio>",
}
_TO_CANONICAL = re.compile("|".join(re.escape(t) for t in DJ_TOKENS))
_TO_DJ = re.compile("|".join(re.escape(t) for t in DJ_TOKENS.values()))
_FROM_DJ = {v: k for k, v in DJ_TOKENS.items()}
_SPEAKERS = "|".join(SPEAKER_TO_ROLE)
_FIRST_TURN = re.compile(rf"\[\[({_SPEAKERS})\]\]: ")
_TURN_SPLIT = re.compile(rf"(?:\A|\n)\[\[({_SPEAKERS})\]\]: ")
_SUFFIX = " " + EOC_TOKEN
_MEDIA = ("images", "videos", "audios")


def from_dj(text: str) -> str:
    """Replace Data-Juicer placeholder tokens by canonical ones."""
    return _TO_CANONICAL.sub(lambda m: DJ_TOKENS[m.group(0)], text)


def to_dj(text: str) -> str:
    """Replace canonical placeholder tokens by Data-Juicer ones."""
    return _TO_DJ.sub(lambda m: _FROM_DJ[m.group(0)], text)


def text_to_messages(text: str) -> list[dict[str, str]]:
    """Canonical messages for a Data-Juicer ``text`` (see the module docstring)."""
    text = from_dj(text)
    if not text:
        return []
    if not _FIRST_TURN.match(text):
        return [{"role": "user", "content": text}]
    parts = _TURN_SPLIT.split(text)[1:]
    return [
        {"role": SPEAKER_TO_ROLE[speaker], "content": content.removesuffix(_SUFFIX)}
        for speaker, content in zip(parts[::2], parts[1::2], strict=True)
    ]


def messages_to_text(messages: list[dict[str, str]]) -> str:
    """Data-Juicer ``text`` for canonical messages (inverse of :func:`text_to_messages`)."""
    if not messages:
        return ""
    if len(messages) == 1 and messages[0]["role"] == "user":
        return to_dj(messages[0]["content"])
    turns = "\n".join(f"[[{ROLE_TO_SPEAKER[m['role']]}]]: {m['content']}" for m in messages)
    return to_dj(turns + _SUFFIX)


def parse_body(record: Mapping[str, Any]) -> Body:
    """The Data-Juicer-specific part of a record in canonical terms."""
    if "text" not in record:
        raise RecordError("text: missing")
    text = record["text"]
    if not isinstance(text, str):
        raise RecordError(f"text: expected a string, got {type(text).__name__}")
    body = Body(messages=text_to_messages(text))
    for key in _MEDIA:
        setattr(body, key, media_list(record.get(key), key))
    return body


def render_body(row: Row, turn_extra: list[dict[str, Any] | None] | None) -> dict[str, Any]:
    """The Data-Juicer-specific keys of a row's record (``turn_extra`` is unused)."""
    out: dict[str, Any] = {"text": messages_to_text(row["messages"])}
    for key in _MEDIA:
        paths = row[key]
        if paths:
            out[key] = list(paths)
    return out


CODEC = Codec(
    name="dj",
    owned=frozenset({"text", *_MEDIA}),
    parse_body=parse_body,
    render_body=render_body,
    meta_keys=("__dj__stats__",),
)

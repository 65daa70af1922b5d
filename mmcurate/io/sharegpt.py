"""LLaMA-Factory's ShareGPT and OpenAI-style ``messages`` records.

- ``sharegpt``: ``{"conversations": [{"from", "value"}], "images": [...], "videos": [...],
  "audios": [...]}``; ``from`` is any of ``human`` / ``gpt`` / ``user`` / ``assistant`` /
  ``system`` on read and is written as ``human`` / ``gpt`` / ``system``.
- ``messages``: ``{"messages": [{"role", "content"}], "images": [...], ...}``; ``role`` is
  ``user`` / ``assistant`` / ``system`` (``content`` must be a string; OpenAI content-part
  lists are reported as errors). A canonical sample dumped as JSON is also a valid
  ``messages`` record.

Media lists are always lists; empty lists are left out when writing. Top-level keys such as
LLaMA-Factory's ``system`` / ``tools`` are kept in ``meta["_extra"]`` and written back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmcurate.io.records import (
    CONVERSATIONS,
    MESSAGES,
    Body,
    Codec,
    Row,
    TurnStyle,
    media_list,
    parse_turns,
    render_turns,
)

_MEDIA = ("images", "videos", "audios")


def _parse(record: Mapping[str, Any], style: TurnStyle) -> Body:
    messages, turn_extra = parse_turns(record, style)
    body = Body(messages=messages, turn_extra=turn_extra)
    for key in _MEDIA:
        setattr(body, key, media_list(record.get(key), key))
    return body


def _render(
    row: Row, turn_extra: list[dict[str, Any] | None] | None, style: TurnStyle
) -> dict[str, Any]:
    out: dict[str, Any] = {style.field: render_turns(row["messages"], style, turn_extra)}
    for key in _MEDIA:
        paths = row[key]
        if paths:
            out[key] = list(paths)
    return out


def parse_sharegpt(record: Mapping[str, Any]) -> Body:
    """The ShareGPT-specific part of a record in canonical terms."""
    return _parse(record, CONVERSATIONS)


def render_sharegpt(row: Row, turn_extra: list[dict[str, Any] | None] | None) -> dict[str, Any]:
    """The ShareGPT-specific keys of a row's record."""
    return _render(row, turn_extra, CONVERSATIONS)


def parse_messages(record: Mapping[str, Any]) -> Body:
    """The messages-specific part of a record in canonical terms."""
    return _parse(record, MESSAGES)


def render_messages(row: Row, turn_extra: list[dict[str, Any] | None] | None) -> dict[str, Any]:
    """The messages-specific keys of a row's record."""
    return _render(row, turn_extra, MESSAGES)


SHAREGPT = Codec(
    name="sharegpt",
    owned=frozenset({"conversations", *_MEDIA}),
    parse_body=parse_sharegpt,
    render_body=render_sharegpt,
    turn_style=CONVERSATIONS,
)
MESSAGES_CODEC = Codec(
    name="messages",
    owned=frozenset({"messages", *_MEDIA}),
    parse_body=parse_messages,
    render_body=render_messages,
    turn_style=MESSAGES,
)

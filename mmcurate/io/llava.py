"""LLaVA json/jsonl: ``{"id", "image", "video", "audio", "conversations": [{"from", "value"}]}``.

``from`` is ``human`` / ``gpt`` / ``system`` (``user`` / ``assistant`` are accepted on read).
Placeholders (``<image>``, ``<video>``, ``<audio>``) stay where the text has them; a sample with
images but no ``<image>`` token is kept as it is (that is valid LLaVA).

Writer normalisation: ``from`` is written as ``human`` / ``gpt`` / ``system``; one image is
written as ``"image": "path"``, several as ``"image": [...]``, none leaves the key out; ``video``
and ``audio`` follow the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmcurate.io.records import (
    CONVERSATIONS,
    Body,
    Codec,
    Row,
    media_list,
    one_or_list,
    parse_turns,
    render_turns,
)

_MEDIA_KEYS = (("image", "images"), ("video", "videos"), ("audio", "audios"))


def parse_body(record: Mapping[str, Any]) -> Body:
    """The LLaVA-specific part of a record in canonical terms."""
    messages, turn_extra = parse_turns(record, CONVERSATIONS)
    body = Body(messages=messages, turn_extra=turn_extra)
    for key, attr in _MEDIA_KEYS:
        setattr(body, attr, media_list(record.get(key), key))
    return body


def render_body(row: Row, turn_extra: list[dict[str, Any] | None] | None) -> dict[str, Any]:
    """The LLaVA-specific keys of a row's record."""
    out: dict[str, Any] = {}
    for key, attr in _MEDIA_KEYS:
        paths = row[attr]
        if paths:
            out[key] = one_or_list(paths)
    out["conversations"] = render_turns(row["messages"], CONVERSATIONS, turn_extra)
    return out


CODEC = Codec(
    name="llava",
    owned=frozenset({"image", "video", "audio", "conversations"}),
    parse_body=parse_body,
    render_body=render_body,
    turn_style=CONVERSATIONS,
)

"""Mapping between one input record (a JSON object or a table row) and a canonical row.

A *row* here is a :class:`Sample` as a plain dict (the hot path avoids building pydantic
objects): the keys of :data:`mmcurate.sample.COLUMNS`, ``messages`` as ``{role, content}``
dicts, ``meta`` as a dict, ``stats`` / ``scores`` without null values. ``Sample.from_row``
turns one into a sample, :func:`sample_row` the other way.

Every record-based format (LLaVA, ShareGPT, messages, Data-Juicer) is a :class:`Codec`: the
top-level keys it owns plus two small functions for its body (media fields and the
conversation). Everything else is shared here, once:

- ``id``: a string or an integer (kept as its string); absent or null -> the caller's default
  (``<file stem>:<index>``).
- ``meta``: an object (or a JSON string of one) -> ``Sample.meta``.
- ``stats`` / ``scores`` / ``styles``: top-level keys in jsonl exports; read back as they are
  (null values are dropped).
- Any other top-level key -> ``meta["_extra"][key]``; a writer puts it back as a top-level
  key unless the key is one the writer itself produces (then it stays in ``meta["_extra"]``).
- Keys of a conversation turn other than the role and the text -> ``meta["_turn_extra"]``
  (a list aligned with the messages, ``None`` for turns without extras); turn-based writers
  put them back when the number of turns still matches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mmcurate.errors import ErrorRecord
from mmcurate.sample import Sample, load_meta

Row = dict[str, Any]

EXTRA_KEY = "_extra"
TURN_EXTRA_KEY = "_turn_extra"

#: Top-level keys every record-based format shares.
COMMON_KEYS = frozenset({"id", "meta", "stats", "scores", "styles"})

#: Speaker names accepted in ``from`` / ``role`` -> canonical role.
SPEAKER_TO_ROLE: Mapping[str, str] = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}
#: Canonical role -> ShareGPT/LLaVA speaker name (LLaMA-Factory's default tags).
ROLE_TO_SPEAKER: Mapping[str, str] = {"user": "human", "assistant": "gpt", "system": "system"}
#: Canonical role -> OpenAI-style role (the identity).
ROLE_TO_ROLE: Mapping[str, str] = {"user": "user", "assistant": "assistant", "system": "system"}


class RecordError(ValueError):
    """A record that does not map to the canonical schema; the message names the field."""


@dataclass(frozen=True)
class TurnStyle:
    """How a format spells a conversation.

    Attributes:
        field: The record key holding the list of turns.
        role_key: The turn key holding the speaker.
        content_key: The turn key holding the text.
        write_roles: Canonical role -> the speaker name written.
    """

    field: str
    role_key: str
    content_key: str
    write_roles: Mapping[str, str]


CONVERSATIONS = TurnStyle("conversations", "from", "value", ROLE_TO_SPEAKER)
MESSAGES = TurnStyle("messages", "role", "content", ROLE_TO_ROLE)


@dataclass
class Body:
    """The format-specific part of a record, in canonical terms."""

    messages: list[dict[str, str]]
    images: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    audios: list[str] = field(default_factory=list)
    turn_extra: list[dict[str, Any] | None] | None = None


@dataclass(frozen=True)
class Codec:
    """A record-based format.

    Attributes:
        name: The registered ``--format`` name.
        owned: Top-level keys the body functions read and write (besides the common keys).
        parse_body: Record -> :class:`Body`; raises :class:`RecordError` naming the field.
        render_body: ``(row, turn extras or None)`` -> the format's own keys.
        turn_style: The conversation spelling, for formats with a list of turns.
        meta_keys: Top-level keys kept verbatim under the same name in ``Sample.meta`` (and
            written back at the top level by this format's writer only).
        reserved: Derived: every top-level key the format reads or writes itself.
    """

    name: str
    owned: frozenset[str]
    parse_body: Callable[[Mapping[str, Any]], Body]
    render_body: Callable[[Row, list[dict[str, Any] | None] | None], dict[str, Any]]
    turn_style: TurnStyle | None = None
    meta_keys: tuple[str, ...] = ()

    reserved: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        # Top-level keys a record of this format may not take from meta["_extra"].
        object.__setattr__(self, "reserved", self.owned | COMMON_KEYS | frozenset(self.meta_keys))


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def media_list(value: Any, name: str) -> list[str]:
    """A media field as a list of strings (a single string or null are accepted)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise RecordError(
            f"{name}: expected a string or a list of strings, got {_type_name(value)}"
        )
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise RecordError(f"{name}[{i}]: expected a string, got {_type_name(item)}")
    return list(value)


def one_or_list(paths: list[str]) -> str | list[str]:
    """LLaVA's spelling of media: one path as a string, several as a list."""
    return paths[0] if len(paths) == 1 else list(paths)


def parse_turns(
    record: Mapping[str, Any], style: TurnStyle
) -> tuple[list[dict[str, str]], list[dict[str, Any] | None] | None]:
    """The record's conversation as canonical messages plus per-turn extra keys.

    Raises:
        RecordError: The turns are missing or malformed (the message names the turn field).
    """
    name = style.field
    if name not in record:
        raise RecordError(f"{name}: missing")
    turns = record[name]
    if not isinstance(turns, list):
        raise RecordError(f"{name}: expected a list of turns, got {_type_name(turns)}")
    messages: list[dict[str, str]] = []
    extras: list[dict[str, Any] | None] = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, Mapping):
            raise RecordError(f"{name}[{i}]: expected an object, got {_type_name(turn)}")
        speaker = turn.get(style.role_key)
        role = SPEAKER_TO_ROLE.get(speaker) if isinstance(speaker, str) else None
        if role is None:
            valid = ", ".join(SPEAKER_TO_ROLE)
            raise RecordError(
                f"{name}[{i}].{style.role_key}: unknown speaker {speaker!r} (valid: {valid})"
            )
        content = turn.get(style.content_key)
        if not isinstance(content, str):
            raise RecordError(
                f"{name}[{i}].{style.content_key}: expected a string, got {_type_name(content)}"
            )
        messages.append({"role": role, "content": content})
        if len(turn) > 2:
            keep = (style.role_key, style.content_key)
            extras.append({k: v for k, v in turn.items() if k not in keep})
        else:
            extras.append(None)
    return messages, (extras if any(extras) else None)


def render_turns(
    messages: list[dict[str, str]], style: TurnStyle, turn_extra: list[dict[str, Any] | None] | None
) -> list[dict[str, Any]]:
    """Inverse of :func:`parse_turns`."""
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        turn: dict[str, Any] = {
            style.role_key: style.write_roles[m["role"]],
            style.content_key: m["content"],
        }
        for k, v in ((turn_extra[i] or {}) if turn_extra else {}).items():
            turn.setdefault(k, v)
        out.append(turn)
    return out


def record_id(record: Mapping[str, Any], default: str) -> str:
    """The record's id as a string (``default`` when absent or null)."""
    value = record.get("id")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"id: expected a string or an integer, got {_type_name(value)}")
    return str(value)


def _parse_meta(value: Any) -> dict[str, Any]:
    if value is None or isinstance(value, Mapping):
        return dict(value or {})
    if isinstance(value, str):
        try:
            return load_meta(value)
        except ValueError as err:
            raise RecordError(f"meta: not a JSON object string ({err})") from err
    raise RecordError(f"meta: expected an object, got {_type_name(value)}")


def _parse_mapping(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RecordError(f"{name}: expected an object, got {_type_name(value)}")
    return {str(k): v for k, v in value.items() if v is not None}


def _parse_stats(value: Any) -> dict[str, Any]:
    stats = _parse_mapping(value, "stats")
    for k, v in stats.items():
        items = v if isinstance(v, list) else [v]
        if not all(isinstance(x, bool | int | float | str) for x in items):
            raise RecordError(
                f"stats.{k}: expected a number, a string or a list of them, got {_type_name(v)}"
            )
    return stats


def _parse_scores(value: Any) -> dict[str, float]:
    scores = _parse_mapping(value, "scores")
    for k, v in scores.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise RecordError(f"scores.{k}: expected a number, got {_type_name(v)}")
    return {k: float(v) for k, v in scores.items()}


def _parse_styles(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise RecordError(f"styles: expected a list of strings, got {_type_name(value)}")
    return list(value)


def record_to_row(codec: Codec, record: Any, default_id: str) -> Row:
    """Map one record of ``codec``'s format to a canonical row.

    Args:
        codec: The record's format.
        record: The parsed record (a JSON object or a table row).
        default_id: The id to use when the record has none (``<file stem>:<index>``).

    Raises:
        RecordError: The record does not map to the canonical schema.
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record: expected a JSON object, got {_type_name(record)}")
    sample_id = record_id(record, default_id)
    body = codec.parse_body(record)
    meta = _parse_meta(record.get("meta"))
    for key in codec.meta_keys:
        if key in record:
            meta[key] = record[key]
    reserved = codec.reserved
    extra = {k: v for k, v in record.items() if k not in reserved}
    if extra:
        previous = meta.get(EXTRA_KEY)
        meta[EXTRA_KEY] = {**previous, **extra} if isinstance(previous, dict) else extra
    if body.turn_extra is not None:
        meta[TURN_EXTRA_KEY] = body.turn_extra
    return {
        "id": sample_id,
        "images": body.images,
        "videos": body.videos,
        "audios": body.audios,
        "messages": body.messages,
        "meta": meta,
        "stats": _parse_stats(record.get("stats")),
        "scores": _parse_scores(record.get("scores")),
        "styles": _parse_styles(record.get("styles")),
    }


def row_to_record(codec: Codec, row: Row) -> dict[str, Any]:
    """Map a canonical row to one record of ``codec``'s format (inverse of
    :func:`record_to_row`).

    Empty ``meta``, ``stats``, ``scores`` and ``styles`` are left out; ``id`` is always written.
    """
    meta = dict(row["meta"])
    turn_extra = None
    if codec.turn_style is not None:
        candidate = meta.get(TURN_EXTRA_KEY)
        if isinstance(candidate, list) and len(candidate) == len(row["messages"]):
            turn_extra = meta.pop(TURN_EXTRA_KEY)
    record: dict[str, Any] = {"id": row["id"], **codec.render_body(row, turn_extra)}
    lifted = {k: meta.pop(k) for k in codec.meta_keys if k in meta}
    extra = meta.pop(EXTRA_KEY, None)
    if isinstance(extra, dict):
        left = {k: v for k, v in extra.items() if k in codec.reserved or k in record}
        if left:
            meta[EXTRA_KEY] = left
        extra = {k: v for k, v in extra.items() if k not in left}
    elif extra is not None:
        meta[EXTRA_KEY] = extra
        extra = None
    if meta:
        record["meta"] = meta
    record.update(lifted)
    record.update(extra or {})
    for key in ("stats", "scores", "styles"):
        if row[key]:
            record[key] = row[key]
    return record


def sample_row(sample: Sample) -> Row:
    """A sample as a canonical row (``meta`` stays a dict)."""
    row = sample.to_row()
    row["meta"] = dict(sample.meta)
    return row


def arrow_row(row: Mapping[str, Any]) -> Row:
    """A row of a canonical ``datasets.Dataset`` as a canonical row (``meta`` parsed, null
    ``stats`` / ``scores`` fields dropped, extra columns ignored)."""
    return {
        "id": row["id"],
        "images": list(row.get("images") or []),
        "videos": list(row.get("videos") or []),
        "audios": list(row.get("audios") or []),
        "messages": list(row.get("messages") or []),
        "meta": load_meta(row.get("meta")),
        "stats": {k: v for k, v in (row.get("stats") or {}).items() if v is not None},
        "scores": {k: v for k, v in (row.get("scores") or {}).items() if v is not None},
        "styles": list(row.get("styles") or []),
    }


def record_to_sample(codec: Codec, record: Any, default_id: str) -> Sample:
    """Like :func:`record_to_row`, as a validated :class:`Sample`."""
    return Sample.from_row(record_to_row(codec, record, default_id), validate=True)


def sample_to_record(codec: Codec, sample: Sample) -> dict[str, Any]:
    """Like :func:`row_to_record`, from a :class:`Sample`."""
    return row_to_record(codec, sample_row(sample))


def record_to_item(
    codec: Codec, record: Any, default_id: str, file: str, line: int | None
) -> Row | ErrorRecord:
    """Like :func:`record_to_row`, but a bad record becomes an ``op="load"`` error record.

    Args:
        codec: The record's format.
        record: The parsed record.
        default_id: The id when the record has none; also the error's id when the record's
            own id is unusable.
        file: The input file, for the error record.
        line: The 1-based line in ``file`` (jsonl), or ``None``.
    """
    try:
        return record_to_row(codec, record, default_id)
    except RecordError as err:
        sample_id = default_id
        if isinstance(record, Mapping):
            with contextlib.suppress(RecordError):
                sample_id = record_id(record, default_id)
        return ErrorRecord(sample_id=sample_id, op="load", reason=str(err), file=file, line=line)

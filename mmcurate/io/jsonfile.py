"""JSON and JSONL files: streamed reading with per-record error capture, and writing.

A file whose first non-blank character is ``[`` is one JSON array (loaded whole; a parse
failure is a run-level :class:`FormatError`); one starting with ``{`` is JSONL (one record per
line, read as a stream; a bad line is one error record). JSONL files can be split into byte
ranges that are read in parallel.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmcurate.errors import ErrorRecord, FormatError
from mmcurate.io.formats import CODECS
from mmcurate.io.records import Row, record_to_item

_ID_RE = re.compile(rb'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
_MIN_SPLIT_BYTES = 4 << 20


def first_char(path: Path) -> str:
    """The first non-blank character of a text file ('' when the file is blank)."""
    with open(path, "rb") as f:
        while block := f.read(1 << 16):
            text = block.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
            if text:
                return text[0]
    return ""


def load_json_array(path: Path) -> list[Any]:
    """Load a whole-file JSON array.

    Raises:
        FormatError: The file is not valid JSON or not an array.
    """
    try:
        with open(path, encoding="utf-8-sig") as f:
            data = json.load(f)
    except ValueError as err:
        raise FormatError(
            f"{path}: not valid JSON ({err}); a .json dataset must be one JSON array "
            "(use .jsonl for one record per line)"
        ) from err
    if not isinstance(data, list):
        raise FormatError(f"{path}: expected a JSON array of records, got {type(data).__name__}")
    return data


def _recover_id(raw: bytes) -> str | None:
    match = _ID_RE.search(raw)
    if match is None:
        return None
    try:
        return str(json.loads(match.group(1)))
    except ValueError:
        return None


@dataclass(frozen=True)
class JsonArrayShard:
    """All records of a JSON array file."""

    path: str
    codec: str

    def items(self) -> Iterator[Row | ErrorRecord]:
        """Canonical rows, or error records for records that do not map."""
        codec, stem = CODECS[self.codec], Path(self.path).stem
        for i, record in enumerate(load_json_array(Path(self.path))):
            yield record_to_item(codec, record, f"{stem}:{i}", self.path, None)


@dataclass(frozen=True)
class JsonlShard:
    """The lines of a JSONL file that start in the byte range ``[start, end)``.

    Attributes:
        path: The file.
        codec: The registered format name.
        start: First byte (a line start).
        end: End byte.
        first_line: Number of lines before ``start``.
    """

    path: str
    codec: str
    start: int
    end: int
    first_line: int

    def items(self) -> Iterator[Row | ErrorRecord]:
        """Canonical rows, or error records for bad lines; blank lines are skipped."""
        codec, stem = CODECS[self.codec], Path(self.path).stem
        lineno, pos = self.first_line, self.start
        with open(self.path, "rb") as f:
            f.seek(pos)
            while pos < self.end and (raw := f.readline()):
                pos += len(raw)
                lineno += 1
                if not raw.strip():
                    continue
                default_id = f"{stem}:{lineno - 1}"
                try:
                    record = json.loads(raw.decode("utf-8-sig"))
                except ValueError as err:
                    yield ErrorRecord(
                        sample_id=_recover_id(raw) or default_id,
                        op="load",
                        reason=f"invalid JSON: {err}",
                        file=self.path,
                        line=lineno,
                    )
                    continue
                yield record_to_item(codec, record, default_id, self.path, lineno)


def _jsonl_shards(path: Path, codec: str, parts: int) -> list[JsonlShard]:
    size = path.stat().st_size
    parts = max(1, min(parts, size // _MIN_SPLIT_BYTES))
    starts = [0]
    with open(path, "rb") as f:
        for k in range(1, parts):
            f.seek(size * k // parts)
            f.readline()
            if f.tell() > starts[-1] and f.tell() < size:
                starts.append(f.tell())
        lines_before, counted, pos = [0], 0, 0
        f.seek(0)
        for boundary in starts[1:]:
            while pos < boundary:
                block = f.read(min(1 << 22, boundary - pos))
                counted += block.count(b"\n")
                pos += len(block)
            lines_before.append(counted)
    ends = [*starts[1:], size]
    return [
        JsonlShard(str(path), codec, s, e, n)
        for s, e, n in zip(starts, ends, lines_before, strict=True)
    ]


def json_shards(path: Path, codec: str, parts: int = 1) -> list[JsonArrayShard] | list[JsonlShard]:
    """Split a JSON/JSONL file into independently readable shards.

    Args:
        path: The file.
        codec: The registered format name of its records.
        parts: Wanted number of shards (JSONL only; small files stay one shard).

    Raises:
        FormatError: The file does not start like JSON.
    """
    char = first_char(path)
    if char == "[":
        return [JsonArrayShard(str(path), codec)]
    if char in ("{", ""):
        return _jsonl_shards(path, codec, parts)
    raise FormatError(
        f"{path}: does not look like JSON or JSONL (first character {char!r}, suffix "
        f"{path.suffix!r})"
    )


def _array_prefix(text: str, limit: int) -> tuple[list[Any], bool]:
    """Decode up to ``limit`` elements of a JSON array from (a prefix of) its text."""
    decoder, i = json.JSONDecoder(), text.index("[") + 1
    records: list[Any] = []
    while len(records) < limit:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return records, True
        try:
            value, i = decoder.raw_decode(text, i)
        except ValueError:
            return records, False
        records.append(value)
    return records, True


def peek_records(path: Path, limit: int = 20) -> list[Any]:
    """The first (up to ``limit``) parseable records of a JSON array or JSONL file.

    Unparseable JSONL lines are skipped. Returns ``[]`` for a blank file.
    """
    char = first_char(path)
    if char == "[":
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            head = f.read(1 << 20)
        prefix, complete = _array_prefix(head, limit)
        if not complete and not prefix and len(head) == 1 << 20:
            return load_json_array(path)[:limit]
        return prefix
    records: list[Any] = []
    with open(path, "rb") as f:
        for raw in f:
            if len(records) >= limit:
                break
            if raw.strip():
                try:
                    records.append(json.loads(raw))
                except ValueError:
                    continue
    return records


def write_records(records: Iterable[dict[str, Any]], out: Path) -> None:
    """Write records atomically: a JSON array for ``*.json``, JSONL otherwise (UTF-8)."""
    array = out.suffix.lower() == ".json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        first = True
        if array:
            f.write("[")
        for record in records:
            line = json.dumps(record, ensure_ascii=False)
            if array:
                f.write("\n" if first else ",\n")
                f.write(line)
            else:
                f.write(line + "\n")
            first = False
        if array:
            f.write("\n]\n")
    os.replace(tmp, out)

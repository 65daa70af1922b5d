"""Format detection from a path: its type, its suffix and its first records."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from mmcurate.errors import FormatError
from mmcurate.io.folder import has_images
from mmcurate.io.formats import valid_formats
from mmcurate.io.jsonfile import first_char, peek_records
from mmcurate.sample import COLUMNS

_PLURAL_MEDIA = frozenset({"images", "videos", "audios"})
_SINGULAR_MEDIA = frozenset({"image", "video", "audio"})
_TEXT_ONLY = "conversations"  # conversations without media keys: LLaVA and ShareGPT read alike


def record_kind(keys: Collection[str]) -> str | None:
    """The format one record (or a table's column set) looks like, or ``None``.

    Conversations without any media key return ``"conversations"`` (LLaVA and ShareGPT read
    such records identically).
    """
    keys = frozenset(keys)
    if "conversations" in keys and "messages" in keys:
        return None
    if "conversations" in keys:
        plural, singular = bool(keys & _PLURAL_MEDIA), bool(keys & _SINGULAR_MEDIA)
        if plural and singular:
            return None
        return "sharegpt" if plural else "llava" if singular else _TEXT_ONLY
    if "messages" in keys:
        return "messages"
    if "text" in keys:
        return "dj"
    return None


def sniff_records(records: Sequence[Any], where: str) -> str:
    """The format of a file from its first records.

    Raises:
        FormatError: A record matches no format, or the records match different formats.
    """
    kinds: dict[str, int] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise FormatError(
                f"{where}: record {i} is a {type(record).__name__}, not an object; "
                f"{valid_formats()}"
            )
        kind = record_kind(record)
        if kind is None:
            raise FormatError(
                f"{where}: cannot tell the format of record {i} from its keys {sorted(record)}; "
                f"{valid_formats()}"
            )
        kinds.setdefault(kind, i)
    kinds.pop(_TEXT_ONLY, None)
    if len(kinds) > 1:
        seen = ", ".join(f"{k} (record {i})" for k, i in kinds.items())
        raise FormatError(
            f"{where}: ambiguous, the first records look like {seen}; {valid_formats()}"
        )
    return next(iter(kinds), "llava")


def table_codec(columns: Collection[str], where: str) -> str:
    """The record format of a table's rows from its column names.

    A table with the canonical columns (``stats`` / ``scores`` may be missing: parquet cannot
    store them without keys) is read with the ``messages`` codec (a canonical row is a valid
    ``messages`` record).

    Raises:
        FormatError: The columns match no record format.
    """
    if set(COLUMNS) - {"stats", "scores"} <= set(columns):
        return "messages"
    kind = record_kind(columns)
    if kind is None:
        raise FormatError(
            f"{where}: columns {sorted(columns)} match no record format (expected "
            "conversations + image/images, messages, or text)"
        )
    return "llava" if kind == _TEXT_ONLY else kind


def is_saved_dataset(path: Path) -> bool:
    """Whether ``path`` is a folder written by ``datasets`` ``save_to_disk``."""
    return path.is_dir() and any(
        (path / name).is_file() for name in ("state.json", "dataset_dict.json", "dataset_info.json")
    )


def parquet_files(path: Path) -> list[Path]:
    """The parquet files at ``path`` (the file itself, or all under a folder, sorted)."""
    if path.is_file():
        return [path] if path.suffix.lower() == ".parquet" else []
    return sorted(p for p in path.rglob("*.parquet") if p.is_file())


def detect_format(path: str | Path) -> str:
    """Guess a dataset's format.

    A folder is ``hf`` (``save_to_disk`` output), ``parquet`` (holds ``*.parquet``) or
    ``folder`` (holds images); a ``.parquet`` file is ``parquet``; a JSON/JSONL file is
    sniffed from its first records: ``conversations`` with ``image``/``video``/``audio`` ->
    ``llava``; ``conversations`` with ``images``/``videos``/``audios`` -> ``sharegpt``;
    ``messages`` -> ``messages``; ``text`` -> ``dj``; conversations without media -> ``llava``.

    Args:
        path: A file or folder.

    Raises:
        FormatError: The path is missing, empty, unknown or ambiguous; the message says what
            was seen and lists the valid ``--format`` values.
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    if path.is_dir():
        if (path / "state.json").is_file() or (path / "dataset_dict.json").is_file():
            return "hf"
        if parquet_files(path):
            return "parquet"
        if is_saved_dataset(path):
            return "hf"
        if has_images(path):
            return "folder"
        names = sorted(p.name for p in path.iterdir())[:10]
        raise FormatError(
            f"{path}: folder has no dataset_info.json/state.json, no .parquet files and no "
            f"images (it holds {names}); {valid_formats()}"
        )
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    char = first_char(path)
    if char == "":
        raise FormatError(f"{path}: the file is empty; {valid_formats()}")
    if suffix not in (".json", ".jsonl") and char not in "[{":
        raise FormatError(
            f"{path}: unknown file type (suffix {suffix!r}, first character {char!r}); "
            f"{valid_formats()}"
        )
    records = peek_records(path)
    if not records:
        raise FormatError(f"{path}: no parseable JSON record in the first lines; {valid_formats()}")
    return sniff_records(records, str(path))

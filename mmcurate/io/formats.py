"""Registered format names and the record-based formats' codecs."""

from __future__ import annotations

from collections.abc import Mapping

from mmcurate.io import dj, llava
from mmcurate.io.records import Codec
from mmcurate.io.sharegpt import MESSAGES_CODEC, SHAREGPT

#: Record-based formats (JSON array or JSONL files) by name.
CODECS: Mapping[str, Codec] = {
    codec.name: codec for codec in (llava.CODEC, SHAREGPT, MESSAGES_CODEC, dj.CODEC)
}
#: Readable formats (``--format`` values). ``hf`` and ``parquet`` read both a ``save_to_disk``
#: folder and parquet file(s); detection names the one it saw.
FORMATS: tuple[str, ...] = (*CODECS, "hf", "parquet", "folder")
#: Writable formats.
WRITABLE_FORMATS: tuple[str, ...] = (*CODECS, "hf", "parquet")


def valid_formats(writable: bool = False) -> str:
    """A sentence listing the valid ``--format`` values, for error messages."""
    names = WRITABLE_FORMATS if writable else FORMATS
    return f"valid --format values{' for writing' if writable else ''}: {', '.join(names)}"

"""Dataset formats in and out.

Readable formats (``--format``): ``llava``, ``sharegpt``, ``messages``, ``dj`` (JSON array or
JSONL files), ``hf`` / ``parquet`` (``save_to_disk`` folders or parquet files, embedded image
bytes extracted), ``folder`` (images with optional captions). Every format but ``folder`` can
be written. See each format's module for its mapping to :class:`mmcurate.sample.Sample`.
"""

from __future__ import annotations

from mmcurate.io.detect import detect_format
from mmcurate.io.formats import FORMATS, WRITABLE_FORMATS
from mmcurate.io.media import check_media, resolve_media
from mmcurate.io.reader import LoadResult, read_dataset
from mmcurate.io.writer import iter_rows, iter_samples, write_dataset

__all__ = [
    "FORMATS",
    "WRITABLE_FORMATS",
    "LoadResult",
    "check_media",
    "detect_format",
    "iter_rows",
    "iter_samples",
    "read_dataset",
    "resolve_media",
    "write_dataset",
]

"""``write_dataset``: a canonical dataset -> any writable format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets

from mmcurate.errors import FormatError
from mmcurate.io.formats import CODECS, WRITABLE_FORMATS, valid_formats
from mmcurate.io.hf import write_hf, write_parquet
from mmcurate.io.jsonfile import write_records
from mmcurate.io.media import MEDIA_FIELDS, rebase_path
from mmcurate.io.records import Codec, Row, arrow_row, row_to_record
from mmcurate.sample import Sample


def iter_rows(dataset: datasets.Dataset, batch_size: int = 1000) -> Iterator[Row]:
    """The canonical rows of a dataset (``meta`` parsed), read in batches."""
    for batch in dataset.with_format(None).iter(batch_size=batch_size):
        keys = list(batch)
        for values in zip(*(batch[k] for k in keys), strict=True):
            yield arrow_row(dict(zip(keys, values, strict=True)))


def iter_samples(dataset: datasets.Dataset, batch_size: int = 1000) -> Iterator[Sample]:
    """The samples of a canonical dataset, read in batches (one pydantic object at a time)."""
    for row in iter_rows(dataset, batch_size):
        yield Sample.from_row(row)


def _records(
    dataset: datasets.Dataset, codec: Codec, root: Path, out_dir: Path
) -> Iterator[dict[str, Any]]:
    for row in iter_rows(dataset):
        for field in MEDIA_FIELDS:
            row[field] = [rebase_path(p, root, out_dir) for p in row[field]]
        yield row_to_record(codec, row)


def write_dataset(dataset: datasets.Dataset, path: str | Path, format: str, *, root: Path) -> Path:
    """Write a canonical dataset.

    Relative media paths are rewritten (``os.path.relpath``) so they stay valid from the
    output's folder; writing into the source folder keeps them unchanged.

    Args:
        dataset: A dataset in the canonical schema.
        path: Output file (``*.json`` -> JSON array, else JSONL, for the record formats;
            ``*.parquet`` for ``parquet``) or output folder (``hf``).
        format: One of :data:`WRITABLE_FORMATS`.
        root: The folder the dataset's relative media paths resolve against now.

    Returns:
        The path written.

    Raises:
        FormatError: ``format`` cannot be written.
    """
    out = Path(path)
    if format in CODECS:
        write_records(_records(dataset, CODECS[format], Path(root), out.parent), out)
    elif format == "hf":
        write_hf(dataset, out, Path(root))
    elif format == "parquet":
        write_parquet(dataset, out, Path(root))
    else:
        raise FormatError(f"cannot write format {format!r}; {valid_formats(writable=True)}")
    return out


__all__ = ["WRITABLE_FORMATS", "iter_rows", "iter_samples", "write_dataset"]

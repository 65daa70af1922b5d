"""Snapshots: a dataset state on disk that a stage reads and a checkpoint records.

A snapshot is a list of Arrow stream files (concatenated in order) plus an optional
``.npy`` of row indices into that concatenation (left by deduplicators and selectors, so
dropping rows never rewrites the data). Columns starting with ``__mmc_`` are internal
(e.g. dedup keys) and are hidden from readers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from datasets.arrow_writer import ArrowWriter

INTERNAL_PREFIX = "__mmc_"


@dataclass
class Snapshot:
    """Files + optional indices; see the module docstring."""

    files: list[str]
    indices: str | None = None

    def dataset(self, keep_internal: bool = False) -> datasets.Dataset:
        """The snapshot as a memory-mapped ``datasets.Dataset``."""
        parts = [datasets.Dataset.from_file(f) for f in self.files]
        ds = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
        if self.indices is not None:
            ds = ds.select(np.load(self.indices))
        if not keep_internal:
            internal = [c for c in ds.column_names if c.startswith(INTERNAL_PREFIX)]
            if internal:
                ds = ds.remove_columns(internal)
        return ds

    def num_rows(self) -> int:
        """Rows visible through the snapshot."""
        if self.indices is not None:
            return int(np.load(self.indices, mmap_mode="r").shape[0])
        return sum(datasets.Dataset.from_file(f).num_rows for f in self.files)

    def with_selection(self, rows: np.ndarray, path: Path) -> Snapshot:
        """A snapshot of ``rows`` (indices into this snapshot's visible rows)."""
        base = np.load(self.indices) if self.indices is not None else None
        chosen = rows if base is None else base[rows]
        np.save(path, chosen.astype(np.int64))
        return Snapshot(files=list(self.files), indices=str(path))

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``state.json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        """Inverse of :meth:`to_json`."""
        return cls(files=list(data["files"]), indices=data.get("indices"))


def column(ds: datasets.Dataset, name: str) -> list[Any]:
    """A whole column as a Python list (fast path through Arrow; honours indices)."""
    return ds.with_format("arrow")[name].to_pylist()


def write_arrow(ds: datasets.Dataset, path: Path) -> Path:
    """Write a dataset (honouring any indices mapping) to one Arrow stream file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    writer = ArrowWriter(features=ds.features, path=str(tmp))
    for batch in ds.with_format("arrow").iter(batch_size=10_000):
        writer.write_table(batch)
    writer.finalize()
    writer.close()
    tmp.replace(path)
    return path


def snapshot_of(ds: datasets.Dataset, out_dir: Path) -> Snapshot:
    """A snapshot for a loaded dataset: reuse its cache files when it has plain ones."""
    files = [f["filename"] for f in ds.cache_files]
    if files and ds._indices is None:  # noqa: SLF001 - datasets has no public accessor
        # Reuse the files only if they are exactly the dataset (no in-memory edits).
        on_disk = Snapshot(files=files).dataset(keep_internal=True)
        if on_disk.features == ds.features and on_disk.num_rows == ds.num_rows:
            return Snapshot(files=files)
    return Snapshot(files=[str(write_arrow(ds, out_dir / "data.arrow"))])

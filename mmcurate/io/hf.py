"""Hugging Face ``datasets`` data: ``save_to_disk`` folders and parquet files.

Reading: rows are read straight from Arrow (no image decoding). Tables with every canonical
column are read as canonical rows; other tables are read with the record format their columns
look like (LLaVA ``conversations`` + ``image``, ShareGPT, ``messages``, Data-Juicer ``text``).
Media values may be path strings, datasets ``Image`` / ``Audio`` values (``{"bytes", "path"}``)
or raw bytes: embedded bytes are written once to ``<media_dir>/<sha1><suffix>`` (suffix from
PIL for images) and referenced by absolute path.

Writing: ``hf`` = ``save_to_disk`` of the canonical schema (relative media paths rewritten to
stay valid from the output folder); ``parquet`` = one parquet file with the canonical columns
where ``images`` is a list of datasets ``Image()`` values holding the file bytes (``path`` keeps
the rewritten reference), so Hugging Face tools see real images. Videos and audios stay paths.
``stats`` / ``scores`` columns without any key are left out (parquet cannot store a struct
without fields); readers treat missing ``stats`` / ``scores`` as empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from mmcurate.errors import ErrorRecord, FormatError
from mmcurate.io.detect import is_saved_dataset, parquet_files, table_codec
from mmcurate.io.formats import CODECS, valid_formats
from mmcurate.io.media import MEDIA_FIELDS, extract_bytes, rebase_path, resolve_media
from mmcurate.io.records import Row, record_to_item
from mmcurate.sample import COLUMNS, declared_stats

_MEDIA_KEYS = ("image", "images", "video", "videos", "audio", "audios")
_BATCH_ROWS = 1000


def _media_value(value: Any, media_dir: Path) -> Any:
    if isinstance(value, list):
        return [_media_value(v, media_dir) for v in value]
    if isinstance(value, dict) and ("bytes" in value or "path" in value):
        data = value.get("bytes")
        if data:
            return extract_bytes(bytes(data), media_dir, value.get("path"))
        return value.get("path")
    if isinstance(value, bytes | bytearray):
        return extract_bytes(bytes(value), media_dir)
    return value


def _batch_items(
    batches: Iterable[pa.RecordBatch], codec: str, stem: str, file: str, media_dir: Path, first: int
) -> Iterator[Row | ErrorRecord]:
    index = first
    for batch in batches:
        for row in batch.to_pylist():
            for key in _MEDIA_KEYS:
                if key in row:
                    row[key] = _media_value(row[key], media_dir)
            yield record_to_item(CODECS[codec], row, f"{stem}:{index}", file, None)
            index += 1


@dataclass(frozen=True)
class DiskShard:
    """Rows ``[start, stop)`` of a ``save_to_disk`` folder."""

    path: str
    codec: str
    start: int
    stop: int
    media_dir: str

    def items(self) -> Iterator[Row | ErrorRecord]:
        """Canonical rows, or error records for rows that do not map."""
        table = datasets.load_from_disk(self.path).data.table
        batches = table.slice(self.start, self.stop - self.start).to_batches(_BATCH_ROWS)
        name = Path(self.path).name
        yield from _batch_items(
            batches, self.codec, name, self.path, Path(self.media_dir), self.start
        )


@dataclass(frozen=True)
class ParquetShard:
    """Whole parquet files."""

    files: tuple[str, ...]
    codec: str
    media_dir: str

    def items(self) -> Iterator[Row | ErrorRecord]:
        """Canonical rows, or error records for rows that do not map."""
        for file in self.files:
            batches = pq.ParquetFile(file).iter_batches(batch_size=_BATCH_ROWS)
            yield from _batch_items(
                batches, self.codec, Path(file).stem, file, Path(self.media_dir), 0
            )


def _declared_stats(feats: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(feats.get("stats"), dict):
        return declared_stats(datasets.Features(feats))
    return {}


@dataclass
class HfPlan:
    """How to read an ``hf`` / ``parquet`` source."""

    root: Path
    shards: list[DiskShard] | list[ParquetShard]
    stat_types: dict[str, Any]


def plan_hf(path: Path, media_dir: Path, parts: int = 1) -> HfPlan:
    """Shards for a ``save_to_disk`` folder or parquet file(s).

    Args:
        path: The folder or ``.parquet`` file.
        media_dir: Where embedded media bytes are extracted.
        parts: Wanted number of shards.

    Raises:
        FormatError: Not a dataset folder or parquet data, a ``DatasetDict`` folder, or
            columns that match no record format.
    """
    if (path / "dataset_dict.json").is_file():
        splits = sorted(p.name for p in path.iterdir() if p.is_dir())
        raise FormatError(
            f"{path}: holds a DatasetDict with splits {splits}; pass one split's folder, "
            f"e.g. {path / splits[0]}"
            if splits
            else f"{path}: an empty DatasetDict folder"
        )
    files = [] if (path / "state.json").is_file() else parquet_files(path)
    if not files and is_saved_dataset(path):
        ds = datasets.load_from_disk(str(path))
        codec = table_codec(ds.column_names, str(path))
        n, k = len(ds), max(1, min(parts, len(ds) // 10_000))
        bounds = [n * i // k for i in range(k + 1)]
        disk = [
            DiskShard(str(path), codec, a, b, str(media_dir))
            for a, b in zip(bounds, bounds[1:], strict=False)
        ]
        return HfPlan(path, disk, _declared_stats(ds.features))
    if not files:
        raise FormatError(
            f"{path}: not a save_to_disk folder (no state.json / dataset_info.json) and no "
            f".parquet files; {valid_formats()}"
        )
    schema = pq.read_schema(files[0])
    codec = table_codec(schema.names, str(files[0]))
    k = max(1, min(parts, len(files)))
    groups = [
        tuple(str(f) for f in files[len(files) * i // k : len(files) * (i + 1) // k])
        for i in range(k)
    ]
    root = path if path.is_dir() else path.parent
    stat_types = _declared_stats(datasets.Features.from_arrow_schema(schema))
    return HfPlan(root, [ParquetShard(g, codec, str(media_dir)) for g in groups], stat_types)


def canonical_columns(dataset: datasets.Dataset) -> datasets.Dataset:
    """The dataset restricted to the canonical columns, in order.

    Raises:
        ValueError: A canonical column is missing.
    """
    missing = [c for c in COLUMNS if c not in dataset.column_names]
    if missing:
        raise ValueError(f"dataset lacks canonical columns {missing}")
    return dataset.select_columns(list(COLUMNS))


def _rebase_batch(batch: dict[str, list[Any]], src: str, dst: str) -> dict[str, list[Any]]:
    src_root, dst_dir = Path(src), Path(dst)
    return {
        f: [[rebase_path(p, src_root, dst_dir) for p in paths] for paths in batch[f]]
        for f in MEDIA_FIELDS
    }


def _file_bytes(target: Path | str) -> bytes | None:
    if isinstance(target, Path) and target.is_file():
        return target.read_bytes()
    return None


def _embed_batch(batch: dict[str, list[Any]], src: str, dst: str) -> dict[str, list[Any]]:
    out = _rebase_batch(batch, src, dst)
    out["images"] = [
        [
            {"bytes": _file_bytes(resolve_media(Path(src), p)), "path": rebased}
            for p, rebased in zip(paths, new, strict=True)
        ]
        for paths, new in zip(batch["images"], out["images"], strict=True)
    ]
    return out


def _same_dir(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def write_hf(dataset: datasets.Dataset, out: Path, root: Path) -> None:
    """``save_to_disk`` the canonical columns into the folder ``out``."""
    ds = canonical_columns(dataset)
    if not _same_dir(root, out):
        ds = ds.map(
            _rebase_batch,
            batched=True,
            features=ds.features,
            fn_kwargs={"src": str(root), "dst": str(out)},
            load_from_cache_file=False,
            desc="Rewriting media paths",
        )
    ds.save_to_disk(str(out))


def write_parquet(dataset: datasets.Dataset, out: Path, root: Path) -> None:
    """Write one parquet file with the canonical columns and images embedded as bytes."""
    ds = canonical_columns(dataset)
    feats = ds.features.copy()
    feats["images"] = datasets.List(datasets.Image())
    ds = ds.map(
        _embed_batch,
        batched=True,
        batch_size=64,
        features=feats,
        fn_kwargs={"src": str(root), "dst": str(out.parent)},
        load_from_cache_file=False,
        desc="Embedding images",
    )
    # Parquet cannot store a struct without fields: leave out stats/scores when no key exists.
    empty = [c for c in ("stats", "scores") if not feats[c]]
    if empty:
        ds = ds.remove_columns(empty)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        ds.to_parquet(str(tmp))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)

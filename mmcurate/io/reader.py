"""``read_dataset``: any supported input -> a canonical ``datasets.Dataset`` + error records."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from mmcurate.errors import ErrorRecord, FormatError
from mmcurate.io.build import build_dataset
from mmcurate.io.detect import detect_format
from mmcurate.io.folder import folder_shards
from mmcurate.io.formats import CODECS, FORMATS, valid_formats
from mmcurate.io.hf import plan_hf
from mmcurate.io.jsonfile import json_shards
from mmcurate.io.media import ImageInfo

#: Environment variable naming the default cache folder (else ``~/.cache/mmcurate``).
CACHE_ENV = "MMCURATE_CACHE_DIR"  # shared with the model request cache (docs/models.md)


@dataclass
class LoadResult:
    """A loaded dataset.

    Attributes:
        dataset: The samples that loaded, in the canonical schema (Arrow-backed).
        root: The folder relative media paths resolve against.
        format: The format that was read.
        errors: One ``op="load"`` record per input record that was left out.
        n_input: Input records seen (``len(dataset) + len(errors)``).
        image_info: Header facts of the images the media check opened, by absolute path
            (mtime_ns, bytes, displayed width, height); empty without the check.
    """

    dataset: datasets.Dataset
    root: Path
    format: str
    errors: list[ErrorRecord]
    n_input: int
    image_info: dict[str, ImageInfo] = field(default_factory=dict)


def default_cache_dir() -> Path:
    """``$MMCURATE_CACHE_DIR`` or ``~/.cache/mmcurate`` (model requests are cached there too;
    ``MMCURATE_CACHE`` is the model cache's on/off switch)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mmcurate")


def load_workdir(cache_dir: Path | None, path: Path) -> Path:
    """A fresh folder for one load's staged Arrow shards (in ``cache_dir``, else a temp dir)."""
    if cache_dir is not None:
        return Path(cache_dir) / "loads" / f"{path.stem}-{uuid.uuid4().hex[:12]}"
    tmp = Path(tempfile.mkdtemp(prefix="mmcurate-load-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return tmp


def plan_shards(
    path: Path, fmt: str, num_proc: int, media_dir: Path
) -> tuple[Path, list[Any], dict[str, Any]]:
    """Cut an input into shard tasks for any executor: (media root, shard tasks, stat types)."""
    if fmt in CODECS:
        if not path.is_file():
            raise FormatError(f"--format {fmt} reads a .json/.jsonl file; {path} is not a file")
        return path.parent, list(json_shards(path, fmt, num_proc)), {}
    if fmt == "folder":
        if not path.is_dir():
            raise FormatError(f"--format folder reads a folder of images; {path} is not a folder")
        return path, list(folder_shards(path, num_proc)), {}
    plan = plan_hf(path, media_dir, num_proc)
    return plan.root, list(plan.shards), plan.stat_types


def read_dataset(
    path: str | Path,
    format: str | None = None,
    *,
    media_check: bool = True,
    cache_dir: Path | None = None,
    num_proc: int = 1,
    media_dir: Path | None = None,
) -> LoadResult:
    """Read a dataset in any supported format into the canonical schema.

    Records that do not map to the schema, malformed JSONL lines and (with ``media_check``)
    samples whose media are missing, empty or not readable images become error records; the
    rest load. Records are streamed into Arrow files in chunks.

    Args:
        path: A JSON/JSONL file, a ``save_to_disk`` folder, parquet file(s) or an image folder.
        format: One of :data:`FORMATS`; detected from ``path`` when ``None``.
        media_check: Check each sample's local media cheaply (exists, non-empty, image
            header readable).
        cache_dir: Folder for the Arrow files (``<cache_dir>/loads/<stem>-<uid>/``) and, by
            default, for extracted media (``<cache_dir>/media``). When ``None``, the Arrow
            files go to a temporary folder removed at exit.
        num_proc: Processes to read with (JSONL byte ranges, parquet files, folder parts).
        media_dir: Where embedded media bytes (``hf`` / ``parquet``) are extracted; default
            ``<cache_dir>/media``, else ``$MMCURATE_CACHE_DIR/media`` or
            ``~/.cache/mmcurate/media``.

    Raises:
        FormatError: Unknown format, undetectable input, or a file unreadable as a whole.
    """
    path = Path(os.path.abspath(path))
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; {valid_formats()}")
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    media = Path(media_dir or (Path(cache_dir) if cache_dir else default_cache_dir()) / "media")
    root, shards, stat_types = plan_shards(path, fmt, num_proc, media)
    built = build_dataset(
        shards,
        load_workdir(cache_dir, path),
        root,
        media_check=media_check,
        num_proc=num_proc,
        stat_types=stat_types,
    )
    return LoadResult(built.dataset, root, fmt, built.errors, built.n_input, built.image_info)

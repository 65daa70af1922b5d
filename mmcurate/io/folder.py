"""A plain folder of images with optional captions (read only).

Images: ``*.jpg``, ``*.jpeg``, ``*.png``, ``*.webp``, ``*.bmp``, ``*.gif``, ``*.tif(f)``, found
recursively (hidden files and folders are skipped), in sorted order. Each image is one sample:

- ``id``: ``<folder name>:<relative path>`` (stable when images are added or removed);
- ``images``: ``[<relative path>]``;
- with a caption: ``messages = [user "<image>\\nDescribe the image.", assistant <caption>]`` and
  ``meta["caption_source"]`` = the caption's file (relative to the folder);
- without one: ``messages = [user "<image>"]``.

Captions come from (first match wins) a ``metadata.jsonl`` / ``captions.jsonl`` /
``metadata.csv`` in the image's folder or above it, with ``file_name`` relative to that file's
folder and the caption in ``text`` or ``caption`` (the Hugging Face imagefolder convention;
other columns go into ``meta``), or from ``<stem>.txt`` beside the image.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmcurate.errors import ErrorRecord, FormatError
from mmcurate.io.records import Row
from mmcurate.sample import IMAGE_TOKEN

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
METADATA_FILES = ("metadata.jsonl", "captions.jsonl", "metadata.csv")
CAPTION_PROMPT = f"{IMAGE_TOKEN}\nDescribe the image."
_CAPTION_KEYS = ("text", "caption")


@dataclass(frozen=True)
class FolderEntry:
    """One image and its caption, if any."""

    relpath: str
    caption: str | None = None
    caption_source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _walk(root: Path) -> Iterator[tuple[str, list[str]]]:
    """``(relative folder, sorted file names)`` for every non-hidden folder, sorted."""
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(current, root)
        yield ("" if rel == "." else rel), sorted(f for f in files if not f.startswith("."))


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES


def has_images(root: Path) -> bool:
    """Whether a folder holds at least one image file (recursively)."""
    return any(any(map(_is_image, names)) for _, names in _walk(root))


def _metadata_rows(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)
        return
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise FormatError(f"{path}:{lineno}: invalid JSON ({err})") from err
            if not isinstance(row, dict):
                raise FormatError(f"{path}:{lineno}: expected a JSON object")
            yield row


def _load_captions(
    root: Path, rel_dir: str, names: list[str], into: dict[str, FolderEntry]
) -> None:
    for meta_name in (n for n in METADATA_FILES if n in names):
        source = os.path.join(rel_dir, meta_name)
        for row in _metadata_rows(root / source):
            file_name = row.get("file_name")
            if not isinstance(file_name, str):
                raise FormatError(f"{root / source}: a row has no 'file_name': {row}")
            rel = os.path.normpath(os.path.join(rel_dir, file_name))
            caption = next((row[k] for k in _CAPTION_KEYS if isinstance(row.get(k), str)), None)
            extra = {k: v for k, v in row.items() if k not in ("file_name", *_CAPTION_KEYS)}
            into.setdefault(
                rel, FolderEntry(rel, caption or None, source if caption else None, extra)
            )


def folder_entries(root: Path) -> list[FolderEntry]:
    """Every image under ``root`` with its caption (see the module docstring).

    Raises:
        FormatError: A metadata file is malformed.
    """
    from_metadata: dict[str, FolderEntry] = {}
    entries: list[FolderEntry] = []
    for rel_dir, names in _walk(root):
        _load_captions(root, rel_dir, names, from_metadata)
        present = set(names)
        for name in filter(_is_image, names):
            rel = os.path.join(rel_dir, name)
            entry = from_metadata.get(rel, FolderEntry(rel))
            txt = os.path.splitext(name)[0] + ".txt"
            if entry.caption is None and txt in present:
                caption = (root / rel_dir / txt).read_text(encoding="utf-8").strip()
                if caption:
                    entry = FolderEntry(rel, caption, os.path.join(rel_dir, txt), entry.extra)
            entries.append(entry)
    return entries


def entry_to_row(folder_name: str, entry: FolderEntry) -> Row:
    """The canonical row for one image of the folder."""
    meta = dict(entry.extra)
    if entry.caption is None:
        messages = [{"role": "user", "content": IMAGE_TOKEN}]
    else:
        meta["caption_source"] = entry.caption_source
        messages = [
            {"role": "user", "content": CAPTION_PROMPT},
            {"role": "assistant", "content": entry.caption},
        ]
    return {
        "id": f"{folder_name}:{entry.relpath}",
        "images": [entry.relpath],
        "videos": [],
        "audios": [],
        "messages": messages,
        "meta": meta,
        "stats": {},
        "scores": {},
        "styles": [],
    }


@dataclass(frozen=True)
class FolderShard:
    """A run of a folder's images."""

    folder_name: str
    entries: tuple[FolderEntry, ...]

    def items(self) -> Iterator[Row | ErrorRecord]:
        """One row per image."""
        for entry in self.entries:
            yield entry_to_row(self.folder_name, entry)


def folder_shards(root: Path, parts: int = 1) -> list[FolderShard]:
    """Split a folder's images into up to ``parts`` shards, in order."""
    entries = folder_entries(root)
    parts = max(1, min(parts, len(entries) // 1000))
    bounds = [len(entries) * k // parts for k in range(parts + 1)]
    return [
        FolderShard(root.name, tuple(entries[a:b]))
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]

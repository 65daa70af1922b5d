"""Helpers for the io tests: small media trees, JSON files, sample comparison."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PIL import Image

from mmcurate.io import LoadResult, resolve_media
from mmcurate.io.writer import iter_samples
from mmcurate.sample import Sample

#: Media files made by :func:`make_media` (relative to its root).
JPG, PNG, VIDEO, AUDIO = "img/a.jpg", "img/b.png", "vid/clip.mp4", "aud/a.mp3"


def make_media(root: Path) -> Path:
    """A folder with two real images (JPEG, PNG) and stand-in video/audio files."""
    (root / "img").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), (200, 30, 30)).save(root / JPG, "JPEG")
    Image.new("RGB", (10, 20), (30, 200, 30)).save(root / PNG, "PNG")
    for rel in (VIDEO, AUDIO):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a clip")
    return root


def write_json(path: Path, records: list[Any]) -> Path:
    """Write records as a JSON array (``*.json``) or JSONL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        lines = (json.dumps(r, ensure_ascii=False) for r in records)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def read_json(path: Path) -> list[Any]:
    """Records of a JSON array or JSONL file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def samples(result: LoadResult) -> list[Sample]:
    """The samples of a load result."""
    return list(iter_samples(result.dataset))


def resolved(items: list[Sample], root: Path) -> list[Sample]:
    """Samples with media made absolute, so datasets under different roots compare."""

    def absolute(paths: list[str]) -> list[str]:
        return [str(resolve_media(root, p)) for p in paths]

    return [
        s.model_copy(update={f: absolute(getattr(s, f)) for f in ("images", "videos", "audios")})
        for s in items
    ]


def without(items: list[Sample], *fields: str, meta_keys: tuple[str, ...] = ()) -> list[Sample]:
    """Samples with some fields reset to empty and some meta keys removed."""
    out = []
    for s in items:
        update: dict[str, Any] = {f: type(getattr(s, f))() for f in fields}
        if meta_keys:
            update["meta"] = {k: v for k, v in s.meta.items() if k not in meta_keys}
        out.append(s.model_copy(update=update))
    return out


def relpath(path: Path, start: Path) -> str:
    """``os.path.relpath`` for paths."""
    return os.path.relpath(path, start)

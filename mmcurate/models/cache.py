"""The on-disk request cache: a re-run or ``--resume`` never pays twice for one model call.

An entry is keyed by a sha256 over (backend, model, prompt id+version, the canonical inputs
— text, image *content* hashes, video content hashes with their sampling settings, request
meta —, the sampling parameters and the output JSON schema). Only successful outputs are
stored (validated ones when a schema was given). The store is one SQLite file in WAL mode:
safe for threads (one connection each) and for processes sharing the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from mmcurate.models.types import GenerationConfig, ImagePart, ImageSource, Request, VideoPart

_SCHEMA_VERSION = 1
_file_memo: dict[tuple[str, int, int], str] = {}
_memo_lock = threading.Lock()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, memoised on (path, mtime, size)."""
    st = path.stat()
    memo_key = (str(path), st.st_mtime_ns, st.st_size)
    with _memo_lock:
        hit = _file_memo.get(memo_key)
    if hit is not None:
        return hit
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _memo_lock:
        if len(_file_memo) > 200_000:
            _file_memo.clear()
        _file_memo[memo_key] = digest
    return digest


def image_digest(image: ImageSource) -> str:
    """A content identity for an image: pixels for PIL, bytes for files, the URL otherwise."""
    if isinstance(image, Image.Image):
        h = hashlib.sha256(f"{image.mode}:{image.size}".encode())
        h.update(image.tobytes())
        return "pil:" + h.hexdigest()
    text = str(image)
    if text.startswith("data:"):
        return "data:" + hashlib.sha256(text.encode()).hexdigest()
    if text.startswith(("http://", "https://")):
        return "url:" + text
    path = Path(text.removeprefix("file://"))
    return "file:" + file_digest(path)


def canonical_request(request: Request, video_fps: float, video_max_frames: int) -> Any:
    """A JSON-able view of a request's inputs with media replaced by content hashes."""
    msgs = []
    for m in request.messages:
        parts: list[Any] = []
        for p in m.parts():
            if isinstance(p, ImagePart):
                parts.append({"image": image_digest(p.image)})
            elif isinstance(p, VideoPart):
                if isinstance(p.video, list):
                    src: Any = [image_digest(f) for f in p.video]
                else:
                    src = "file:" + file_digest(Path(str(p.video).removeprefix("file://")))
                parts.append(
                    {
                        "video": src,
                        "fps": p.fps or video_fps,
                        "max_frames": p.max_frames or video_max_frames,
                    }
                )
            else:
                parts.append({"text": p.text})
        msgs.append({"role": m.role, "content": parts})
    return {"messages": msgs, "meta": request.meta}


def request_key(
    request: Request,
    *,
    backend: str,
    model: str | None,
    config: GenerationConfig,
    schema: dict[str, Any] | None,
    video_fps: float,
    video_max_frames: int,
) -> str:
    """The cache key of one request (hex sha256)."""
    payload = {
        "v": _SCHEMA_VERSION,
        "backend": backend,
        "model": model,
        "prompt": [request.prompt_id, request.prompt_version],
        "inputs": canonical_request(request, video_fps, video_max_frames),
        "sampling": config.sampling_key(),
        "schema": schema,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class CachedOutput:
    """A stored model output."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass(frozen=True)
class CacheStats:
    """Hit and miss counts of one :class:`RequestCache` since it was opened."""

    hits: int
    misses: int

    def as_dict(self) -> dict[str, int]:
        """``{"hits": ..., "misses": ...}`` for run summaries."""
        return {"hits": self.hits, "misses": self.misses}


class RequestCache:
    """SQLite-backed map from request key to model output, with hit/miss counters."""

    def __init__(self, folder: Path) -> None:
        """Open (creating when missing) ``<folder>/requests.sqlite``.

        Args:
            folder: The cache folder.
        """
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "requests.sqlite"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._conn().execute(
            "CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, text TEXT NOT NULL, "
            "prompt_tokens INTEGER, completion_tokens INTEGER, model TEXT, created REAL)"
        )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def get(self, key: str) -> CachedOutput | None:
        """The stored output for ``key`` (counted as a hit), or ``None`` (a miss)."""
        row = (
            self._conn()
            .execute(
                "SELECT text, prompt_tokens, completion_tokens FROM requests WHERE key = ?", (key,)
            )
            .fetchone()
        )
        with self._lock:
            if row is None:
                self._misses += 1
            else:
                self._hits += 1
        return None if row is None else CachedOutput(row[0], row[1], row[2])

    def put(
        self,
        key: str,
        text: str,
        *,
        model: str | None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """Store an output (an existing entry for the key is replaced)."""
        self._conn().execute(
            "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?)",
            (key, text, prompt_tokens, completion_tokens, model, time.time()),
        )

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    @property
    def stats(self) -> CacheStats:
        """Hits and misses counted by this instance."""
        with self._lock:
            return CacheStats(self._hits, self._misses)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

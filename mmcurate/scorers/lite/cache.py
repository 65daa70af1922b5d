"""A small on-disk key-value cache (SQLite) shared by the worker processes of a run.

Lite perception caches two things under the run's work dir (``<work_dir>/cache/``):
per-image results (pixel statistics, text-region ratio and OCR) keyed by the image's content
hash, and text embeddings keyed by a hash of the text. A re-run over the same images or
texts then skips decoding, OCR and the text encoder.

SQLite in WAL mode lets several worker processes read and write the same file; writes are
batched per op batch. A connection is opened lazily in the process that uses it (never
inherited through ``fork``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
_CHUNK = 500  # SQLite's default limit on bound parameters is 999 (older builds)


class DiskCache:
    """Key -> bytes store in one SQLite file.

    Args:
        path: The database file (created with its folder when missing). ``None`` keeps
            entries in memory for this process only.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._memory: dict[str, bytes] = {}
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def _connection(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            conn.commit()
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored values of those ``keys`` that are present."""
        wanted = list(dict.fromkeys(keys))
        with self._lock:
            conn = self._connection()
            if conn is None:
                return {k: self._memory[k] for k in wanted if k in self._memory}
            out: dict[str, bytes] = {}
            for i in range(0, len(wanted), _CHUNK):
                part = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(part))
                rows = conn.execute(f"SELECT key, value FROM kv WHERE key IN ({marks})", part)
                out.update({k: bytes(v) for k, v in rows})
            return out

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store ``items`` (existing keys are overwritten)."""
        if not items:
            return
        with self._lock:
            conn = self._connection()
            if conn is None:
                self._memory.update(items)
                return
            with conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", list(items.items())
                )

    def __len__(self) -> int:
        with self._lock:
            conn = self._connection()
            if conn is None:
                return len(self._memory)
            return int(conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0])

    def close(self) -> None:
        """Close this process's connection (reopened on next use)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

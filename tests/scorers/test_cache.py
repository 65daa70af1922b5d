"""The SQLite key-value cache shared by worker processes."""

from __future__ import annotations

import multiprocessing as mp
import pickle
from pathlib import Path

from mmcurate.scorers.lite.cache import DiskCache


def _writer(path: Path, start: int) -> None:
    cache = DiskCache(path)
    for i in range(start, start + 200, 20):
        cache.put_many({f"k{j}": str(j).encode() for j in range(i, i + 20)})


def test_put_get_and_overwrite(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "sub" / "c.sqlite")
    cache.put_many({"a": b"1", "b": b"2"})
    cache.put_many({"a": b"3"})
    assert cache.get_many(["a", "b", "missing"]) == {"a": b"3", "b": b"2"}
    assert len(cache) == 2
    assert cache.get_many([f"x{i}" for i in range(2000)]) == {}  # chunked IN (...) queries


def test_memory_only_without_a_path() -> None:
    cache = DiskCache(None)
    cache.put_many({"a": b"1"})
    assert cache.get_many(["a"]) == {"a": b"1"} and len(cache) == 1


def test_pickles_without_its_connection(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c.sqlite")
    cache.put_many({"a": b"1"})
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.get_many(["a"]) == {"a": b"1"}


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    DiskCache(path).put_many({"seed": b"0"})  # parent opens it first (fork inherits nothing)
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, s)) for s in (0, 200)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = DiskCache(path)
    assert len(cache) == 401
    assert cache.get_many(["k0", "k399"]) == {"k0": b"0", "k399": b"399"}

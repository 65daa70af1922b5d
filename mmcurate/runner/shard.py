"""Running a chain of row-level ops over one shard of a snapshot (in a worker process).

The chain is the run of consecutive mappers/filters of a stage, optionally ending with a
deduplicator whose keys are computed here and grouped by the parent. Each shard writes
its kept rows to an Arrow file and its side records (errors, dropped, changed) to jsonl,
then a ``.done`` marker: a shard with a marker is complete and is skipped on resume.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
from datasets.arrow_writer import ArrowWriter

from mmcurate.errors import ErrorRecord
from mmcurate.ops.base import Deduplicator, Filter, Mapper, Op, OpContext, SampleError
from mmcurate.runner.snapshot import INTERNAL_PREFIX, Snapshot
from mmcurate.sample import Sample

KEY_COLUMN = INTERNAL_PREFIX + "key"
_TRACED_FIELDS = ("images", "videos", "audios", "messages", "meta")


@dataclass
class OpCounter:
    """Per-op accounting inside one shard (summed by the parent)."""

    n_in: int = 0
    dropped: int = 0
    errored: int = 0
    seconds: float = 0.0
    changed: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    def add(self, other: OpCounter) -> None:
        """Accumulate another counter into this one."""
        self.n_in += other.n_in
        self.dropped += other.dropped
        self.errored += other.errored
        self.seconds += other.seconds
        self.changed += other.changed
        for k, v in other.metrics.items():
            self.metrics[k] = self.metrics.get(k, 0.0) + v


@dataclass
class ShardTask:
    """Everything a worker needs to process one shard."""

    snapshot: Snapshot
    start: int
    stop: int
    ops: list[Op]
    op_indices: list[int]
    ctx: OpContext
    features: datasets.Features
    out_dir: Path
    shard: int
    trace_num: int
    batch_size: int = 256


@dataclass
class ShardResult:
    """What a finished shard reports."""

    shard: int
    n_out: int
    counters: list[OpCounter] = field(default_factory=list)


def shard_paths(out_dir: Path, shard: int) -> dict[str, Path]:
    """Files written by one shard."""
    stem = out_dir / f"shard-{shard:05d}"
    return {
        "data": stem.with_suffix(".arrow"),
        "errors": stem.with_suffix(".errors.jsonl"),
        "dropped": stem.with_suffix(".dropped.jsonl"),
        "changed": stem.with_suffix(".changed.jsonl"),
        "done": stem.with_suffix(".done.json"),
    }


def read_done(out_dir: Path, shard: int) -> ShardResult | None:
    """The result of a completed shard, or ``None`` if it has not completed."""
    done = shard_paths(out_dir, shard)["done"]
    if not done.exists():
        return None
    data = json.loads(done.read_text())
    return ShardResult(
        shard=data["shard"],
        n_out=data["n_out"],
        counters=[OpCounter(**c) for c in data["counters"]],
    )


def error_text(err: BaseException) -> str:
    """A one-line reason for an exception raised by an op on a sample."""
    if isinstance(err, SampleError):
        return str(err)
    return f"{type(err).__name__}: {err}"


def _safe_batch(
    batch_fn: Callable[[Sequence[Sample]], list[Any]],
    one_fn: Callable[[Sample], Any],
    samples: Sequence[Sample],
) -> list[Any]:
    """Call a batch method; if it raises as a whole, isolate per sample."""
    try:
        out = batch_fn(samples)
        if len(out) != len(samples):
            raise RuntimeError(f"batch method returned {len(out)} results for {len(samples)}")
        return out
    except Exception:  # noqa: BLE001 - fall back to per-sample isolation
        results: list[Any] = []
        for s in samples:
            try:
                results.append(one_fn(s))
            except Exception as err:  # noqa: BLE001
                results.append(err)
        return results


def _changes(before: Sample, after: Sample) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name in _TRACED_FIELDS:
        a, b = getattr(before, name), getattr(after, name)
        if a != b:
            dump = (lambda v: [m.model_dump() for m in v]) if name == "messages" else (lambda v: v)
            diff[name] = {"before": dump(a), "after": dump(b)}
    return diff


class _Side:
    """Buffered jsonl side outputs of a shard."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        self.lines: dict[str, list[str]] = {"errors": [], "dropped": [], "changed": []}

    def add(self, kind: str, record: dict[str, Any]) -> None:
        self.lines[kind].append(json.dumps(record, ensure_ascii=False, default=str))

    def flush(self) -> None:
        for kind, lines in self.lines.items():
            tmp = self.paths[kind].with_suffix(".tmp")
            tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            tmp.replace(self.paths[kind])


def run_shard(task: ShardTask, on_rows: Callable[[int], None] | None = None) -> ShardResult:
    """Process one shard; idempotent (rewrites the shard's files) and atomic via ``.done``."""
    paths = shard_paths(task.out_dir, task.shard)
    for op in task.ops:
        op.bind(task.ctx)
        op.ensure_setup()
    counters = [OpCounter() for _ in task.ops]
    metrics_before = [op.metrics() for op in task.ops]
    side = _Side(paths)
    has_key = isinstance(task.ops[-1], Deduplicator) if task.ops else False
    schema = task.features.arrow_schema
    tmp_data = paths["data"].with_suffix(".arrow.tmp")
    writer = ArrowWriter(features=task.features, path=str(tmp_data))
    n_out = 0
    ds = task.snapshot.dataset().select(range(task.start, task.stop))
    for table in ds.with_format("arrow").iter(batch_size=task.batch_size):
        rows = table.to_pylist()
        samples = [Sample.from_row(r) for r in rows]
        alive = list(range(len(samples)))
        keys: dict[int, str] = {}
        for k, op in enumerate(task.ops):
            alive = _apply(op, task.op_indices[k], samples, alive, keys, counters[k], side, task)
        out_rows = [samples[i].to_row() for i in alive]
        if has_key:
            for i, r in zip(alive, out_rows, strict=True):
                r[KEY_COLUMN] = keys[i]
        if out_rows:
            writer.write_table(pa.Table.from_pylist(out_rows, schema=schema))
        n_out += len(out_rows)
        if on_rows is not None:
            on_rows(len(rows))
    writer.finalize()
    writer.close()
    for op, counter, before in zip(task.ops, counters, metrics_before, strict=True):
        counter.metrics = {k: v - before.get(k, 0.0) for k, v in op.metrics().items()}
    tmp_data.replace(paths["data"])
    side.flush()
    result = ShardResult(shard=task.shard, n_out=n_out, counters=counters)
    done_tmp = paths["done"].with_suffix(".tmp")
    done_tmp.write_text(
        json.dumps(
            {"shard": task.shard, "n_out": n_out, "counters": [c.__dict__ for c in counters]}
        )
    )
    done_tmp.replace(paths["done"])
    return result


def _apply(
    op: Op,
    op_index: int,
    samples: list[Sample],
    alive: list[int],
    keys: dict[int, str],
    counter: OpCounter,
    side: _Side,
    task: ShardTask,
) -> list[int]:
    """Apply one op to the alive samples of a batch; returns the still-alive indices."""
    t0 = time.perf_counter()
    batch = [samples[i] for i in alive]
    counter.n_in += len(batch)
    status = dict.fromkeys(alive, 0)

    def error(i: int, err: BaseException) -> None:
        status[i] = 2
        counter.errored += 1
        rec = ErrorRecord(sample_id=samples[i].id, op=op.name, reason=error_text(err))
        side.add("errors", {**rec.model_dump(), "op_index": op_index})

    if isinstance(op, Mapper):
        outs = _safe_batch(op.process_batch, op.process, batch)
        for i, out in zip(alive, outs, strict=True):
            if isinstance(out, BaseException):
                error(i, out)
            elif out is not samples[i] and out != samples[i]:
                counter.changed += 1
                if counter.changed <= task.trace_num:
                    rec = {"id": samples[i].id, "op": op.name, "op_index": op_index}
                    side.add("changed", rec | _changes(samples[i], out))
                out.stats = {}  # stats described the old content
                samples[i] = out
    elif isinstance(op, Filter):
        stats_list = _safe_batch(op.compute_stats_batch, op.compute_stats, batch)
        for i, st in zip(alive, stats_list, strict=True):
            if isinstance(st, BaseException):
                error(i, st)
                continue
            samples[i].stats.update({op.stat_key(k): v for k, v in st.items()})
            try:
                reason = op.drop_reason(st)
            except Exception as err:  # noqa: BLE001
                error(i, err)
                continue
            if reason is not None:
                status[i] = 1
                counter.dropped += 1
                stats = {op.stat_key(k): v for k, v in st.items()}
                side.add(
                    "dropped",
                    {
                        "id": samples[i].id,
                        "op": op.name,
                        "op_index": op_index,
                        "reason": reason,
                        "stats": stats,
                    },
                )
    elif isinstance(op, Deduplicator):
        for i in alive:
            try:
                keys[i] = op.hash_key(samples[i])
            except Exception as err:  # noqa: BLE001
                error(i, err)
    else:  # pragma: no cover - the planner only puts row ops in a shard chain
        raise TypeError(f"{op.name} is not a row-level op")
    counter.seconds += time.perf_counter() - t0
    return [i for i in alive if status[i] == 0]

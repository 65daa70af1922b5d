"""Streaming samples into a canonical Arrow dataset.

A source is split into shards (picklable objects with an ``items()`` generator of samples and
error records). Each shard is read in one pass: samples are media-checked and written to an
Arrow file in chunks, so memory holds one chunk, not the dataset. Shards run in parallel
processes when ``num_proc > 1``.

Stat and score keys are only known at the end (any record may add one), so shard files hold
``stats`` / ``scores`` as JSON text; the final step turns them into the typed struct columns of
:func:`mmcurate.sample.features` (one batched pass, skipped when no record has any).
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import datasets
import pyarrow as pa
from datasets.arrow_writer import ArrowWriter

from mmcurate.errors import ErrorRecord
from mmcurate.io.media import ImageInfo, MediaChecker
from mmcurate.io.records import Row
from mmcurate.sample import COLUMNS, dump_meta, features

CHUNK_ROWS = 2000

_STAGING = datasets.Features(
    {**features(), "stats": datasets.Value("string"), "scores": datasets.Value("string")}
)
_STAGING_SCHEMA = _STAGING.arrow_schema
# Widening order for a stat seen with several types; anything mixed with str becomes str.
_NUMERIC_RANK: dict[Any, int] = {bool: 0, int: 1, float: 2}
_NONE: Any = type(None)


class Shard(Protocol):
    """A part of a source that one process reads."""

    def items(self) -> Iterator[Row | ErrorRecord]:
        """Canonical rows, or error records for input records that could not be mapped."""
        ...


@dataclass
class ShardResult:
    """What reading one shard produced."""

    path: str
    n_input: int = 0
    errors: list[ErrorRecord] = field(default_factory=list)
    stat_types: dict[str, Any] = field(default_factory=dict)
    score_keys: set[str] = field(default_factory=set)
    image_info: dict[str, ImageInfo] = field(default_factory=dict)


def stat_type(value: Any) -> Any:
    """The stat type of a value: ``bool``/``int``/``float``/``str`` or ``list[...]`` of one.

    An empty list is ``list[NoneType]`` (element type still unknown).
    """
    if isinstance(value, list):
        element: Any = _NONE
        for item in value:
            element = widen(element, type(item))
        return list[element]
    return type(value)


def widen(a: Any, b: Any) -> Any:
    """The stat type that holds values of both types (numbers widen, lists element-wise,
    anything else becomes ``str``)."""
    if a == b or b is _NONE:
        return a
    if a is _NONE:
        return b
    a_list, b_list = getattr(a, "__origin__", None) is list, getattr(b, "__origin__", None) is list
    if a_list and b_list:
        return list[widen(a.__args__[0], b.__args__[0])]  # type: ignore[misc]
    if a in _NUMERIC_RANK and b in _NUMERIC_RANK:
        return a if _NUMERIC_RANK[a] > _NUMERIC_RANK[b] else b
    return str


def _settle(kind: Any) -> Any:
    """A declarable stat type: lists never seen with an element hold floats."""
    if getattr(kind, "__origin__", None) is list:
        return list[_settle(kind.__args__[0])]  # type: ignore[misc]
    return float if kind is _NONE else kind


def _stage(row: Row) -> Row:
    row["meta"] = dump_meta(row["meta"])
    row["stats"] = json.dumps(row["stats"]) if row["stats"] else ""
    row["scores"] = json.dumps(row["scores"]) if row["scores"] else ""
    return row


def read_shard(shard: Shard, out: str, root: Path, media_check: bool) -> ShardResult:
    """Read one shard into the Arrow file ``out``.

    Args:
        shard: The shard.
        out: Path of the Arrow file to write.
        root: The folder relative media paths resolve against.
        media_check: Check each sample's media (see :class:`MediaChecker`).
    """
    result = ShardResult(out)
    checker = MediaChecker(root) if media_check else None
    rows: list[dict[str, Any]] = []
    with ArrowWriter(features=_STAGING, path=out) as writer:
        for item in shard.items():
            result.n_input += 1
            if isinstance(item, ErrorRecord):
                result.errors.append(item)
                continue
            problem = checker.problem(item) if checker else None
            if problem is not None:
                reason, file = problem
                result.errors.append(
                    ErrorRecord(sample_id=item["id"], op="load", reason=reason, file=file)
                )
                continue
            for key, value in item["stats"].items():
                known = result.stat_types.get(key)
                kind = stat_type(value)
                result.stat_types[key] = kind if known is None else widen(known, kind)
            result.score_keys.update(item["scores"])
            rows.append(_stage(item))
            if len(rows) >= CHUNK_ROWS:
                writer.write_table(pa.Table.from_pylist(rows, schema=_STAGING_SCHEMA))
                rows.clear()
        writer.write_table(pa.Table.from_pylist(rows, schema=_STAGING_SCHEMA))
        writer.finalize()
    if checker is not None:
        result.image_info = checker.image_info
    return result


def _read_shard_args(args: tuple[Shard, str, Path, bool]) -> ShardResult:
    return read_shard(*args)


def _cast(value: Any, to: Any) -> Any:
    if value is None or type(value) is to:
        return value
    if getattr(to, "__origin__", None) is list:
        return [_cast(v, to.__args__[0]) for v in value]
    return json.dumps(value) if to is str and not isinstance(value, str) else to(value)


def _decode_columns(
    batch: Mapping[str, list[Any]], stat_types: Mapping[str, Any], score_keys: list[str]
) -> dict[str, list[Any]]:
    stats, scores = [], []
    for raw_stats, raw_scores in zip(batch["stats"], batch["scores"], strict=True):
        s = json.loads(raw_stats) if raw_stats else {}
        stats.append({k: _cast(s.get(k), t) for k, t in stat_types.items()})
        c = json.loads(raw_scores) if raw_scores else {}
        scores.append({k: c.get(k) for k in score_keys})
    return {"stats": stats, "scores": scores}


def finalize_load(
    staged: datasets.Dataset, stat_types: dict[str, Any], score_keys: set[str], num_proc: int
) -> datasets.Dataset:
    """Turn the staged shards of a load into the typed canonical dataset (any executor)."""
    stat_types = {k: _settle(t) for k, t in sorted(stat_types.items())}
    final = features(stat_types, score_keys)
    if stat_types or score_keys:
        return staged.map(
            _decode_columns,
            batched=True,
            batch_size=CHUNK_ROWS,
            features=final,
            fn_kwargs={
                "stat_types": dict(sorted(stat_types.items())),
                "score_keys": sorted(score_keys),
            },
            num_proc=num_proc if num_proc > 1 and len(staged) > 10 * CHUNK_ROWS else None,
            load_from_cache_file=False,
            desc="Typing stats/scores",
        )
    empty = pa.array([{}] * len(staged), type=pa.struct([]))
    ds = staged.remove_columns(["stats", "scores"])
    ds = ds.add_column("stats", empty, feature=final["stats"])
    ds = ds.add_column("scores", empty, feature=final["scores"])
    return ds.select_columns(list(COLUMNS))


@dataclass
class Built:
    """A finished load: the dataset plus what was left out of it."""

    dataset: datasets.Dataset
    errors: list[ErrorRecord]
    n_input: int
    image_info: dict[str, ImageInfo] = field(default_factory=dict)


def build_dataset(
    shards: list[Shard],
    workdir: Path,
    root: Path,
    *,
    media_check: bool,
    num_proc: int = 1,
    stat_types: Mapping[str, Any] | None = None,
) -> Built:
    """Read shards into one canonical dataset backed by Arrow files in ``workdir``.

    Args:
        shards: The source's shards, in order (the dataset keeps this order).
        workdir: A fresh folder for the Arrow files.
        root: The folder relative media paths resolve against.
        media_check: Check each sample's media; failures become error records.
        num_proc: Processes to read shards with.
        stat_types: Stat keys and types declared by the source (kept even if all null).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (s, str(workdir / f"shard-{i:05d}.arrow"), root, media_check) for i, s in enumerate(shards)
    ]
    if num_proc > 1 and len(jobs) > 1:
        context = multiprocessing.get_context()
        with ProcessPoolExecutor(min(num_proc, len(jobs)), mp_context=context) as pool:
            results = list(pool.map(_read_shard_args, jobs))
    else:
        results = [_read_shard_args(job) for job in jobs]
    types = dict(stat_types or {})
    scores: set[str] = set()
    for r in results:
        for key, kind in r.stat_types.items():
            types[key] = widen(types[key], kind) if key in types else kind
        scores |= r.score_keys
    parts = [datasets.Dataset.from_file(r.path) for r in results]
    staged = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    return Built(
        dataset=finalize_load(staged, types, scores, num_proc),
        errors=[e for r in results for e in r.errors],
        n_input=sum(r.n_input for r in results),
        image_info={k: v for r in results for k, v in r.image_info.items()},
    )

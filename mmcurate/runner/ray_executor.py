"""The Ray executor: the local executor's plan, checkpoints and traces, run on Ray Data.

What runs where:

- **Load** runs ``mmcurate.io``'s shard reader (parse, map to the canonical sample, media
  check) as one Ray task per input part (JSONL byte ranges, parquet files, folder parts)
  and writes the load snapshot (Arrow files) into the work dir; the driver merges the
  small per-part results (errors, stat types) and types the stats columns.
- **Row stages** (the fused chain of mappers/filters [+ a deduplicator's key]) are a Ray
  Data ``map_batches`` over the stage's shard descriptors (fixed row ranges, the same as
  the local executor's, so resume and output order do not depend on the cluster). Each
  call runs :func:`mmcurate.runner.shard.run_shard` on one shard: it reads the shard's rows
  from the snapshot, applies the ops and writes kept rows (Arrow), side records (errors,
  dropped, changed) and a ``.done`` marker into the stage dir. Stateless chains run as Ray
  tasks (``TaskPoolStrategy``); chains with an op that loads something in ``setup()`` (a
  model) or asks for a GPU run in an actor pool (``ActorPoolStrategy``), ``setup()`` once
  per actor. ``num_cpus`` / ``num_gpus`` / ``memory`` come from the ops' ``resources``.
  Tasks are retried by Ray (``max_retries`` with ``retry_exceptions``; actor tasks via
  ``DataContext.actor_task_retry_on_errors``); a shard rewrites all its files, so a retry
  is idempotent.
- **Deduplicators** with the default exact-key grouping are a global Ray Data step: a map
  reads only ``(key, row index, id)`` from each shard file, ``repartition(keys=[key])``
  hash-shuffles them so equal keys meet in one block, and a per-block pass keeps the
  first row index of each key. Only the duplicates (index, id, id kept) reach the driver.
  Below :data:`DEDUP_DRIVER_MAX_ROWS` rows the gathered keys are grouped on the driver
  instead (same result, no shuffle start-up). Near-duplicate grouping (ops overriding
  ``group``) gathers only the key column.
- **Selectors** get a dataset built from only the columns a selector reads (gathered by a
  Ray Data map over the shard files, everything but the conversation text unless a token
  budget needs it: a heuristic, with a fallback to every column); the choice itself runs
  on the driver (it is a global sort/k-center over score columns and embeddings).
- **Export** of line-based formats (jsonl) is written in parallel by Ray tasks, one part
  per range of output rows, then concatenated in order; other formats are written by the
  driver.

Files move through the work dir, so every Ray worker must see the same filesystem (true
for a local Ray; on a multi-node cluster mount the work dir, the input and the media on a
shared filesystem). Output content and order are identical to the local executor's.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import datasets
import numpy as np
import pyarrow as pa

from mmcurate.errors import ConfigError, FormatError, MissingDependencyError
from mmcurate.io import write_dataset
from mmcurate.io.formats import CODECS
from mmcurate.io.reader import LoadResult
from mmcurate.ops.base import Deduplicator, Op, Selector
from mmcurate.recipes.schema import Recipe
from mmcurate.runner.local import Duplicates, LocalExecutor, RunOptions, _State
from mmcurate.runner.shard import KEY_COLUMN, ShardResult, ShardTask, read_done, run_shard
from mmcurate.runner.snapshot import Snapshot

#: Test hook: a marker file path. The first Ray shard task that finds it missing creates
#: it and fails (``path`` raises an exception after writing the shard's files;
#: ``path:exit`` kills the worker process before), so Ray's retry can be observed.
FAIL_ONCE_ENV = "MMCURATE_RAY_FAIL_ONCE"
#: Retries of a failed shard task (application exceptions and worker deaths).
MAX_RETRIES = 3
#: Up to this many rows, dedup keys are gathered (by parallel Ray tasks, keys and ids
#: only) and grouped on the driver; above it they are hash-shuffled across the cluster.
#: A shuffle has a fixed cost of seconds (its actors), which small runs need not pay.
DEDUP_DRIVER_MAX_ROWS = 2_000_000
#: Rows per parallel export part.
EXPORT_PART_ROWS = 20_000

log = logging.getLogger(__name__)


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the Data library is part of the extra
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"executor 'ray' needs Ray Data ({err}): pip install 'mmcurate[ray]'"
        ) from None
    return ray


def _map_batches(ds: Any, fn: Any, **kwargs: Any) -> Any:
    """``ds.map_batches`` passing retry settings as ``ray_remote_args`` (Ray has no named
    parameter for them yet; its deprecation notice for that route is silenced here)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
        return ds.map_batches(fn, **kwargs)


def chain_resources(ops: list[Op]) -> dict[str, Any]:
    """Ray ``map_batches`` resources for a fused chain of row ops.

    The chain runs as one task per shard, so it needs the most any of its ops needs.
    """
    cpus = max((op.resources.cpus for op in ops), default=1.0)
    gpus = max((op.resources.gpus for op in ops), default=0.0)
    mems = [op.resources.memory_gb for op in ops if op.resources.memory_gb]
    out: dict[str, Any] = {"num_cpus": cpus}
    if gpus:
        out["num_gpus"] = gpus
    if mems:
        out["memory"] = int(max(mems) * 2**30)
    return out


def needs_actor(ops: list[Op]) -> bool:
    """Whether a chain should run in an actor pool (an op loads state in ``setup()`` or
    asks for a GPU), so that state is loaded once per actor, not once per task."""
    return any(type(op).setup is not Op.setup or op.resources.gpus > 0 for op in ops)


def selection_columns(op: Selector, columns: list[str]) -> list[str]:
    """The columns gathered for a selector (heuristic).

    Every column but ``messages`` (the conversation text, the bulk of a row), which is
    added for a token budget or a tokenizer (they count text). A selector that reads the
    text otherwise fails on the missing column and the executor gathers every column.
    """
    budget = getattr(op.params, "budget", None)
    kind = getattr(budget, "kind", None)
    wants_text = (kind is not None and kind not in ("count", "ratio")) or bool(
        getattr(op.params, "tokenizer", None)
    )
    return [c for c in columns if c != "messages" or wants_text]


# ----------------------------------------------------------------------- Ray functions
def _maybe_fail(marker: str | None, when: str) -> None:
    """The test hook of :data:`FAIL_ONCE_ENV`."""
    if not marker:
        return
    path, _, mode = marker.partition(":")
    mode = mode or "raise"
    if (mode == "exit") != (when == "before"):
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, f"{os.getpid()}\n".encode())
    os.close(fd)
    if mode == "exit":
        os._exit(1)
    raise RuntimeError(f"injected failure ({FAIL_ONCE_ENV})")


def _run_shards(
    batch: dict[str, np.ndarray], tasks: dict[int, ShardTask], fail: str | None
) -> dict[str, np.ndarray]:
    done = []
    for k in batch["shard"].tolist():
        _maybe_fail(fail, "before")
        run_shard(tasks[int(k)])
        _maybe_fail(fail, "after")
        done.append(int(k))
    return {"shard": np.asarray(done, dtype=np.int64)}


class _ShardActor:
    """Actor-pool UDF: the chain's ops are set up once per actor, then run per shard."""

    def __init__(self, tasks: dict[int, ShardTask], fail: str | None) -> None:
        self.tasks = tasks
        self.fail = fail
        first = next(iter(tasks.values()))
        for op in first.ops:  # tasks share their op objects (pickled together)
            op.bind(first.ctx)
            op.ensure_setup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _run_shards(batch, self.tasks, self.fail)


def _read_keys(batch: dict[str, np.ndarray]) -> pa.Table:
    tables = []
    for f, off in zip(batch["file"].tolist(), batch["offset"].tolist(), strict=True):
        t = datasets.Dataset.from_file(f).data.table
        tables.append(
            pa.table(
                {
                    "key": t.column(KEY_COLUMN),
                    "idx": pa.array(np.arange(off, off + t.num_rows, dtype=np.int64)),
                    "id": t.column("id"),
                }
            )
        )
    return pa.concat_tables(tables)


def _duplicates_in_block(df: Any) -> Any:
    """Rows whose key was seen at a smaller row index, with the id of that first row.

    A block holds every row of each of its keys (hash-partitioned by key), so this is
    exact for the whole dataset.
    """
    import pandas as pd

    if len(df) == 0:
        return pd.DataFrame({"idx": [], "id": [], "dup_of": []})
    first = df.groupby("key")["idx"].transform("min")
    dup = df[df["idx"] != first]
    id_of = pd.Series(df["id"].to_numpy(), index=df["idx"].to_numpy())
    return pd.DataFrame(
        {
            "idx": dup["idx"].to_numpy(),
            "id": dup["id"].to_numpy(),
            "dup_of": id_of.loc[first[dup.index].to_numpy()].to_numpy(),
        }
    )


def _gather_columns(batch: dict[str, np.ndarray], columns: list[str]) -> pa.Table:
    tables = []
    for f, rows, pos in zip(
        batch["file"].tolist(), batch["rows"].tolist(), batch["pos"].tolist(), strict=True
    ):
        t = datasets.Dataset.from_file(f).data.table.select(columns)
        t = t.take(pa.array(np.asarray(rows, dtype=np.int64)))
        t = t.append_column("__pos", pa.array(np.asarray(pos, dtype=np.int64)))
        tables.append(t.replace_schema_metadata(None))
    return pa.concat_tables(tables)


def _read_parts(
    batch: dict[str, np.ndarray], shards: list[Any], workdir: str, root: str, media_check: bool
) -> dict[str, Any]:
    from mmcurate.io.build import read_shard

    out = []
    for k in batch["part"].tolist():
        path = str(Path(workdir) / f"shard-{int(k):05d}.arrow")
        result = read_shard(shards[int(k)], path, Path(root), media_check)
        out.append(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return {"part": batch["part"], "result": np.asarray(out, dtype=object)}


def _write_part(
    batch: dict[str, np.ndarray], snapshot: dict[str, Any], fmt: str, root: str
) -> dict[str, np.ndarray]:
    ds = Snapshot.from_json(snapshot).dataset()
    for path, a, b in zip(
        batch["path"].tolist(), batch["start"].tolist(), batch["stop"].tolist(), strict=True
    ):
        write_dataset(ds.select(range(a, b)), Path(path), fmt, root=Path(root))
    return {"path": batch["path"]}


# --------------------------------------------------------------------------- executor
class RayExecutor(LocalExecutor):
    """Runs a :class:`Recipe` with ``executor: ray``; see the module docstring.

    Args:
        recipe: The recipe (``executor: ray``).
        options: Run options (resume, work dir, progress, shard size).
        ray_address: Cluster to join (``auto`` or ``HOST:PORT``); overrides the recipe's
            ``ray_address``. Without one, a local Ray with ``np`` CPUs is started and
            shut down at the end. An already initialised Ray (``ray.init`` by the caller)
            is used as it is and left running.
    """

    executor_name: ClassVar[str] = "ray"

    def __init__(
        self, recipe: Recipe, options: RunOptions | None = None, ray_address: str | None = None
    ) -> None:
        super().__init__(recipe, options)
        self.ray_address = ray_address or recipe.ray_address
        self._owns_ray = False
        self._fail = os.environ.get(FAIL_ONCE_ENV) or None
        #: See :data:`DEDUP_DRIVER_MAX_ROWS` (tests set 0 to force the shuffle).
        self.dedup_driver_max_rows = DEDUP_DRIVER_MAX_ROWS

    # ---------------------------------------------------------------------- lifecycle
    def _start(self) -> None:
        ray = _import_ray()
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.ERROR,
            }
            if self.ray_address:
                kwargs["address"] = self.ray_address
            else:
                kwargs["num_cpus"] = self.recipe.np
            try:
                ray.init(**kwargs)
            except (ConnectionError, ValueError, RuntimeError) as err:
                where = self.ray_address or "a local Ray"
                raise ConfigError(f"cannot start or join Ray ({where}): {err}") from None
            self._owns_ray = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.actor_task_retry_on_errors = True
        self.progress.note(f"ray: {int(ray.cluster_resources().get('CPU', 0))} CPUs in cluster")

    def _stop(self) -> None:
        if self._owns_ray:
            _import_ray().shutdown()
            self._owns_ray = False

    @property
    def workers(self) -> int:
        """Parallel shard tasks or actors (the recipe's ``np``)."""
        return self.recipe.np

    # ---------------------------------------------------------------------------- load
    def _read(self, dataset_path: Path, load_dir: Path) -> LoadResult:
        """``read_dataset`` with its shard reads (parse, map, media check) as Ray tasks.

        The input is split as the local reader splits it (JSONL byte ranges, parquet
        files, folder parts), ``4 x np`` parts; the small merge (stat types, errors,
        typing of stats/scores) stays on the driver.
        """
        from mmcurate.io import build, reader
        from mmcurate.io.detect import detect_format
        from mmcurate.io.formats import FORMATS, valid_formats

        ray = _import_ray()
        path = Path(os.path.abspath(dataset_path))
        fmt = self.recipe.format or detect_format(path)
        if fmt not in FORMATS:
            raise FormatError(f"unknown format {fmt!r}; {valid_formats()}")
        cache = load_dir / "cache"
        root, shards, stat_types = reader.plan_shards(path, fmt, 4 * self.workers, cache / "media")
        workdir = reader.load_workdir(cache, path)
        workdir.mkdir(parents=True, exist_ok=True)
        if not shards:
            return reader.read_dataset(
                path, fmt, media_check=self.recipe.media_check, cache_dir=cache
            )
        rows = _map_batches(
            ray.data.from_items([{"part": k} for k in range(len(shards))]),
            _read_parts,
            fn_kwargs={
                "shards": shards,
                "workdir": str(workdir),
                "root": str(root),
                "media_check": self.recipe.media_check,
            },
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.TaskPoolStrategy(size=min(self.workers, len(shards))),
            max_retries=MAX_RETRIES,
            retry_exceptions=True,
        ).take_all()
        results = [pickle.loads(r["result"]) for r in sorted(rows, key=lambda r: int(r["part"]))]
        types = dict(stat_types or {})
        scores: set[str] = set()
        for r in results:
            for key, kind in r.stat_types.items():
                types[key] = build.widen(types[key], kind) if key in types else kind
            scores |= r.score_keys
        parts = [datasets.Dataset.from_file(r.path) for r in results]
        staged = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
        return LoadResult(
            dataset=build.finalize_load(staged, types, scores, self.workers),
            root=root,
            format=fmt,
            errors=[e for r in results for e in r.errors],
            n_input=sum(r.n_input for r in results),
            image_info={k: v for r in results for k, v in r.image_info.items()},
        )

    # ---------------------------------------------------------------------- row stages
    def _execute(
        self, tasks: list[ShardTask], advance: Callable[[int], None]
    ) -> Iterator[ShardResult]:
        if not tasks:
            return
        ray = _import_ray()
        by_shard = {t.shard: t for t in tasks}
        ops = tasks[0].ops
        size = {t.shard: t.stop - t.start for t in tasks}
        items = ray.data.from_items(
            [{"shard": t.shard} for t in tasks], override_num_blocks=len(tasks)
        )
        res = chain_resources(ops)
        workers = min(self.workers, len(tasks))
        if needs_actor(ops):
            out = _map_batches(
                items,
                _ShardActor,
                fn_constructor_kwargs={"tasks": by_shard, "fail": self._fail},
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(min_size=1, max_size=workers),
                max_task_retries=MAX_RETRIES,
                **res,
            )
        else:
            out = _map_batches(
                items,
                _run_shards,
                fn_kwargs={"tasks": by_shard, "fail": self._fail},
                batch_size=1,
                compute=ray.data.TaskPoolStrategy(size=workers),
                max_retries=MAX_RETRIES,
                retry_exceptions=True,
                **res,
            )
        stage_dir = tasks[0].out_dir
        for row in out.iter_rows():
            k = int(row["shard"])
            result = read_done(stage_dir, k)
            if result is None:  # pragma: no cover - run_shard writes the marker last
                raise RuntimeError(f"shard {k} of {stage_dir} finished without its marker")
            advance(size[k])
            yield result

    # -------------------------------------------------------------------------- dedup
    def _find_duplicates(self, op: Deduplicator, snapshot: Snapshot) -> Duplicates:
        if type(op).group is not Deduplicator.group or snapshot.indices is not None:
            return super()._find_duplicates(op, snapshot)  # near-dup grouping: keys only
        ray = _import_ray()
        sizes = [datasets.Dataset.from_file(f).num_rows for f in snapshot.files]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = int(offsets[-1])
        items = [
            {"file": f, "offset": int(offsets[k])} for k, f in enumerate(snapshot.files) if sizes[k]
        ]
        if not items:
            return Duplicates(n, np.zeros(0, dtype=np.int64), [], [])
        keys = _map_batches(
            ray.data.from_items(items, override_num_blocks=len(items)),
            _read_keys,
            batch_size=1,
            batch_format="numpy",
            max_retries=MAX_RETRIES,
            retry_exceptions=True,
        )
        if n <= self.dedup_driver_max_rows:
            dups = _duplicates_in_block(pa.concat_tables(ray.get(keys.to_arrow_refs())).to_pandas())
        else:
            parts = max(1, min(self.workers, len(items)))
            dups = (
                keys.repartition(parts, keys=["key"])
                .map_batches(_duplicates_in_block, batch_size=None, batch_format="pandas")
                .to_pandas()
            )
        dups = dups.sort_values("idx", kind="stable")
        return Duplicates(
            n_rows=n,
            rows=dups["idx"].to_numpy(dtype=np.int64),
            ids=[str(x) for x in dups["id"]],
            dup_of_ids=[str(x) for x in dups["dup_of"]],
        )

    # ------------------------------------------------------------------------ selectors
    def _select_rows(
        self, op: Selector, snapshot: Snapshot, root: Path
    ) -> tuple[np.ndarray, list[str]]:
        from mmcurate.ops.base import DatasetView

        full = Snapshot(files=snapshot.files).dataset()
        cols = selection_columns(op, list(full.column_names))
        try:
            ds = self._gather(snapshot, full.features, cols)
            chosen = op.select(DatasetView(ds, self._context(root)))
        except KeyError:
            if cols == list(full.column_names):
                raise
            self.progress.note(f"{op.name}: needs more columns; gathering every column")
            ds = self._gather(snapshot, full.features, list(full.column_names))
            chosen = op.select(DatasetView(ds, self._context(root)))
        ids = ds.with_format("arrow")["id"].to_pylist()
        return np.asarray(list(chosen), dtype=np.int64), ids

    def _gather(
        self, snapshot: Snapshot, feats: datasets.Features, cols: list[str]
    ) -> datasets.Dataset:
        """The snapshot's visible rows, only ``cols``, gathered by a Ray Data map."""
        ray = _import_ray()
        sizes = [datasets.Dataset.from_file(f).num_rows for f in snapshot.files]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        visible = (
            np.load(snapshot.indices)
            if snapshot.indices is not None
            else np.arange(offsets[-1], dtype=np.int64)
        )
        file_of = np.searchsorted(offsets, visible, side="right") - 1
        items = []
        for k, f in enumerate(snapshot.files):
            pos = np.flatnonzero(file_of == k)
            if len(pos):
                rows = visible[pos] - offsets[k]
                items.append({"file": f, "rows": rows.tolist(), "pos": pos.tolist()})
        sub = datasets.Features({c: feats[c] for c in cols})
        if not items:
            return datasets.Dataset.from_dict({c: [] for c in cols}, features=sub)
        table = _map_batches(
            ray.data.from_items(items, override_num_blocks=len(items)),
            _gather_columns,
            fn_kwargs={"columns": cols},
            batch_size=1,
            batch_format="numpy",
            max_retries=MAX_RETRIES,
            retry_exceptions=True,
        ).to_arrow_refs()
        parts = ray.get(table)
        whole = pa.concat_tables(parts).sort_by("__pos").drop(["__pos"])
        info = datasets.DatasetInfo(features=sub)
        return datasets.Dataset(whole.cast(sub.arrow_schema), info=info)

    # --------------------------------------------------------------------------- export
    def _export(self, final: datasets.Dataset, root: Path, state: _State) -> Path:
        export = Path(self.recipe.export_path)
        fmt = self.recipe.export_format or state.data["load"]["format"]
        n = len(final)
        if fmt not in CODECS or export.suffix.lower() == ".json" or n <= EXPORT_PART_ROWS:
            return super()._export(final, root, state)
        ray = _import_ray()
        stages = state.data["stages"]
        last = stages[max(stages, key=int)] if stages else state.data["load"]
        snap = last["snapshot"]
        export.parent.mkdir(parents=True, exist_ok=True)
        parts: list[dict[str, Any]] = []
        for k, a in enumerate(range(0, n, EXPORT_PART_ROWS)):
            path = export.with_name(f".{export.name}.part{k:05d}{export.suffix}")
            parts.append({"path": str(path), "start": a, "stop": min(a + EXPORT_PART_ROWS, n)})
        with self.progress.spinner(f"writing {n} samples to {export} ({fmt}, {len(parts)} parts)"):
            _map_batches(
                ray.data.from_items(parts, override_num_blocks=len(parts)),
                _write_part,
                fn_kwargs={"snapshot": snap, "fmt": fmt, "root": str(root)},
                batch_size=1,
                max_retries=MAX_RETRIES,
                retry_exceptions=True,
                compute=ray.data.TaskPoolStrategy(size=min(self.workers, len(parts))),
            ).materialize()
            tmp = export.with_name(f".{export.name}.tmp")
            with tmp.open("wb") as out:
                for part in parts:
                    with open(part["path"], "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            tmp.replace(export)
            for part in parts:
                Path(part["path"]).unlink()
        return export

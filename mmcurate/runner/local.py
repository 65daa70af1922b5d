"""The local executor: a recipe over ``datasets``/Arrow with worker processes.

Plan: the ops are cut into stages. A *row stage* is a run of consecutive mappers/filters,
optionally ending with a deduplicator (its keys are computed in the same pass, then grouped
over the whole dataset). A *global stage* is a selector. Row stages run shard by shard
(fixed row ranges, independent of ``np``) in a process pool, so shared work per sample
happens in one pass and output order never depends on ``np``.

Checkpoints: every finished shard is committed atomically; every finished stage is
recorded in ``state.json`` with a fingerprint of the input and the recipe up to that stage.
``resume=True`` reuses every stage and shard whose fingerprint still matches.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import pickle
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import datasets
import numpy as np

from mmcurate import __version__
from mmcurate.errors import ConfigError, ErrorRecord
from mmcurate.io import read_dataset, write_dataset
from mmcurate.io.reader import LoadResult
from mmcurate.ops import registry
from mmcurate.ops.base import DatasetView, Deduplicator, Op, OpContext, Selector
from mmcurate.recipes.schema import Recipe
from mmcurate.runner.progress import Progress
from mmcurate.runner.shard import (
    KEY_COLUMN,
    OpCounter,
    ShardResult,
    ShardTask,
    read_done,
    run_shard,
    shard_paths,
)
from mmcurate.runner.snapshot import Snapshot, column, snapshot_of
from mmcurate.runner.summary import OpSummary, RunSummary
from mmcurate.sample import declared_stats, features

STATE_VERSION = 1


@dataclass
class Stage:
    """A planned stage: op indices (into the recipe's process list) and its kind."""

    index: int
    op_indices: list[int]
    kind: str  # "row" or "global"

    def label(self, ops: list[Op]) -> str:
        """``+``-joined op names."""
        return "+".join(ops[i].name for i in self.op_indices)


def plan_stages(ops: list[Op]) -> list[Stage]:
    """Cut ops into row stages (mappers/filters [+ one deduplicator]) and global stages."""
    stages: list[Stage] = []
    current: list[int] = []

    def close() -> None:
        if current:
            stages.append(Stage(len(stages) + 1, list(current), "row"))
            current.clear()

    for i, op in enumerate(ops):
        if isinstance(op, Selector):
            close()
            stages.append(Stage(len(stages) + 1, [i], "global"))
        else:
            current.append(i)
            if isinstance(op, Deduplicator):
                close()
    close()
    return stages


def shard_ranges(n: int, shard_rows: int | None = None) -> list[tuple[int, int]]:
    """Fixed contiguous row ranges (independent of ``np``, so resumes line up)."""
    if n == 0:
        return [(0, 0)]
    size = shard_rows or min(50_000, max(1_000, -(-n // 16)))
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def stage_shard_rows(ops: list[Op], option: int | None = None) -> int | None:
    """Rows per shard for a stage: the run's ``shard_rows`` option when set, else the
    smallest ``resources.shard_rows`` hint of the stage's ops (slow ops), else ``None``
    (the default sizes of :func:`shard_ranges`)."""
    if option:
        return option
    hints = [op.resources.shard_rows for op in ops if op.resources.shard_rows]
    return min(hints) if hints else None


def limit_worker_threads(threads: int) -> None:
    """Worker-process initializer: give each of the ``np`` workers its share of the cores
    for native thread pools (torch, OpenMP, BLAS), unless the user set ``OMP_NUM_THREADS``.

    Without it every worker's torch starts one thread per core: with 2 workers on 2 cores,
    a first lite-scoring pass took 61 s instead of 44 s (bench/RESULTS.md).
    """
    if "OMP_NUM_THREADS" in os.environ:
        return
    value = str(threads)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = value
    torch = sys.modules.get("torch")
    if torch is not None:  # imported before the fork: env vars come too late for it
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads)


def _input_fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    entries = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in entries[:10_000]:
        st = p.stat()
        h.update(f"{p}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class RunOptions:
    """Options of one run that are not part of the recipe."""

    resume: bool = False
    work_dir: Path | None = None
    show_progress: bool = True
    shard_rows: int | None = None
    #: Test hook: called with the stage index after each stage's checkpoint is recorded.
    on_stage_done: Callable[[int], None] | None = None


@dataclass
class _State:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    def load(self) -> None:
        if self.path.exists():
            self.data = json.loads(self.path.read_text())

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str))
        tmp.replace(self.path)


class LocalExecutor:
    """Runs a :class:`Recipe` on this machine. See the module docstring.

    Subclasses (the Ray executor) reuse the plan, checkpoints, traces and accounting and
    override the hooks that decide *where* work runs: :meth:`_start`/:meth:`_stop`,
    :meth:`_execute` (row-stage shards), :meth:`_find_duplicates` (dedup grouping),
    :meth:`_select_rows` (selectors) and :meth:`_export`.
    """

    #: The ``executor`` value of the recipes this class runs.
    executor_name: ClassVar[str] = "local"

    def __init__(self, recipe: Recipe, options: RunOptions | None = None) -> None:
        self.recipe = recipe
        self.options = options or RunOptions()
        self.ops = [registry.create(s.name, s.params) for s in recipe.process]
        self.stages = plan_stages(self.ops)
        export = Path(recipe.export_path)
        default_wd = export.parent / f"{export.name.split('.')[0]}.work"
        self.work_dir = Path(self.options.work_dir or recipe.work_dir or default_wd)
        self.progress = Progress(enabled=self.options.show_progress)
        self._media_info: Path | None = None

    # ----------------------------------------------------------------------------- run
    def run(self) -> RunSummary:
        """Execute the recipe; returns (and writes) the run summary."""
        if self.recipe.executor != self.executor_name:
            raise ConfigError(
                f"recipe executor '{self.recipe.executor}' cannot run on the "
                f"{self.executor_name} executor; use mmcurate.runner.make_executor"
            )
        dataset_path = Path(self.recipe.dataset_path)
        if not dataset_path.exists():
            raise ConfigError(f"dataset_path not found: {dataset_path}")
        t_start = time.perf_counter()
        self._start()
        try:
            return self._run(dataset_path, t_start)
        finally:
            self._stop()

    def _start(self) -> None:
        """Acquire the executor's resources (nothing for the local executor)."""

    def _stop(self) -> None:
        """Release what :meth:`_start` acquired."""

    def _run(self, dataset_path: Path, t_start: float) -> RunSummary:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        state = _State(self.work_dir / "state.json")
        if self.options.resume:
            state.load()
        elif (self.work_dir / "state.json").exists():
            self._clear_work_dir()
        fp_input = _digest(
            _input_fingerprint(dataset_path),
            self.recipe.format,
            self.recipe.media_check,
            __version__,
            STATE_VERSION,
        )
        if state.data.get("input_fingerprint") != fp_input:
            if state.data:
                self.progress.note("input or load settings changed: starting from scratch")
            self._clear_work_dir()
            state.data = {"input_fingerprint": fp_input, "stages": {}}
        snapshot, root, load_summary = self._load(state, dataset_path)
        info = state.data["load"].get("media_info")
        self._media_info = Path(info) if info else None
        op_summaries = [
            OpSummary(index=i, name=op.name, kind=op.kind) for i, op in enumerate(self.ops)
        ]
        fp = fp_input
        for stage in self.stages:
            specs = [self.recipe.process[i].model_dump() for i in stage.op_indices]
            rows = stage_shard_rows(
                [self.ops[i] for i in stage.op_indices], self.options.shard_rows
            )
            fp = _digest(fp, specs, rows, self.recipe.text_view)
            recorded = state.data["stages"].get(str(stage.index))
            if recorded and recorded["fingerprint"] == fp:
                snapshot = Snapshot.from_json(recorded["snapshot"])
                counters = [OpCounter(**c) for c in recorded["counters"]]
                self.progress.note(f"stage {stage.index} ({stage.label(self.ops)}): resumed")
            else:
                for later in [k for k in state.data["stages"] if int(k) >= stage.index]:
                    del state.data["stages"][later]
                stage_dir = self.work_dir / "stages" / f"{stage.index:02d}-{fp}"
                stage_dir.mkdir(parents=True, exist_ok=True)
                if stage.kind == "row":
                    snapshot, counters = self._run_row_stage(stage, snapshot, root, stage_dir)
                else:
                    snapshot, counters = self._run_global_stage(stage, snapshot, root, stage_dir)
                state.data["stages"][str(stage.index)] = {
                    "fingerprint": fp,
                    "ops": [self.ops[i].name for i in stage.op_indices],
                    "dir": str(stage_dir),
                    "snapshot": snapshot.to_json(),
                    "counters": [c.__dict__ for c in counters],
                }
                state.save()
            for i, c in zip(stage.op_indices, counters, strict=True):
                op_summaries[i].absorb(c)
            if self.options.on_stage_done is not None:
                self.options.on_stage_done(stage.index)
        final = snapshot.dataset()
        export_path = self._export(final, root, state)
        self._merge_side_files(state)
        summary = RunSummary(
            recipe=self.recipe.to_dict(),
            work_dir=str(self.work_dir),
            export_path=str(export_path),
            load=load_summary,
            ops=op_summaries,
            kept=len(final),
            seconds=time.perf_counter() - t_start,
            ignored_keys=sorted(self.recipe.ignored),
        )
        summary.write(self.work_dir / "summary.json")
        return summary

    # ---------------------------------------------------------------------------- load
    def _load(self, state: _State, dataset_path: Path) -> tuple[Snapshot, Path, OpSummary]:
        load = state.data.get("load")
        if load:
            self.progress.note("load: resumed from checkpoint")
            summary = OpSummary(
                index=-1,
                name="load",
                kind="load",
                n_in=load["n_input"],
                errored=load["n_errors"],
                seconds=load["seconds"],
            )
            return Snapshot.from_json(load["snapshot"]), Path(load["root"]), summary
        t0 = time.perf_counter()
        load_dir = self.work_dir / "stages" / "00-load"
        if load_dir.exists():
            shutil.rmtree(load_dir)
        load_dir.mkdir(parents=True)
        with self.progress.spinner(f"loading {dataset_path}"):
            result = self._read(dataset_path, load_dir)
        snapshot = snapshot_of(result.dataset, load_dir)
        media_info = load_dir / "image_info.pkl"
        with media_info.open("wb") as f:
            pickle.dump(result.image_info, f, protocol=pickle.HIGHEST_PROTOCOL)
        errors_path = load_dir / "errors.jsonl"
        with errors_path.open("w", encoding="utf-8") as f:
            for e in result.errors:
                f.write(json.dumps({**e.model_dump(), "op_index": -1}, ensure_ascii=False) + "\n")
        seconds = time.perf_counter() - t0
        state.data["load"] = {
            "snapshot": snapshot.to_json(),
            "root": str(result.root),
            "media_info": str(media_info),
            "format": result.format,
            "n_input": result.n_input,
            "n_errors": len(result.errors),
            "errors": str(errors_path),
            "seconds": seconds,
        }
        state.save()
        self.progress.note(
            f"loaded {result.n_input} samples ({result.format}) in {seconds:.1f}s, "
            f"{len(result.errors)} with errors"
        )
        summary = OpSummary(
            index=-1,
            name="load",
            kind="load",
            n_in=result.n_input,
            errored=len(result.errors),
            seconds=seconds,
        )
        return snapshot, result.root, summary

    def _read(self, dataset_path: Path, load_dir: Path) -> LoadResult:
        """Read and media-check the input into Arrow files under ``load_dir``."""
        return read_dataset(
            dataset_path,
            self.recipe.format,
            media_check=self.recipe.media_check,
            cache_dir=load_dir / "cache",
            num_proc=self.recipe.np,
        )

    # ------------------------------------------------------------------------ stages
    def _context(self, root: Path) -> OpContext:
        info = self._media_info
        return OpContext(
            root=root, work_dir=self.work_dir, text_view=self.recipe.text_view, media_info=info
        )

    def _run_row_stage(
        self, stage: Stage, snapshot: Snapshot, root: Path, stage_dir: Path
    ) -> tuple[Snapshot, list[OpCounter]]:
        ops = [self.ops[i] for i in stage.op_indices]
        in_ds = snapshot.dataset()
        stat_types = declared_stats(in_ds.features)
        score_keys = list(in_ds.features["scores"])
        for op in ops:
            stat_types.update(op.output_stats())
            score_keys += [k for k in op.output_scores() if k not in score_keys]
        feats = features(stat_types, score_keys)
        if isinstance(ops[-1], Deduplicator):
            feats[KEY_COLUMN] = datasets.Value("string")
        ranges = shard_ranges(len(in_ds), stage_shard_rows(ops, self.options.shard_rows))
        batch_size = min(op.resources.batch_size for op in ops)
        tasks = [
            ShardTask(
                snapshot=snapshot,
                start=a,
                stop=b,
                ops=ops,
                op_indices=stage.op_indices,
                ctx=self._context(root),
                features=feats,
                out_dir=stage_dir,
                shard=k,
                trace_num=self.recipe.trace_num,
                batch_size=batch_size,
            )
            for k, (a, b) in enumerate(ranges)
        ]
        results: dict[int, ShardResult] = {}
        todo = []
        for t in tasks:
            done = read_done(stage_dir, t.shard)
            if done is not None:
                results[t.shard] = done
            else:
                todo.append(t)
        label = f"stage {stage.index}: {stage.label(self.ops)}"
        with self.progress.bar(label, total=len(in_ds)) as advance:
            advance(sum(t.stop - t.start for t in tasks if t.shard in results))
            for res in self._execute(todo, advance):
                results[res.shard] = res
        counters = [OpCounter() for _ in ops]
        for k in sorted(results):
            for c, r in zip(counters, results[k].counters, strict=True):
                c.add(r)
        files = [str(shard_paths(stage_dir, k)["data"]) for k in sorted(results)]
        out = Snapshot(files=files)
        if isinstance(ops[-1], Deduplicator):
            out = self._group_duplicates(
                ops[-1], stage.op_indices[-1], out, stage_dir, counters[-1]
            )
        return out, counters

    def _execute(
        self, tasks: list[ShardTask], advance: Callable[[int], None]
    ) -> Iterator[ShardResult]:
        workers = min(self.recipe.np, len(tasks))
        if workers <= 1:
            for t in tasks:
                yield run_shard(t, on_rows=advance)
            return
        method = os.environ.get("MMCURATE_MP_START", "fork")
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(
            workers,
            mp_context=mp.get_context(method),
            initializer=limit_worker_threads,
            initargs=(threads,),
        ) as pool:
            futures = {pool.submit(run_shard, t): t for t in tasks}
            for fut in as_completed(futures):
                t = futures[fut]
                res = fut.result()
                advance(t.stop - t.start)
                yield res

    def _group_duplicates(
        self,
        op: Deduplicator,
        op_index: int,
        snapshot: Snapshot,
        stage_dir: Path,
        counter: OpCounter,
    ) -> Snapshot:
        t0 = time.perf_counter()
        dups = self._find_duplicates(op, snapshot)
        write_dedup_traces(stage_dir, op.name, op_index, dups)
        keep = np.ones(dups.n_rows, dtype=bool)
        keep[dups.rows] = False
        counter.dropped += int((~keep).sum())
        counter.seconds += time.perf_counter() - t0
        return snapshot.with_selection(np.flatnonzero(keep), stage_dir / "kept.npy")

    def _find_duplicates(self, op: Deduplicator, snapshot: Snapshot) -> Duplicates:
        """Group the stage's keys over the whole dataset (here: in this process)."""
        ds = snapshot.dataset(keep_internal=True)
        keys = column(ds, KEY_COLUMN)
        ids = column(ds, "id")
        dup_of = op.group(keys)
        rows = [i for i, j in enumerate(dup_of) if j is not None]
        return Duplicates(
            n_rows=len(dup_of),
            rows=np.asarray(rows, dtype=np.int64),
            ids=[ids[i] for i in rows],
            dup_of_ids=[ids[j] for j in dup_of if j is not None],
        )

    def _run_global_stage(
        self, stage: Stage, snapshot: Snapshot, root: Path, stage_dir: Path
    ) -> tuple[Snapshot, list[OpCounter]]:
        (op_index,) = stage.op_indices
        op = self.ops[op_index]
        assert isinstance(op, Selector)
        t0 = time.perf_counter()
        op.bind(self._context(root))
        op.ensure_setup()
        n = snapshot.num_rows()
        with self.progress.spinner(f"stage {stage.index}: {op.name} over {n} rows"):
            chosen, ids = self._select_rows(op, snapshot, root)
        if len(np.unique(chosen)) != len(chosen) or (
            len(chosen) and (chosen.min() < 0 or chosen.max() >= n)
        ):
            raise RuntimeError(f"selector {op.name} returned duplicate or out-of-range rows")
        keep = np.zeros(n, dtype=bool)
        keep[chosen] = True
        reasons = op.drop_reasons()
        with (stage_dir / "select.dropped.jsonl").open("w", encoding="utf-8") as fd:
            for i in np.flatnonzero(~keep):
                fd.write(
                    json.dumps(
                        {
                            "id": ids[i],
                            "op": op.name,
                            "op_index": op_index,
                            "reason": reasons.get(int(i), f"not selected by {op.name}"),
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        counter = OpCounter(n_in=n, dropped=int((~keep).sum()), seconds=time.perf_counter() - t0)
        return snapshot.with_selection(chosen, stage_dir / "selected.npy"), [counter]

    def _select_rows(
        self, op: Selector, snapshot: Snapshot, root: Path
    ) -> tuple[np.ndarray, list[str]]:
        """The selector's chosen rows (in output order) and the ids of all rows."""
        ds = snapshot.dataset()
        chosen = np.asarray(list(op.select(DatasetView(ds, self._context(root)))), dtype=np.int64)
        return chosen, column(ds, "id")

    # ------------------------------------------------------------------------ output
    def _export(self, final: datasets.Dataset, root: Path, state: _State) -> Path:
        export = Path(self.recipe.export_path)
        fmt = self.recipe.export_format or state.data["load"]["format"]
        with self.progress.spinner(f"writing {len(final)} samples to {export} ({fmt})"):
            export.parent.mkdir(parents=True, exist_ok=True)
            return write_dataset(final, export, fmt, root=root)

    def _merge_side_files(self, state: _State) -> None:
        """Concatenate per-stage/shard side files into the run's traces, in stage order."""
        trace = self.work_dir / "trace"
        trace.mkdir(exist_ok=True)
        out = {
            "errors": (self.work_dir / "errors.jsonl").open("w", encoding="utf-8"),
            "dropped": (trace / "dropped.jsonl").open("w", encoding="utf-8"),
            "changed": (trace / "changed.jsonl").open("w", encoding="utf-8"),
            "duplicates": (trace / "duplicates.jsonl").open("w", encoding="utf-8"),
        }
        try:
            out["errors"].write(Path(state.data["load"]["errors"]).read_text(encoding="utf-8"))
            for key in sorted(state.data["stages"], key=int):
                stage_dir = Path(state.data["stages"][key]["dir"])
                for shard_file in sorted(stage_dir.glob("shard-*.done.json")):
                    k = int(shard_file.name.split("-")[1].split(".")[0])
                    paths = shard_paths(stage_dir, k)
                    for kind in ("errors", "dropped", "changed"):
                        out[kind].write(paths[kind].read_text(encoding="utf-8"))
                for name, kind in (
                    ("dedup.dropped.jsonl", "dropped"),
                    ("dedup.pairs.jsonl", "duplicates"),
                    ("select.dropped.jsonl", "dropped"),
                ):
                    if (stage_dir / name).exists():
                        out[kind].write((stage_dir / name).read_text(encoding="utf-8"))
        finally:
            for f in out.values():
                f.close()

    def _clear_work_dir(self) -> None:
        for name in ("stages", "trace", "state.json", "errors.jsonl", "summary.json"):
            p = self.work_dir / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()


@dataclass
class Duplicates:
    """The outcome of grouping a deduplicator's keys over a whole stage.

    Attributes:
        n_rows: Rows in the stage's output (before dropping duplicates).
        rows: Ascending row indices of the duplicates (rows to drop).
        ids: Their sample ids.
        dup_of_ids: For each, the id of the first row with the same key (the one kept).
    """

    n_rows: int
    rows: np.ndarray
    ids: list[str]
    dup_of_ids: list[str]


def write_dedup_traces(stage_dir: Path, op_name: str, op_index: int, dups: Duplicates) -> None:
    """Write a dedup stage's dropped records and duplicate pairs (in row order)."""
    with (
        (stage_dir / "dedup.dropped.jsonl").open("w", encoding="utf-8") as fd,
        (stage_dir / "dedup.pairs.jsonl").open("w", encoding="utf-8") as fp,
    ):
        for sid, first in zip(dups.ids, dups.dup_of_ids, strict=True):
            reason = f"duplicate of {first}"
            fd.write(
                json.dumps(
                    {"id": sid, "op": op_name, "op_index": op_index, "reason": reason},
                    ensure_ascii=False,
                )
                + "\n"
            )
            fp.write(
                json.dumps({"op": op_name, "id": sid, "duplicate_of": first}, ensure_ascii=False)
                + "\n"
            )


def read_errors(work_dir: Path) -> list[ErrorRecord]:
    """The errors file of a finished run as records."""
    path = Path(work_dir) / "errors.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            data.pop("op_index", None)
            out.append(ErrorRecord(**data))
    return out

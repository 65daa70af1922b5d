"""Selection at scale: mmSSR over millions of rows, k-center / cluster-balanced growth.

    .venv/bin/python bench/select_scale.py                      # everything (about 15 min)
    .venv/bin/python bench/select_scale.py --only mmssr         # mmSSR 2.6M vs pandas
    .venv/bin/python bench/select_scale.py --only embed --sizes 10000,100000

mmSSR: a synthetic pool (default 2.6M rows x 14 integer 0-5 scores, 1% missing, 1-3 of the
9 styles per row, 20 sources, two-turn conversations, one image) is written as an Arrow
file in the canonical schema; ``mmssr_selector.select`` runs on it memory-mapped (as the
runner does) in a fresh process, timed end to end (reading the columns included), with
the process's peak RSS. The pandas reference (bench/pandas_mmssr_reference.py, the
authors' algorithm in pandas) runs on the same pool in another fresh process, timed on the
algorithm only (building its DataFrame is not counted). Both selections are compared; on a
smaller pool (``--verify-rows``) several configurations are compared too.

Embeddings: pools of ``--sizes`` rows x ``--dim`` (a Gaussian mixture, L2-normalised,
stored as the list[float] stat the selectors read); ``kcenter_selector`` and
``cluster_balanced_selector`` with a 10% budget, each in a fresh process (time, peak RSS).
k-center's covering radius is checked exactly (FAISS flat search) where that is cheap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mmcurate.selectors.columns import DEFAULT_EMBEDDING_KEY  # noqa: E402
from mmcurate.taxonomy import STYLES as TAXONOMY_STYLES  # noqa: E402

STYLES = list(TAXONOMY_STYLES)
EMB_KEY = DEFAULT_EMBEDDING_KEY


# --------------------------------------------------------------------------- data
def _list_array(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)


def make_pool(n: int, caps: list[str], seed: int = 0, n_sources: int = 20) -> pa.Table:
    """The synthetic mmSSR pool in the canonical Arrow schema."""
    from mmcurate.sample import features

    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {}
    cols["id"] = pa.array(np.arange(n).astype(str))
    cols["images"] = _list_array(np.arange(n + 1), pa.array(["images/x.jpg"] * n))
    empty = _list_array(np.zeros(n + 1, dtype=np.int64), pa.array([], pa.string()))
    cols["videos"] = empty
    cols["audios"] = empty
    pool = [("x " * int(k)).strip() for k in rng.integers(5, 150, 1000)]
    contents = pa.array(pool).take(pa.array(rng.integers(0, len(pool), 2 * n)))
    roles = pa.array(["user", "assistant"] * n)
    msgs = pa.StructArray.from_arrays([roles, contents], names=["role", "content"])
    cols["messages"] = _list_array(np.arange(0, 2 * n + 1, 2), msgs)
    src_p = 1.0 / np.arange(1, n_sources + 1)
    src = rng.choice(n_sources, size=n, p=src_p / src_p.sum())
    # unique per row (an original id) plus the scorers' provenance: ~190 bytes of JSON
    prov = (
        '"scoring": {"vlm_capability_scorer": {"backend": "heuristic", "from_heuristics": '
        'true, "model": "heuristic", "prompt": "capability_scores.v1"}}, "source": "'
    )
    srcs = pa.array([f"src{i:02d}" for i in range(n_sources)]).take(pa.array(src))
    cols["meta"] = pc.binary_join_element_wise(
        '{"orig_id": "', cols["id"], '", ' + prov, srcs, '"}', ""
    )
    cols["stats"] = pa.StructArray.from_buffers(pa.struct([]), n, [None])
    fields = []
    for i, _ in enumerate(caps):
        p = np.array([0.30 + 0.03 * i, 0.15, 0.15, 0.15, 0.15, 0.10])
        v = rng.choice(6, size=n, p=p / p.sum()).astype(np.float64)
        mask = rng.random(n) < 0.01
        fields.append(pa.array(v, mask=mask))
    cols["scores"] = pa.StructArray.from_arrays(fields, names=caps)
    k = rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1])
    sp = np.array([9, 3, 6, 8, 7, 5, 2, 4, 1], dtype=float)
    # distinct labels per row: weighted sampling without replacement (Efraimidis-Spirakis)
    keys = rng.random((n, 9)) ** (1.0 / (sp / sp.sum()))
    top = np.argsort(-keys, axis=1)[:, :3]
    take = np.arange(3)[None, :] < k[:, None]
    codes = top[take]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(k, out=offsets[1:])
    cols["styles"] = _list_array(offsets, pa.array(STYLES).take(pa.array(codes)))
    schema = features(scores=caps).arrow_schema
    return pa.Table.from_arrays([cols[f.name] for f in schema], schema=schema)


def make_embeddings(n: int, dim: int, seed: int = 0, centers: int = 200) -> pa.Table:
    """A Gaussian-mixture embedding pool (list[float] stat ``EMB_KEY``), minimal rows."""
    from mmcurate.sample import features

    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centers, dim)).astype(np.float32)
    x = c[rng.integers(0, centers, n)] + 0.6 * rng.standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    schema = features(stats={EMB_KEY: list[float]}, scores=["quality"]).arrow_schema
    empty = _list_array(np.zeros(n + 1, dtype=np.int64), pa.array([], pa.string()))
    emb = _list_array(np.arange(0, n * dim + 1, dim), pa.array(x.astype(np.float64).ravel()))
    cols = {
        "id": pa.array(np.arange(n).astype(str)),
        "images": empty,
        "videos": empty,
        "audios": empty,
        "messages": _list_array(
            np.zeros(n + 1, dtype=np.int64),
            pa.array([], schema.field("messages").type.value_type),
        ),
        "meta": pa.array(["{}"] * n),
        "stats": pa.StructArray.from_arrays([emb], names=[EMB_KEY]),
        "scores": pa.StructArray.from_arrays([pa.array(rng.random(n))], names=["quality"]),
        "styles": empty,
    }
    return pa.Table.from_arrays([cols[f.name] for f in schema], schema=schema)


def write_arrow(table: pa.Table, path: Path) -> Path:
    """One Arrow stream file, as the runner's snapshots are."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        for batch in table.to_batches(max_chunksize=100_000):
            w.write_batch(batch)
    return path


# --------------------------------------------------------------------------- workers
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker_select(path: str, op: str, params: dict[str, Any], out: str) -> dict[str, Any]:
    """Run one selector on an Arrow file (fresh process): time, peak RSS, rows."""
    import warnings

    import datasets

    from mmcurate.ops.base import DatasetView, OpContext
    from mmcurate.ops.registry import create

    ds = datasets.Dataset.from_file(path)
    selector = create(op, params)
    base = _current_rss_mb()
    t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = np.asarray(selector.select(DatasetView(ds, OpContext())), dtype=np.int64)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    np.save(out, rows)
    res: dict[str, Any] = {
        "op": op,
        "rows": len(ds),
        "selected": int(rows.size),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "load_avg_1min": round(max(load0, os.getloadavg()[0]), 2),
        "peak_rss_mb": round(_rss_mb()),
        "rss_before_mb": round(base),
        "warnings": [str(w.message) for w in caught],
    }
    for attr in ("last_method", "last_radius"):
        if hasattr(selector, attr):
            res[attr] = getattr(selector, attr)
    if getattr(selector, "last_result", None) is not None:
        res["rounds"] = selector.last_result.rounds  # type: ignore[attr-defined]
    return res


def _pandas_inputs(path: str, caps: list[str], seed: int, tokens: bool) -> tuple[Any, Any]:
    import datasets

    from mmcurate.ops.base import DatasetView, OpContext
    from mmcurate.selectors.budget import token_costs

    ds = datasets.Dataset.from_file(path)
    table = ds.data.table
    scores = {
        c: table.column("scores").combine_chunks().field(c).to_numpy(zero_copy_only=False)
        for c in caps
    }
    scores = {c: np.where(np.isnan(v.astype(float)), np.nan, v) for c, v in scores.items()}
    styles = table.column("styles").to_pylist()
    sources = [json.loads(m).get("source", "") for m in table.column("meta").to_pylist()]
    labels = [
        [f"{s}+{src}" for s in dict.fromkeys(st or [""])]
        for st, src in zip(styles, sources, strict=True)
    ]
    perm = np.random.default_rng(seed).permutation(len(ds))
    costs = token_costs(DatasetView(ds, OpContext())) if tokens else None
    from pandas_mmssr_reference import frame

    return frame(scores, labels, perm, costs), costs


def worker_pandas(
    path: str, caps: list[str], budget: int, thr: float, seed: int, tokens: bool, out: str
) -> dict[str, Any]:
    """The pandas reference on an Arrow file (fresh process), timed on the algorithm."""
    from pandas_mmssr_reference import pandas_mmssr

    df, _ = _pandas_inputs(path, caps, seed, tokens)
    base = _current_rss_mb()
    t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    rows = np.asarray(pandas_mmssr(df, caps, budget, thr), dtype=np.int64)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    np.save(out, np.sort(rows))
    return {
        "op": "pandas reference",
        "rows": len(df),
        "selected": int(rows.size),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "load_avg_1min": round(max(load0, os.getloadavg()[0]), 2),
        "peak_rss_mb": round(_rss_mb()),
        "rss_before_mb": round(base),
    }


def worker_radius(path: str, chosen: str) -> dict[str, Any]:
    """Exact covering radius of a selection (flat FAISS search of every row)."""
    import datasets

    from mmcurate.selectors.columns import embedding_matrix
    from mmcurate.selectors.faiss_utils import import_faiss, search_blocks

    faiss = import_faiss()
    x = embedding_matrix(datasets.Dataset.from_file(path), EMB_KEY, "bench")
    rows = np.load(chosen)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x[rows])
    d, _ = search_blocks(index, x, 1)
    return {"radius": float(np.sqrt(max(float(d.max()), 0.0)))}


def run_worker(*args: Any, timeout: int = 3600) -> dict[str, Any]:
    """Run ``worker_<name>(*args)`` in a fresh Python process; its JSON result."""
    name, *rest = args
    code = (
        "import json, sys; sys.path.insert(0, 'bench'); import select_scale as s; "
        f"print('@@' + json.dumps(s.worker_{name}(*json.loads(sys.argv[1]))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(rest)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{proc.stderr[-4000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@")][-1]
    return json.loads(line[2:])


# --------------------------------------------------------------------------- sections
def bench_mmssr(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from mmcurate.taxonomy import CAPABILITIES

    caps = list(CAPABILITIES)
    out: dict[str, Any] = {}
    # equivalence on a smaller pool, several configurations
    vpath = write_arrow(make_pool(args.verify_rows, caps, seed=1), work / "verify.arrow")
    checks = []
    nv = args.verify_rows
    configs = [
        ({"budget": nv // 10}, caps, 0, False),
        ({"budget": nv // 3, "threshold": 2}, caps, 2, False),
        ({"budget": nv // 20, "capabilities": caps[:3]}, caps[:3], 0, False),
        ({"budget": f"{nv * 65} tokens"}, caps, 0, True),
    ]
    for params, cs, thr, tokens in configs:
        full = {"seed": 0, **params}
        ours = run_worker("select", str(vpath), "mmssr_selector", full, str(work / "v_ours.npy"))
        limit = int(str(params["budget"]).split()[0])
        ref = run_worker("pandas", str(vpath), cs, limit, thr, 0, tokens, str(work / "v_ref.npy"))
        same = bool(np.array_equal(np.load(work / "v_ours.npy"), np.load(work / "v_ref.npy")))
        checks.append({"params": params, "selected": ours["selected"], "same_set": same,
                       "ours_s": ours["seconds"], "pandas_s": ref["seconds"]})  # fmt: skip
        print(f"verify {params}: same set {same} ({ours['selected']} rows)", flush=True)
    out["verify"] = {"rows": nv, "checks": checks}
    # the scale run
    t0 = time.perf_counter()
    path = write_arrow(make_pool(args.rows, caps, seed=0), work / "pool.arrow")
    print(f"pool of {args.rows} rows written in {time.perf_counter() - t0:.0f}s", flush=True)
    budget = int(args.rows * 0.10)
    ours = run_worker(
        "select", str(path), "mmssr_selector", {"budget": "10%", "seed": 0}, str(work / "ours.npy")
    )
    print(f"mmssr_selector: {ours}", flush=True)
    tok = run_worker(
        "select",
        str(path),
        "mmssr_selector",
        {"budget": f"{args.rows * 65} tokens", "seed": 0},
        str(work / "ours_tok.npy"),
    )
    print(f"mmssr_selector (token budget): {tok}", flush=True)
    out["ours"], out["ours_tokens"] = ours, tok
    if not args.skip_pandas:
        ref = run_worker("pandas", str(path), caps, budget, 0, 0, False, str(work / "ref.npy"))
        ref["same_set"] = bool(
            np.array_equal(np.load(work / "ours.npy"), np.load(work / "ref.npy"))
        )
        ref["speedup"] = round(ref["seconds"] / ours["seconds"], 1)
        ref["speedup_cpu"] = round(ref["cpu_seconds"] / ours["cpu_seconds"], 1)
        print(f"pandas reference: {ref}", flush=True)
        out["pandas"] = ref
    return out


def bench_embed(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in [int(s) for s in args.sizes.split(",")]:
        path = write_arrow(make_embeddings(n, args.dim), work / f"emb{n}.arrow")
        res: dict[str, Any] = {}
        runs = [("kcenter_selector", {"budget": "10%", "seed": 0})]
        if n <= 10_000:
            runs.append(("kcenter_selector", {"budget": "10%", "seed": 0, "method": "cells"}))
        if n == 100_000:
            runs.append(("kcenter_selector", {"budget": "1%", "seed": 0, "method": "exact"}))
            runs.append(("kcenter_selector", {"budget": "1%", "seed": 0, "method": "cells"}))
        runs.append(("cluster_balanced_selector", {"budget": "10%", "seed": 0}))
        for op, params in runs:
            key = f"{op}:{params.get('method', 'auto')}:{params['budget']}"
            r = run_worker("select", str(path), op, params, str(work / "emb_sel.npy"))
            if op == "kcenter_selector" and n <= 100_000:
                r["exact_radius"] = run_worker("radius", str(path), str(work / "emb_sel.npy"))[
                    "radius"
                ]
            res[key] = r
            print(f"n={n} {key}: {r}", flush=True)
        out[str(n)] = res
        path.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=2_600_000)
    ap.add_argument("--verify-rows", type=int, default=50_000)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--only", choices=["mmssr", "embed"], default=None)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="select_scale."))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    if args.only in (None, "mmssr"):
        results["mmssr"] = bench_mmssr(args, work)
    if args.only in (None, "embed"):
        results["embed"] = bench_embed(args, work)
    text = json.dumps(results, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()

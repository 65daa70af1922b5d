"""Column-wise reads for selectors: Arrow -> numpy, never a Python loop per row.

Every reader honours a dataset's indices mapping (a snapshot after a deduplicator or an
earlier selector) by taking rows from the one field it needs, not from whole columns.
Missing inputs raise :class:`~mmcurate.errors.ConfigError` naming the key and the command
that produces it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mmcurate.errors import ConfigError
from mmcurate.sample import PLACEHOLDERS

#: What to run when scores, styles or embeddings are missing.
SCORE_COMMAND = "curate score DATA --out SCORED --backend heuristic"
SCORE_HINT = (
    f"Produce them with `{SCORE_COMMAND}` (writes scores, styles and embeddings; "
    "or a VLM backend for real scores)"
)
NO_STYLE = ""


def _indices(ds: datasets.Dataset) -> pa.Array | None:
    idx = ds._indices  # noqa: SLF001 - datasets has no public accessor for the mapping
    if idx is None:
        return None
    return idx.column(0).combine_chunks()


def column(ds: datasets.Dataset, name: str) -> pa.Array:
    """Column ``name`` as one Arrow array, rows in the dataset's (mapped) order."""
    arr = ds.data.table.column(name).combine_chunks()
    idx = _indices(ds)
    return arr if idx is None else arr.take(idx)


def struct_field(ds: datasets.Dataset, name: str, field: str) -> pa.Array:
    """Field ``field`` of struct column ``name`` (e.g. one score, one stat)."""
    chunks = ds.data.table.column(name).chunks
    parts = [pc.struct_field(ch, field) for ch in chunks]
    typ = ds.data.table.schema.field(name).type.field(field).type
    arr = pa.chunked_array(parts, type=typ).combine_chunks()
    idx = _indices(ds)
    return arr if idx is None else arr.take(idx)


def score_keys(ds: datasets.Dataset) -> list[str]:
    """Score keys declared by the dataset."""
    return list(ds.features["scores"].keys())


def require_scores(ds: datasets.Dataset, keys: Sequence[str], op_name: str) -> None:
    """Raise a :class:`ConfigError` naming the score columns that are missing."""
    have = score_keys(ds)
    missing = [k for k in keys if k not in have]
    if missing:
        raise ConfigError(
            f"{op_name}: the dataset has no score column(s) {', '.join(missing)} "
            f"(scores present: {', '.join(have) or 'none'}). {SCORE_HINT}."
        )


def scores(ds: datasets.Dataset, key: str) -> np.ndarray:
    """One score column as float64 (missing values are NaN)."""
    arr = struct_field(ds, "scores", key).cast(pa.float64())
    return np.asarray(pc.fill_null(arr, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def score_matrix(ds: datasets.Dataset, keys: Sequence[str], op_name: str) -> np.ndarray:
    """Scores ``keys`` as a ``(len(keys), n)`` float64 matrix (NaN where missing).

    Raises:
        ConfigError: a key is not a score column of the dataset.
    """
    require_scores(ds, keys, op_name)
    out = np.empty((len(keys), len(ds)), dtype=np.float64)
    for i, k in enumerate(keys):
        out[i] = scores(ds, k)
    return out


def combined_score(
    ds: datasets.Dataset, score: str | Mapping[str, float] | None, op_name: str
) -> np.ndarray:
    """One score key, a weighted sum ``{key: weight}``, or (``None``) the mean of every
    score column. A row missing any needed score is NaN.
    """
    if score is None:
        keys = score_keys(ds)
        if not keys:
            raise ConfigError(f"{op_name}: the dataset has no score columns. {SCORE_HINT}.")
        weights = {k: 1.0 / len(keys) for k in keys}
    elif isinstance(score, str):
        weights = {score: 1.0}
    else:
        weights = dict(score)
        if not weights:
            raise ConfigError(f"{op_name}: score weights are empty")
    mat = score_matrix(ds, list(weights), op_name)
    return np.asarray(np.asarray(list(weights.values()), dtype=np.float64) @ mat)


def list_lengths(ds: datasets.Dataset, name: str) -> np.ndarray:
    """Length of a list column per row (null -> 0), int64."""
    arr = column(ds, name)
    lens = pc.fill_null(pc.list_value_length(arr), 0)
    return np.asarray(lens.to_numpy(zero_copy_only=False), dtype=np.int64)


def _flat_list(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Values of a list array and the row of each value."""
    parents = np.asarray(pc.list_parent_indices(arr).to_numpy(zero_copy_only=False), np.int64)
    return pc.list_flatten(arr), parents


def text_bytes(ds: datasets.Dataset) -> np.ndarray:
    """UTF-8 bytes of every message's content per row, less 7 bytes per media item (the
    ``<image>`` / ``<video>`` / ``<audio>`` placeholder each one has), int64.

    Read from the string offsets alone (no pass over the text), chunk by chunk.
    """
    n = len(ds)
    out = np.zeros(n, dtype=np.int64)
    chunks = [column(ds, "messages")] if _indices(ds) is not None else None
    if chunks is None:
        chunks = list(ds.data.table.column("messages").chunks)
    row = 0
    for ch in chunks:
        m = len(ch)
        if m:
            content = pc.struct_field(pc.list_flatten(ch), "content")
            lens = pc.fill_null(pc.binary_length(content), 0).to_numpy(zero_copy_only=False)
            parents = pc.list_parent_indices(ch).to_numpy(zero_copy_only=False)
            out[row : row + m] += np.bincount(parents, weights=lens, minlength=m).astype(np.int64)
        row += m
    media = sum(list_lengths(ds, c) for c in ("images", "videos", "audios"))
    return np.maximum(out - len(PLACEHOLDERS[0]) * media, 0)


def texts(ds: datasets.Dataset) -> list[str]:
    """The conversation text per row (turns joined by newlines; for exact tokenizers)."""
    from mmcurate.sample import strip_placeholders

    rows = column(ds, "messages").to_pylist()
    return [
        "\n".join(strip_placeholders(m["content"] or "").strip() for m in (r or [])) for r in rows
    ]


# --------------------------------------------------------------------------- styles, sources
def style_pairs(ds: datasets.Dataset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Multi-label styles as (row, style code) pairs, one per distinct label of a row.

    Rows with no style get one pair with the label ``""`` (shown as ``(none)``).

    Returns:
        rows (int64, non-decreasing), codes (int32), labels (code -> label).
    """
    n = len(ds)
    arr = column(ds, "styles")
    values, parents = _flat_list(arr)
    enc = pc.dictionary_encode(pc.fill_null(values, NO_STYLE))
    labels = [str(v) for v in enc.dictionary.to_pylist()]
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    has = np.zeros(n, dtype=bool)
    has[parents] = True
    empty = np.flatnonzero(~has)
    if empty.size:
        if NO_STYLE not in labels:
            labels.append(NO_STYLE)
        none_code = labels.index(NO_STYLE)
        parents = np.concatenate([parents, empty])
        codes = np.concatenate([codes, np.full(empty.size, none_code, dtype=np.int32)])
        order = np.argsort(parents, kind="stable")
        parents, codes = parents[order], codes[order]
    keep = dedupe_pairs(parents, codes, len(labels))
    return parents[keep], codes[keep], labels


def dedupe_pairs(rows: np.ndarray, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Mask of the pairs to keep: the first of every repeated (row, code) pair."""
    keep = np.ones(rows.size, dtype=bool)
    if rows.size < 2:
        return keep
    multi = np.flatnonzero(np.bincount(rows)[rows] > 1)
    if multi.size == 0:
        return keep
    key = rows[multi] * np.int64(n_codes) + codes[multi]
    _, first = np.unique(key, return_index=True)
    keep[multi] = False
    keep[multi[first]] = True
    return keep


def meta_paths(field: str) -> list[str]:
    """Where to look for a meta value: ``field`` itself, then ``_extra.<field>`` (readers
    keep a record's unmodelled top-level keys, e.g. LLaVA's ``"source"``, under
    ``meta._extra``)."""
    return [field, f"_extra.{field}"]


def meta_values(ds: datasets.Dataset, path: str | Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """A string value of the ``meta`` JSON as dictionary codes: (codes int32 [n], labels).

    Args:
        ds: The dataset.
        path: A key (dotted for nested keys), or several: the first one present wins.
            Missing values are ``""``.

    Parsed with Arrow's JSON reader (C++) straight from each chunk's string buffer (no
    copy), chunks in parallel threads; falls back to ``json.loads`` per row only for a
    chunk whose value is not always a string.
    """
    n = len(ds)
    if n == 0:
        return np.zeros(0, dtype=np.int32), []
    paths = [path.split(".")] if isinstance(path, str) else [p.split(".") for p in path]
    if _indices(ds) is not None:
        chunks = [column(ds, "meta")]
    else:
        chunks = [c for c in ds.data.table.column("meta").chunks if len(c)]
    workers = min(4, os.cpu_count() or 1, len(chunks))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda c: _meta_chunk(c, paths), chunks))
    else:
        parts = [_meta_chunk(c, paths) for c in chunks]
    values = pa.chunked_array(parts, type=pa.string()).combine_chunks()
    enc = pc.dictionary_encode(pc.fill_null(values, ""))
    labels = [str(v) for v in enc.dictionary.to_pylist()]
    return np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int32), labels


def _meta_chunk(meta: pa.Array, paths: list[list[str]]) -> pa.Array:
    try:
        return _meta_arrow(meta, paths)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _meta_python(meta, paths)


def _schema_type(tree: dict[str, Any]) -> pa.DataType:
    return pa.struct([(k, pa.string() if v is None else _schema_type(v)) for k, v in tree.items()])


def _meta_arrow(meta: pa.Array, paths: list[list[str]]) -> pa.Array:
    """One chunk through Arrow's JSON reader: the concatenated objects of the string
    buffer are parsed as one block (no separators needed, nothing copied)."""
    import pyarrow.json as pj

    if meta.null_count or pc.min(pc.utf8_length(meta)).as_py() == 0:
        meta = pc.fill_null(meta, "{}")
        meta = pc.if_else(pc.equal(pc.utf8_length(meta), 0), pa.scalar("{}", meta.type), meta)
    bufs = meta.buffers()
    width = np.int64 if pa.types.is_large_string(meta.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[meta.offset : meta.offset + len(meta) + 1]
    data = bufs[2][int(offsets[0]) : int(offsets[-1])]
    tree: dict[str, Any] = {}
    for keys in paths:
        node = tree
        for k in keys[:-1]:
            child = node.get(k)
            if child is None:
                child = node[k] = {}
            node = child
        node.setdefault(keys[-1], None)
    schema = pa.schema(list(_schema_type(tree)))
    table = pj.read_json(
        pa.BufferReader(data),
        read_options=pj.ReadOptions(block_size=len(data) + 1, use_threads=False),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )
    if table.num_rows != len(meta):  # pragma: no cover - defensive: a malformed meta string
        return _meta_python(meta, paths)
    out: pa.Array | None = None
    for keys in paths:
        arr = table.column(keys[0]).combine_chunks()
        for k in keys[1:]:
            arr = pc.struct_field(arr, k)
        out = arr if out is None else pc.coalesce(out, arr)
    assert out is not None
    return out


def _meta_python(meta: pa.Array, paths: list[list[str]]) -> pa.Array:
    import json

    out: list[str | None] = []
    for text in meta.to_pylist():  # slow path: a value that is not always a string
        data = json.loads(text or "{}")
        found: str | None = None
        for keys in paths:
            value: Any = data
            for k in keys:
                value = value.get(k) if isinstance(value, dict) else None
            if value is not None:
                found = str(value)
                break
        out.append(found)
    return pa.array(out, pa.string())


# --------------------------------------------------------------------------- embeddings
#: Default embedding stat (the lite perception mapper's text embedding).
DEFAULT_EMBEDDING_KEY = "lite_perception_mapper.text_embedding"


def _list_stats(ds: datasets.Dataset) -> list[str]:
    return [
        k
        for k, f in ds.features["stats"].items()
        if isinstance(f, datasets.List | datasets.Sequence | list)
    ]


def embedding_matrix(
    ds: datasets.Dataset,
    keys: str | Sequence[str],
    op_name: str,
    normalize: bool = True,
) -> np.ndarray:
    """Embeddings from list[float] stats as a float32 ``(n, d)`` matrix, read column-wise.

    Several keys (e.g. a text embedding and an image feature) are each L2-normalised and
    concatenated; ``normalize`` then L2-normalises the rows (cosine geometry).

    Raises:
        ConfigError: a key is missing, not a list, has nulls or rows of different lengths.
    """
    names = [keys] if isinstance(keys, str) else list(keys)
    if not names:
        raise ConfigError(f"{op_name}: embedding_key is empty")
    parts = [_one_embedding(ds, k, op_name) for k in names]
    mat = parts[0] if len(parts) == 1 else np.hstack([_l2(p) for p in parts])
    return _l2(mat) if normalize else mat


def _one_embedding(ds: datasets.Dataset, key: str, op_name: str) -> np.ndarray:
    have = ds.features["stats"]
    if key not in have:
        listed = _list_stats(ds)
        raise ConfigError(
            f"{op_name}: the dataset has no embedding stat '{key}' (list stats present: "
            f"{', '.join(listed) or 'none'}). Produce it with `{SCORE_COMMAND}` (writes "
            "scores, styles and embeddings), or name another list[float] stat with "
            "embedding_key."
        )
    typ = ds.data.table.schema.field("stats").type.field(key).type
    if not (
        pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ)
    ):
        raise ConfigError(f"{op_name}: stat '{key}' is {typ}, not a list of floats")
    if _indices(ds) is not None:
        chunks = [struct_field(ds, "stats", key)]
    else:  # chunk by chunk: no concatenated copy of a large column
        chunks = [pc.struct_field(ch, key) for ch in ds.data.table.column("stats").chunks]
    n = sum(len(c) for c in chunks)
    nulls = sum(c.null_count for c in chunks)
    if nulls:
        raise ConfigError(
            f"{op_name}: embedding stat '{key}' is missing on {nulls} of {n} rows; "
            f"re-run `{SCORE_COMMAND}` on the whole pool"
        )
    if n == 0:
        return np.zeros((0, 0), dtype=np.float32)
    lens = np.concatenate(
        [np.asarray(pc.list_value_length(c).to_numpy(zero_copy_only=False)) for c in chunks]
    )
    d = int(lens[0])
    if d == 0 or (lens != d).any():
        raise ConfigError(
            f"{op_name}: embedding stat '{key}' has rows of lengths {int(lens.min())}.."
            f"{int(lens.max())}; every row needs the same dimension"
        )
    out = np.empty((n, d), dtype=np.float32)
    row = 0
    for c in chunks:
        if len(c):
            flat = pc.list_flatten(c).to_numpy(zero_copy_only=False)
            out[row : row + len(c)] = flat.reshape(len(c), d)
            row += len(c)
    if not np.isfinite(out).all():
        raise ConfigError(f"{op_name}: embedding stat '{key}' has NaN or infinite values")
    return out


def _l2(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = (x / norms).astype(np.float32, copy=False)
    return out

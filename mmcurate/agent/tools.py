"""Thin wrappers the agent acts through: the op registry, recipe schema, runner, scorers.

The agent never re-implements an op: scoring steps come from
:func:`mmcurate.scorers.cli.score_steps` (the same recipes ``curate score`` runs), filtering
is the registered ``score_filter`` op, selection a registered ``<method>_selector``, and
every recipe is validated by :func:`mmcurate.recipes.parse_recipe` (registered op names,
params checked by each op's ``Params``) and run by :class:`mmcurate.runner.LocalExecutor`.
Nothing here runs a shell, evaluates text or writes outside the paths it is given.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from mmcurate.agent.context import AgentSettings
from mmcurate.errors import ConfigError
from mmcurate.taxonomy import CAPABILITIES, STYLES

#: Score at which a sample counts as clearly relevant to a capability (0-5 scale; a
#: heuristic level for the lite scores, the scale's midpoint-ish for VLM scores).
RELEVANT = 2.0
#: Threshold bounds the refine loop keeps to.
MIN_THRESHOLD, MAX_THRESHOLD = 0.5, 4.5
#: ``score_filter`` upper bound for an avoided capability ("fewer charts").
AVOID_MAX = 1.5


def registered_ops() -> list[str]:
    """Names of every registered op (the only ops a recipe may use)."""
    from mmcurate.ops import registry

    return registry.names()


def scoring_steps(settings: AgentSettings) -> list[dict[str, Any]]:
    """The score recipe's steps for the session's score backend, as recipe items."""
    from mmcurate.scorers.cli import ScoreOptions, score_steps

    if settings.score_backend == "vlm":
        if not settings.vlm_url:
            raise ConfigError("score backend 'vlm' needs --vlm URL (a vLLM server)")
        opts = ScoreOptions(
            data=Path(settings.data),
            out=Path(settings.out),
            backend="vllm-server",
            backend_options={"url": settings.vlm_url, "model": settings.model},
        )
    else:
        opts = ScoreOptions(data=Path(settings.data), out=Path(settings.out))
    return [s.to_yaml_item() for s in score_steps(opts)]


def scored_path(settings: AgentSettings) -> Path:
    """Where the scored pool is written (inside the output folder)."""
    data = Path(settings.data)
    name = data.name if data.suffix in (".jsonl", ".json") else "pool.jsonl"
    return settings.work_dir / "scored" / name


def score_pool(settings: AgentSettings, show_progress: bool = False) -> dict[str, Any]:
    """Score the whole pool once (resumable) and profile it.

    Returns:
        ``{"path", "n_in", "scored", "errored", "seconds", "profile"}``.
    """
    from mmcurate.recipes import parse_recipe
    from mmcurate.runner import LocalExecutor, RunOptions

    out = scored_path(settings)
    raw = {
        "dataset_path": str(Path(settings.data).resolve()),
        "export_path": str(out),
        "np": settings.np,
        "work_dir": str(settings.work_dir / "score"),
        "process": scoring_steps(settings),
    }
    resume = (settings.work_dir / "score" / "state.json").is_file()
    t0 = time.perf_counter()
    summary = LocalExecutor(
        parse_recipe(raw, source="agent: score"),
        RunOptions(resume=resume, show_progress=show_progress),
    ).run()
    ds = load_rows(out)
    return {
        "path": str(out),
        "n_in": summary.n_in,
        "scored": summary.kept,
        "errored": summary.errored,
        "errors_file": str(Path(summary.work_dir) / "errors.jsonl"),
        "seconds": round(time.perf_counter() - t0, 2),
        "profile": profile_rows(ds),
    }


def load_rows(path: str | Path) -> Any:
    """A written dataset (scored pool or selection) as a ``datasets.Dataset``."""
    return load_with_root(path)[0]


def load_with_root(path: str | Path) -> tuple[Any, Path]:
    """A written dataset and the folder its relative media paths resolve against."""
    from mmcurate.io import read_dataset

    res = read_dataset(Path(path), media_check=False)
    return res.dataset, Path(res.root)


def _scores(ds: Any, key: str) -> np.ndarray:
    from mmcurate.selectors.columns import score_keys, scores

    if len(ds) == 0 or key not in score_keys(ds):
        return np.zeros(0)
    return np.nan_to_num(scores(ds, key).astype(np.float64), nan=0.0)


def _styles(ds: Any) -> list[list[str]]:
    if len(ds) == 0 or "styles" not in ds.column_names:
        return [[] for _ in range(len(ds))]
    return [list(s or []) for s in ds["styles"]]


def profile_rows(ds: Any) -> dict[str, Any]:
    """Counts of a dataset: rows, per-capability mean and rows >= :data:`RELEVANT`, styles."""
    caps = {}
    for c in CAPABILITIES:
        v = _scores(ds, c)
        if v.size:
            caps[c] = {"mean": round(float(v.mean()), 3), "relevant": int((v >= RELEVANT).sum())}
    styles = Counter(s for row in _styles(ds) for s in row)
    return {
        "rows": len(ds),
        "capabilities": caps,
        "styles": {s: styles.get(s, 0) for s in STYLES},
    }


def build_recipe(
    settings: AgentSettings,
    targets: dict[str, Any],
    knobs: dict[str, Any],
    *,
    dataset_path: str | Path,
    export_path: str | Path,
    work_dir: str | Path | None = None,
    with_scoring: bool = True,
) -> dict[str, Any]:
    """A validated recipe (as a dict in file shape) for the targets and this round's knobs.

    Steps: the score recipe (when ``with_scoring``), ``score_filter`` on the first target
    capability (``min: threshold``) and on each avoided capability (``max``), then the
    selector with the budget and the session's seed.

    Raises:
        ConfigError: an invalid step (unknown op or parameter), never silently fixed.
    """
    from mmcurate.recipes import parse_recipe

    caps: list[str] = list(targets.get("capabilities") or [])
    steps: list[dict[str, Any]] = list(scoring_steps(settings)) if with_scoring else []
    threshold = float(knobs.get("threshold") or 0.0)
    if caps and threshold > 0:
        steps.append({"score_filter": {"key": f"scores.{caps[0]}", "min": threshold}})
    for cap in targets.get("avoid") or []:
        steps.append({"score_filter": {"key": f"scores.{cap}", "max": AVOID_MAX}})
    steps.append(selector_step(str(knobs["selector"]), caps, int(knobs["budget"]), settings.seed))
    raw: dict[str, Any] = {
        "dataset_path": str(dataset_path),
        "export_path": str(export_path),
        "np": settings.np,
        "process": steps,
    }
    if work_dir is not None:
        raw["work_dir"] = str(work_dir)
    return parse_recipe(raw, source="agent recipe").to_dict()


def selector_step(method: str, caps: list[str], budget: int, seed: int) -> dict[str, Any]:
    """The selector step for ``method`` (a key of :data:`mmcurate.agent.state.SELECTORS`)."""
    params: dict[str, Any] = {"budget": budget, "seed": seed}
    if method == "mmssr":
        if caps:
            params["capabilities"] = caps
    elif method in ("topk", "cluster_balanced"):
        if caps:
            params["score"] = caps[0] if len(caps) == 1 else dict.fromkeys(caps, 1.0)
        elif method == "topk":
            params["score"] = dict.fromkeys(CAPABILITIES, 1.0)
    elif method not in ("kcenter", "random"):
        raise ConfigError(f"unknown selection method '{method}'")
    return {f"{method}_selector": params}


def run_recipe(recipe: dict[str, Any], show_progress: bool = False) -> dict[str, Any]:
    """Run a recipe dict with the local executor; the run's accounting as a dict."""
    import warnings

    from mmcurate.recipes import parse_recipe
    from mmcurate.runner import LocalExecutor, RunOptions

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = LocalExecutor(
            parse_recipe(recipe, source="agent recipe"), RunOptions(show_progress=show_progress)
        ).run()
    return {
        "export_path": summary.export_path,
        "work_dir": summary.work_dir,
        "in": summary.n_in,
        "kept": summary.kept,
        "dropped": summary.dropped,
        "errored": summary.errored,
        "balanced": summary.balanced,
        "seconds": round(summary.seconds, 2),
        "ops": [
            {
                "name": o.name,
                "in": o.n_in,
                "kept": o.kept,
                "dropped": o.dropped,
                "errored": o.errored,
            }
            for o in summary.ops
        ],  # fmt: skip
        "warnings": sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)}),
    }


def result_stats(
    pool: Any, selected: Any, targets: dict[str, Any], knobs: dict[str, Any]
) -> dict[str, Any]:
    """Statistics of a selection against the targets (the analyzer's evidence).

    ``relevant_share``: share of selected rows whose first target capability scores >=
    :data:`RELEVANT` (by the session's scores: a heuristic estimate with lite scores).
    ``styles_available``: styles present among the pool rows that pass the threshold.
    """
    caps = list(targets.get("capabilities") or [])
    primary = caps[0] if caps else None
    threshold = float(knobs.get("threshold") or 0.0)
    out: dict[str, Any] = {
        "rows": len(selected),
        "budget": int(knobs["budget"]),
        "pool_rows": len(pool),
        "primary": primary,
        "threshold": threshold,
    }
    if primary:
        pv, sv = _scores(pool, primary), _scores(selected, primary)
        cand = pv >= threshold if threshold > 0 else np.ones(pv.size, dtype=bool)
        out["candidates"] = int(cand.sum())
        out["candidates_at"] = {
            f"{t:g}": int((pv >= t).sum())
            for t in np.arange(MIN_THRESHOLD, MAX_THRESHOLD + 0.01, 0.5)
        }
        out["relevant_share"] = round(float((sv >= RELEVANT).mean()), 4) if sv.size else 0.0
        out["pool_relevant_share"] = round(float((pv >= RELEVANT).mean()), 4) if pv.size else 0.0
        out["mean_score"] = round(float(sv.mean()), 3) if sv.size else 0.0
        out["pool_mean_score"] = round(float(pv.mean()), 3) if pv.size else 0.0
        pool_styles = _styles(pool)
        avail = {s for i in np.flatnonzero(cand) for s in pool_styles[int(i)]}
    else:
        out["candidates"] = len(pool)
        avail = {s for row in _styles(pool) for s in row}
    covered = {s for row in _styles(selected) for s in row}
    out["styles_covered"] = [s for s in STYLES if s in covered]
    out["styles_available"] = [s for s in STYLES if s in avail]
    wanted = list(targets.get("styles") or [])
    out["styles_missing"] = [s for s in wanted if s not in covered]
    out["avoid_share"] = {
        a: round(float((_scores(selected, a) >= RELEVANT).mean()), 4) if len(selected) else 0.0
        for a in targets.get("avoid") or []
    }
    return out

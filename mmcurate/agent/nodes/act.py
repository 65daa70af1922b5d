"""Tool steps: score the pool, propose a recipe, run it. No model decides anything here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmcurate.agent import tools
from mmcurate.agent.nodes.common import settings_of, turn
from mmcurate.agent.state import AgentState


def score(state: AgentState) -> dict[str, Any]:
    """Score the whole pool once per session (later rounds and follow-ups reuse it)."""
    settings = settings_of(state)
    pool = state.get("pool")
    if pool and Path(pool["path"]).is_file():
        return {}
    pool = tools.score_pool(settings)
    backend = "VLM scorers" if settings.score_backend == "vlm" else "lite scorers (heuristic)"
    text = (
        f"scored {pool['scored']} of {pool['n_in']} samples with {backend} in "
        f"{pool['seconds']}s; {pool['errored']} errors"
        + (f" (see {pool['errors_file']})" if pool["errored"] else "")
    )
    return {"pool": pool, "transcript": [turn("tool", text)]}


def round_dir(state: AgentState) -> Path:
    """This round's work dir: one per (follow-up, iteration)."""
    settings = settings_of(state)
    n_follow = len(state.get("followups") or [])
    return settings.work_dir / f"round-{n_follow}-{int(state.get('iteration', 0)) + 1}"


def propose(state: AgentState) -> dict[str, Any]:
    """The round's recipes: the full one (scoring + filters + selector on the input data,
    what ``recipe.yaml`` holds) and the same filters + selector on the scored pool (what
    the round runs, so rounds do not score again)."""
    settings = settings_of(state)
    knobs, targets = state["knobs"], state["targets"]
    full = tools.build_recipe(
        settings,
        targets,
        knobs,
        dataset_path=Path(settings.data).resolve(),
        export_path=(settings.out_dir / "rerun" / "selected.jsonl").resolve(),
    )
    rdir = round_dir(state)
    select = tools.build_recipe(
        settings,
        targets,
        knobs,
        dataset_path=state["pool"]["path"],
        export_path=rdir / "selected.jsonl",
        work_dir=rdir / "run",
        with_scoring=False,
    )
    steps = [next(iter(s)) for s in full["process"]]
    text = f"recipe: {' -> '.join(steps)}; knobs {knobs}"
    return {"recipe": full, "select_recipe": select, "transcript": [turn("tool", text)]}


def run(state: AgentState) -> dict[str, Any]:
    """Run the round's recipe through the local executor and compute its statistics."""
    recipe = state["select_recipe"]
    acc = tools.run_recipe(recipe)
    pool = tools.load_rows(state["pool"]["path"])
    selected = tools.load_rows(acc["export_path"])
    stats = tools.result_stats(pool, selected, state["targets"], state["knobs"])
    stats["run"] = acc
    text = (
        f"ran: {acc['in']} in = {acc['kept']} selected + {acc['dropped']} dropped + "
        f"{acc['errored']} errored in {acc['seconds']}s"
        + (f"; warnings: {acc['warnings']}" if acc["warnings"] else "")
    )
    return {"result": stats, "transcript": [turn("tool", text)]}

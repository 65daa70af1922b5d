"""Analyzer: a round's statistics against the targets; refine (bounded) or stop."""

from __future__ import annotations

from typing import Any, Literal

from mmcurate.agent import planner
from mmcurate.agent.context import DETERMINISTIC
from mmcurate.agent.nodes.common import (
    compact,
    fill_unset,
    settings_of,
    turn,
    vlm_fallback,
    vlm_used,
)
from mmcurate.agent.state import AgentState, Analysis, Targets
from mmcurate.agent.tools import MAX_THRESHOLD, MIN_THRESHOLD


def analyzer(state: AgentState) -> dict[str, Any]:
    """Findings and the next knobs. A VLM's decision is used when valid, clamped to the
    threshold bounds and known selectors; a setting already tried stops the loop."""
    settings = settings_of(state)
    targets = Targets.model_validate(state["targets"])
    knobs, result = dict(state["knobs"]), dict(state["result"])
    history = list(state.get("history") or [])
    seen = [h["knobs"] for h in history] + [knobs]
    analysis = planner.analyze(result, targets, knobs, seen)
    notes: list[str] = []
    if settings.uses_vlm:
        from mmcurate.agent.llm import ask

        stats = {k: v for k, v in result.items() if k != "run"}
        answer, error, ref = ask(
            settings,
            "analyzer",
            {
                "request": state["request"],
                "targets": compact(state["targets"], 600),
                "iteration": len(history) + 1,
                "max_iterations": settings.max_iterations,
                "knobs": compact(knobs, 300),
                "stats": compact(stats, 1200),
                "history": compact([h["summary"] for h in history], 600),
            },
            Analysis,
        )
        # the planner's findings are evidence here, not its answer: label them as rules
        rules = [f.replace(f"{DETERMINISTIC}: ", "planner rules (heuristic): ", 1)
                 for f in analysis.findings]  # fmt: skip
        if answer is None:
            notes.append(vlm_fallback(ref, error, "using the deterministic planner's rules"))
            analysis = analysis.model_copy(update={"findings": rules})
        else:
            vlm_findings = [f"vlm: {f}" for f in answer.findings]
            answer, missing = fill_unset(answer, analysis)
            if missing:
                notes.append(f"fields the VLM left out, from the planner: {', '.join(missing)}")
            notes.append(
                vlm_used(
                    ref,
                    f"decision {answer.decision}, threshold change {answer.threshold_delta:+g}, "
                    f"selector {answer.selector}; the planner's rules said {analysis.decision} "
                    f"({analysis.threshold_delta:+g}, {analysis.selector}); clamped, loop bounded",
                )
            )
            analysis = answer.model_copy(update={"findings": (vlm_findings + rules)[:8]})
    new = dict(knobs)
    new["threshold"] = round(
        min(MAX_THRESHOLD, max(0.0, float(knobs["threshold"]) + analysis.threshold_delta)), 3
    )
    if new["threshold"] and new["threshold"] < MIN_THRESHOLD:
        new["threshold"] = MIN_THRESHOLD
    if not targets.capabilities:
        new["threshold"] = 0.0
    if analysis.selector != "keep":
        new["selector"] = analysis.selector
    decision: Literal["refine", "stop"] = analysis.decision
    if decision == "refine" and any(planner._same(new, s) for s in seen):
        decision = "stop"
        notes.append("the proposed setting was already tried: stopping")
    if decision == "refine" and len(history) + 1 >= settings.max_iterations:
        notes.append(f"max_iterations ({settings.max_iterations}) reached: no further round")
    entry: dict[str, Any] = {
        "iteration": len(history) + 1,
        "knobs": knobs,
        "summary": {
            k: result.get(k)
            for k in ("rows", "candidates", "relevant_share", "styles_covered", "threshold")
        },
        "decision": decision,
        "findings": analysis.findings + notes,
    }
    history.append(entry)
    all_findings = [*analysis.findings, *notes]
    text = f"round {entry['iteration']}: {decision}. " + " | ".join(all_findings)
    return {
        "analysis": {**analysis.model_dump(), "decision": decision},
        "history": history,
        "iteration": len(history),
        "knobs": new if decision == "refine" else knobs,
        "transcript": [turn("analyzer", text, settings)],
    }


def route(state: AgentState) -> Literal["propose", "visualizer"]:
    """Refine while the analyzer asks and rounds remain (max_iterations bounds the loop)."""
    settings = settings_of(state)
    wants = state.get("analysis", {}).get("decision") == "refine"
    return (
        "propose" if wants and state.get("iteration", 0) < settings.max_iterations else "visualizer"
    )

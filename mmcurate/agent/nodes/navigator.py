"""Navigator: the request (and follow-ups) -> targets and the first round's knobs."""

from __future__ import annotations

from typing import Any

from mmcurate.agent import planner
from mmcurate.agent.nodes.common import (
    compact,
    fill_unset,
    settings_of,
    turn,
    vlm_fallback,
    vlm_used,
)
from mmcurate.agent.state import SELECTORS, AgentState, Targets, clamp_targets
from mmcurate.taxonomy import CAPABILITIES, STYLES


def navigator(state: AgentState) -> dict[str, Any]:
    """Plan targets. With a VLM, its answer is clamped to known names and merged with the
    command line's budget; an unusable answer falls back to the deterministic planner."""
    settings = settings_of(state)
    request, followups = state["request"], list(state.get("followups") or [])
    base, notes = planner.navigate(
        request, followups, settings.budget, settings.default_budget, use_embeddings=True
    )
    targets = base
    if settings.uses_vlm:
        from mmcurate.agent.llm import ask

        pool = state.get("pool", {}).get("profile", {})
        answer, error, ref = ask(
            settings,
            "navigator",
            {
                "request": request,
                "followups": compact(followups, 400) if followups else "none",
                "budget": settings.budget or "none",
                "pool": compact(pool, 1200),
                "capabilities": ", ".join(CAPABILITIES),
                "styles": ", ".join(STYLES),
                "selectors": ", ".join(SELECTORS),
            },
            Targets,
        )
        if answer is None:
            notes.append(vlm_fallback(ref, error, "using the deterministic planner's targets"))
        else:
            given, missing = fill_unset(answer, base)
            clamped, findings = clamp_targets(given)
            notes += findings
            if missing:
                notes.append(f"fields the VLM left out, from the planner: {', '.join(missing)}")
            if not clamped.capabilities and base.capabilities:
                notes.append("VLM named no known capability; keeping the planner's")
                clamped = clamped.model_copy(update={"capabilities": base.capabilities})
            budget = settings.budget or clamped.budget or base.budget
            n = int(state.get("pool", {}).get("scored") or 0)
            if n and budget and budget > n and settings.budget is None:
                notes.append(f"VLM budget {budget} > pool {n}; using {base.budget}")
                budget = base.budget
            targets = clamped.model_copy(update={"budget": budget})
            notes.append(vlm_used(ref, "targets clamped to known names"))
    knobs = planner.initial_knobs(targets)
    text = (
        f"targets: capabilities={targets.capabilities or 'all (balanced)'}, "
        f"styles={targets.styles or 'any'}, avoid={targets.avoid or 'none'}, "
        f"budget={targets.budget}, diversity={targets.diversity}, strict={targets.strict}, "
        f"selector={knobs['selector']}, threshold={knobs['threshold']:g}. " + "; ".join(notes)
    )
    return {
        "targets": targets.model_dump(),
        "knobs": knobs,
        "iteration": 0,
        "history": [],
        "transcript": [turn("navigator", text, settings)],
    }

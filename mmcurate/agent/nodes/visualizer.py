"""Visualizer: the final files in the output folder.

``selected.jsonl`` (the last round's selection, exported by the runner), ``recipe.yaml``
(reproduces it without the agent: ``curate run OUT/recipe.yaml``), ``report.html`` (plots,
sample grid, recipe, accounting) and the session transcript (``transcript.jsonl`` and
``transcript.md``). Everything is written inside the output folder.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from mmcurate.agent import planner, tools
from mmcurate.agent.context import DETERMINISTIC
from mmcurate.agent.nodes.common import (
    compact,
    settings_of,
    turn,
    vlm_fallback,
    vlm_used,
)
from mmcurate.agent.report import write_report
from mmcurate.agent.state import AgentState, ReportText, Turn


def visualizer(state: AgentState) -> dict[str, Any]:
    """Export the selection, write recipe.yaml, report.html and the transcript."""
    settings = settings_of(state)
    out = settings.out_dir
    final = dict(state["select_recipe"])
    final["export_path"] = str(out / "selected.jsonl")
    final["work_dir"] = str(settings.work_dir / "final")
    acc = tools.run_recipe(final)
    result = {**state["result"], "run": acc}
    findings = [f for h in state.get("history") or [] for f in h["findings"]]
    text = planner.report_text(state["request"], result, findings)
    note = ""
    if settings.uses_vlm:
        from mmcurate.agent.llm import ask

        stats = {k: v for k, v in result.items() if k not in ("run", "candidates_at")}
        answer, error, ref = ask(
            settings, "visualizer",
            {"request": state["request"], "stats": compact(stats, 1000),
             "findings": compact(findings[-8:], 800)},
            ReportText,
        )  # fmt: skip
        if answer is None:
            who = f"the {DETERMINISTIC.split(' (')[0]} (the VLM gave no usable answer)"
            text = planner.report_text(state["request"], result, findings, who=who)
            note = ". " + vlm_fallback(ref, error, "the planner's templated text")
        else:
            # a field the answer left out or left empty comes from the templated text
            templated = planner.report_text(
                state["request"], result, findings, who=f"the VLM at {settings.vlm_url}"
            )
            fields = ("headline", "highlights")
            kept = [f for f in fields if f not in answer.model_fields_set or not getattr(answer, f)]
            text = answer.model_copy(update={f: getattr(templated, f) for f in kept})
            used = [f for f in fields if f not in kept]
            note = ". " + vlm_used(ref, " and ".join(used) or "no field given")
            if kept:
                note += f"; templated {' and '.join(kept)} (left out or empty in the VLM's answer)"
    recipe_path = out / "recipe.yaml"
    header = (
        '# Written by the mmcurate agent (curate "REQUEST"); re-run without the agent:\n'
        f"#   curate run {recipe_path}\n"
        f"# request: {planner.clean(state['request'], 200)}\n"
        + "".join(f"# follow-up: {planner.clean(f, 200)}\n" for f in state.get("followups") or [])
    )
    recipe_path.write_text(
        header + yaml.safe_dump(state["recipe"], sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    report = write_report(
        out / "report.html",
        request=state["request"],
        text=text,
        pool_path=state["pool"]["path"],
        selected_path=acc["export_path"],
        state=state,
        result=result,
        settings=settings,
    )
    entry = turn(
        "visualizer",
        f"{text.headline}. Wrote {acc['export_path']}, {recipe_path}, {report}{note}",
        settings,
    )
    transcript: list[Turn] = [*list(state.get("transcript") or []), entry]
    outputs = {
        "selected": acc["export_path"],
        "recipe": str(recipe_path),
        "report": str(report),
        "transcript": str(out / "transcript.jsonl"),
        "session": str(out),
    }
    with (out / "transcript.jsonl").open("w", encoding="utf-8") as f:
        for t in transcript:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    md = [f"# mmcurate agent session\n\nrequest: {state['request']}\n"]
    md += [f"- **{t['role']}**: {t['text']}" for t in transcript]
    (out / "transcript.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return {"result": result, "outputs": outputs, "transcript": [entry]}

"""Extractor: structured facts (OCR text, objects, tags) from a few candidate samples.

Facts go into the report and the transcript; they never feed the recipe, so text inside
the data cannot change what the agent runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mmcurate.agent import planner, tools
from mmcurate.agent.nodes.common import fill_unset, settings_of, turn, vlm_fallback, vlm_used
from mmcurate.agent.state import AgentState, Facts


def extractor(state: AgentState) -> dict[str, Any]:
    """Facts about the best-scored candidates of the first target capability (or a seeded
    sample of the pool)."""
    settings = settings_of(state)
    k = settings.extract_samples
    if k == 0:
        return {"facts": []}
    ds, root = tools.load_with_root(state["pool"]["path"])
    caps = state["targets"].get("capabilities") or []
    n = len(ds)
    if n == 0:
        return {"facts": [], "transcript": [turn("extractor", "the pool is empty", settings)]}
    if caps:
        values = tools._scores(ds, caps[0])
        order = np.argsort(-values, kind="stable")[:k] if values.size else np.arange(min(k, n))
    else:
        order = np.random.default_rng(settings.seed).permutation(n)[:k]
    facts: list[dict[str, Any]] = []
    failures: list[str] = []
    ref = ""
    for i in order.tolist():
        row = ds[int(i)]
        fact = planner.extract(row)
        source = "lite perception"
        if settings.uses_vlm:
            from mmcurate.agent.llm import ask

            question = next(
                (m["content"] for m in row.get("messages") or [] if m["role"] == "user"), ""
            )
            images = list(row.get("images") or [])[:1]
            answer, error, ref = ask(
                settings, "extractor", {"question": planner.clean(question, 300)}, Facts,
                images=images, media_root=root,
            )  # fmt: skip
            if answer is not None:
                # fields the VLM left out come from lite perception (the source says so)
                fact, missing = fill_unset(answer, fact)
                source = "vlm" + (f" (lite: {', '.join(missing)})" if missing else "")
            else:
                failures.append(f"{row['id']}: {error}")
        facts.append({"id": row["id"], "source": source, **fact.model_dump()})
    text = f"facts from {len(facts)} samples: " + "; ".join(
        f"{f['id']}: text '{f['ocr_text'][:40]}', tags {f['tags'][:3]}" for f in facts[:4]
    )
    if settings.uses_vlm:
        if used := len(facts) - len(failures):
            text += ". " + vlm_used(ref, f"{used} of {len(facts)} samples")
        if failures:
            text += ". " + vlm_fallback(
                ref, " | ".join(failures)[:600], f"lite facts used for {len(failures)} samples"
            )
    return {"facts": facts, "transcript": [turn("extractor", text, settings)]}

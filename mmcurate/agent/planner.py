"""The deterministic planner: the four roles without a VLM (heuristics, labelled as such).

- navigator: keyword cues, then MiniLM similarity of the request to the capability
  definitions of ``prompts/capability-rubric.v1.yaml``, map the request to capabilities;
  cues map it to styles, "diverse"/"OCR-heavy" style words to diversity/strictness, and
  "budget 500" / "500 samples" to a budget. Follow-ups ("fewer charts", "add
  multi-choice", "budget 500") adjust the targets.
- extractor: facts from the lite perception stats (OCR text, styles, top capabilities);
  no object detector without a VLM, so ``objects`` stays empty.
- analyzer: rules over the run's statistics (budget met, share of relevant rows, style
  coverage) that refine the threshold or the selector, or stop.
- visualizer: a templated headline and highlights.

Every answer says :data:`~mmcurate.agent.context.DETERMINISTIC`. Sample text never reaches
the navigator or the analyzer (they see the request and counts only), so text inside the
data cannot steer what runs.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np

from mmcurate.agent.context import DETERMINISTIC
from mmcurate.agent.state import TEXT_MAX, Analysis, Facts, ReportText, Selector, Targets
from mmcurate.agent.tools import MAX_THRESHOLD, MIN_THRESHOLD, RELEVANT
from mmcurate.taxonomy import CAPABILITIES, STYLES

#: Word cues -> capability (heuristic; checked before embedding similarity).
CAPABILITY_CUES: dict[str, tuple[str, ...]] = {
    "optical_character_recognition": (
        "ocr", "text-heavy", "text heavy", "text-rich", "read the text", "reading", "document",
        "documents", "sign", "signs", "written", "handwriting", "scanned", "receipt", "text in",
    ),
    "data_understanding": ("chart", "charts", "graph", "graphs", "plot", "plots", "table",
                           "tables", "diagram", "diagrams", "infographic"),
    "stem_knowledge": ("math", "science", "stem", "physics", "chemistry", "equation"),
    "object_spatial_understanding": ("spatial", "position", "location", "layout", "grounding"),
    "attribute_identification": ("color", "colour", "attribute", "attributes", "material"),
    "scene_understanding": ("scene", "scenes", "landscape", "environment", "photo", "photos"),
    "fine_grained_recognition": ("fine-grained", "species", "breed", "landmark"),
    "language_generation": ("story", "poem", "creative", "writing"),
    "activity_recognition": ("activity", "activities", "action", "actions", "video", "videos"),
    "causal_reasoning": ("causal", "cause", "why"),
    "comparative_analysis": ("compare", "comparing", "comparative", "versus"),
    "humanities": ("history", "art", "culture", "humanities", "literature"),
    "logical_deduction": ("logic", "logical", "puzzle", "puzzles", "deduction"),
    "in_context_learning": ("few-shot", "in-context", "in context"),
}  # fmt: skip

#: Word cues -> interaction style.
STYLE_CUES: dict[str, tuple[str, ...]] = {
    "multi-choice": ("multi-choice", "multiple choice", "multiple-choice", "multichoice"),
    "coordinate": ("coordinate", "coordinates", "bounding box", "bbox"),
    "yes/no": ("yes/no", "yes or no", "yes-no"),
    "word/short-phrase": ("short answer", "short-answer", "short phrase", "one word"),
    "short description": ("short description", "caption", "captions"),
    "detailed description": ("detailed description", "detailed descriptions", "long description"),
    "comparison": ("comparison", "comparisons"),
    "chain-of-thought (step-by-step)": ("step-by-step", "step by step", "chain-of-thought",
                                        "chain of thought", "cot"),
    "specified style": ("specified style", "format instruction", "formatted"),
}  # fmt: skip

DIVERSITY_WORDS = ("diverse", "diversity", "variety", "varied", "different", "balanced", "mix")
STRICT_WORDS = ("heavy", "rich", "dense", "mostly", "strongly", "lots of", "plenty of")
_LESS = r"(?:fewer|less|no|without|drop|exclude|avoid|remove)"
_MORE = r"(?:add|more|include|with)"
_BUDGET_RES = (
    re.compile(r"budget\s*(?:of|=|:|to)?\s*(\d[\d,_]*)\s*(k)?\b", re.I),
    re.compile(r"\b(\d[\d,_]*)\s*(k)?\s*(?:samples|examples|rows|items|pairs)\b", re.I),
)
#: Similarity from which a capability definition matches a request (MiniLM, cosine).
SIMILARITY = 0.3


def _has(text: str, cue: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", text) is not None


def caps_in(text: str) -> list[str]:
    """Capabilities whose cues occur in ``text`` (taxonomy order)."""
    low = text.lower()
    return [c for c in CAPABILITIES if any(_has(low, w) for w in CAPABILITY_CUES.get(c, ()))]


def styles_in(text: str) -> list[str]:
    """Styles whose cues occur in ``text`` (taxonomy order)."""
    low = text.lower()
    return [s for s in STYLES if any(_has(low, w) for w in STYLE_CUES[s])]


def parse_budget(text: str) -> int | None:
    """``"budget 500"``, ``"budget: 2k"``, ``"300 samples"`` -> rows (the last mention)."""
    found: list[tuple[int, int]] = []
    for rx in _BUDGET_RES:
        for m in rx.finditer(text):
            value = int(m[1].replace(",", "").replace("_", "")) * (1000 if m[2] else 1)
            if value > 0:
                found.append((m.start(), value))
    return max(found)[1] if found else None


@cache
def _definitions() -> tuple[tuple[str, ...], np.ndarray]:
    """Capability definitions from the scoring rubric, embedded with MiniLM."""
    from pathlib import Path

    import yaml

    from mmcurate.scorers.lite.embed import TextEncoder

    rubric = Path(__file__).parent.parent / "prompts" / "capability-rubric.v1.yaml"
    defs = yaml.safe_load(rubric.read_text(encoding="utf-8"))["capabilities"]
    caps = tuple(c for c in CAPABILITIES if c in defs)
    texts = [f"{c.replace('_', ' ')}: {defs[c]}" for c in caps]
    return caps, TextEncoder(dtype="float32").encode(texts)


def similar_caps(text: str, top: int = 2) -> list[tuple[str, float]]:
    """Capabilities whose rubric definition is closest to ``text`` (cosine >= SIMILARITY)."""
    from mmcurate.scorers.lite.embed import TextEncoder

    caps, mat = _definitions()
    q = TextEncoder(dtype="float32").encode([text])[0]
    sims = mat @ q
    order = np.argsort(-sims)[:top]
    return [(caps[i], round(float(sims[i]), 3)) for i in order if sims[i] >= SIMILARITY]


def _phrases(text: str, verb: str) -> list[str]:
    """The words after ``verb`` ("fewer charts, more tables" -> ["charts", ...])."""
    return [m[1] for m in re.finditer(rf"\b{verb}\s+([\w/ -]+?)(?=[,.;!?]|\band\b|$)", text, re.I)]


def navigate(
    request: str,
    followups: list[str],
    budget: int | None,
    default_budget: int,
    use_embeddings: bool = True,
) -> tuple[Targets, list[str]]:
    """Targets for a request and its follow-ups, plus notes on how they were found."""
    notes: list[str] = []
    caps = caps_in(request)
    how = "keyword cues"
    if not caps and use_embeddings:
        sims = similar_caps(request)
        caps = [c for c, _ in sims]
        how = "MiniLM similarity to the capability definitions " + (
            ", ".join(f"{c} {s:.2f}" for c, s in sims) or "(none above threshold)"
        )
    styles = styles_in(request)
    avoid: list[str] = []
    low = request.lower()
    diversity = any(_has(low, w) for w in DIVERSITY_WORDS)
    strict = any(w in low for w in STRICT_WORDS)
    chosen_budget = parse_budget(request)
    if budget is not None:
        chosen_budget = budget
    for f in followups:
        for phrase in _phrases(f, _LESS):
            for c in caps_in(phrase):
                avoid.append(c)
                caps = [x for x in caps if x != c]
            styles = [s for s in styles if s not in styles_in(phrase)]
        for phrase in _phrases(f, _MORE):
            caps += [c for c in caps_in(phrase) if c not in caps and c not in avoid]
            styles += [s for s in styles_in(phrase) if s not in styles]
        if (b := parse_budget(f)) is not None:
            chosen_budget = b
        fl = f.lower()
        diversity = diversity or any(_has(fl, w) for w in DIVERSITY_WORDS)
    notes.append(f"capabilities from {how}")
    selector: Selector = "mmssr" if (diversity or styles or not caps) else "topk"
    avoid = list(dict.fromkeys(avoid))
    t = Targets(
        capabilities=caps,
        styles=styles,
        avoid=avoid,
        budget=chosen_budget or default_budget,
        diversity=diversity,
        strict=strict,
        selector=selector,
        rationale=clean(f"{DETERMINISTIC}: {how}", TEXT_MAX),
    )
    return t, notes


def initial_knobs(targets: Targets) -> dict[str, Any]:
    """The first round's threshold and selector."""
    threshold = 0.0
    if targets.capabilities:
        threshold = 3.0 if targets.strict else RELEVANT
    return {"threshold": threshold, "selector": targets.selector, "budget": targets.budget}


_UNSAFE = re.compile(r'[\x00-\x1f\\"]+')


def clean(text: str, n: int) -> str:
    """One line of at most ``n`` characters that fits the role schemas' text fields."""
    return _UNSAFE.sub(" ", text).strip()[:n]


def extract(row: dict[str, Any]) -> Facts:
    """Facts about one scored sample from its lite stats (heuristic; no object detector)."""
    stats = row.get("stats") or {}
    scores = row.get("scores") or {}
    ocr = str(stats.get("lite_perception_mapper.ocr_text") or "")
    top = sorted((v, k) for k, v in scores.items() if v is not None and v >= RELEVANT)[::-1]
    tags = [*list(row.get("styles") or [])[:4], *[k for _, k in top[:4]]][:8]
    tags = [c for t in tags if (c := clean(t, 60))]
    return Facts(ocr_text=clean(ocr, TEXT_MAX), objects=[], tags=tags)


def analyze(result: dict[str, Any], targets: Targets, knobs: dict[str, Any],
            seen: list[dict[str, Any]]) -> Analysis:  # fmt: skip
    """Rules: budget first, then the share of relevant rows, then style coverage."""
    findings: list[str] = []
    rows, budget = result["rows"], result["budget"]
    threshold = float(knobs.get("threshold") or 0.0)
    primary = result.get("primary")
    decision, delta, selector = "stop", 0.0, "keep"
    at = {float(k): v for k, v in (result.get("candidates_at") or {}).items()}
    if rows < budget:
        findings.append(f"{rows} rows selected, budget {budget} not met")
        if primary and threshold - 0.5 >= MIN_THRESHOLD:
            decision, delta = "refine", -0.5
            findings.append(
                f"only {result.get('candidates')} rows have {primary} >= {threshold:g}: "
                f"lowering the threshold to {threshold - 0.5:g}"
            )
        else:
            findings.append("the pool has no more matching rows: keeping this result")
    else:
        findings.append(f"budget met: {rows} rows")
    if primary and decision == "stop":
        share = float(result.get("relevant_share", 0.0))
        findings.append(
            f"{share:.0%} of the selection has {primary} >= {RELEVANT:g} "
            f"(pool: {float(result.get('pool_relevant_share', 0.0)):.0%})"
        )
        nxt = threshold + 0.5
        if share < 0.9 and nxt <= min(RELEVANT, MAX_THRESHOLD) and at.get(nxt, 0) >= budget:
            decision, delta = "refine", 0.5
            findings.append(f"raising the threshold to {nxt:g} ({at[nxt]} candidates)")
    covered, avail = result.get("styles_covered", []), result.get("styles_available", [])
    if decision == "stop" and (targets.diversity or targets.styles):
        want = min(5, len(avail))
        findings.append(f"{len(covered)} of 9 styles covered ({len(avail)} available)")
        if len(covered) < want and knobs.get("selector") != "mmssr":
            decision, selector = "refine", "mmssr"
            findings.append("switching to mmssr (style-balanced quotas) for more styles")
    for s in result.get("styles_missing", []):
        findings.append(f"requested style {s!r} is not in the selection")
    for a, share in (result.get("avoid_share") or {}).items():
        findings.append(f"{share:.0%} of the selection still has {a} >= {RELEVANT:g}")
    nxt_knobs = {**knobs, "threshold": round(threshold + delta, 3)}
    if selector != "keep":
        nxt_knobs["selector"] = selector
    if decision == "refine" and any(_same(nxt_knobs, h) for h in seen):
        decision = "stop"
        findings.append("that setting was already tried: stopping")
    findings[0] = f"{DETERMINISTIC}: {findings[0]}"
    findings = [clean(f, TEXT_MAX) for f in findings]
    return Analysis(
        decision=decision,  # type: ignore[arg-type]
        threshold_delta=delta,
        selector=selector,  # type: ignore[arg-type]
        findings=findings[:8],
    )


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("threshold", "selector", "budget")
    return all(a.get(k) == b.get(k) for k in keys)


def report_text(
    request: str, result: dict[str, Any], findings: list[str], who: str = f"the {DETERMINISTIC}"
) -> ReportText:
    """Headline and highlights of the report (``who``: who answered the roles)."""
    head = f"Selected {result['rows']} of {result['pool_rows']} samples for: {request}"
    lines = [f"Answers by {who}."]
    if result.get("primary"):
        share = float(result.get("relevant_share", 0))
        pool_share = float(result.get("pool_relevant_share", 0))
        lines.append(
            f"{share:.0%} of the selection scores {result['primary']} >= {RELEVANT:g} "
            f"(pool {pool_share:.0%})"
        )
    lines.append(f"{len(result.get('styles_covered', []))} of 9 interaction styles covered")
    lines += [f.split(": ", 1)[-1] for f in findings[:3]]
    highlights = [c for x in lines[:6] if (c := clean(x, TEXT_MAX))]
    return ReportText(headline=clean(head, TEXT_MAX), highlights=highlights)

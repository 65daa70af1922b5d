"""Lite capability heuristics: cues, evidence, the 0-5 mapping, and measured accuracy on
generated data whose target capability is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from mmcurate.sample import Message, Sample
from mmcurate.scorers.lite import capabilities as caps
from mmcurate.scorers.lite.embed import TextEncoder
from mmcurate.taxonomy import CAPABILITIES
from tests.scorers.conftest import Perceived

#: Measured on the session's demo data (n=80, seed 7): top-1 0.838, top-3 0.988. The
#: floors leave room for small bf16/threading differences, not for regressions.
TOP1_FLOOR = 0.76
TOP3_FLOOR = 0.93


@pytest.fixture(scope="module")
def model() -> caps.CapabilityModel:
    enc = TextEncoder()
    return caps.CapabilityModel({c: enc.encode(list(caps.PROFILES[c])) for c in CAPABILITIES})


def _top(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda c: (-scores[c], CAPABILITIES.index(c)))


def test_question_stem_drops_format_instructions_and_options() -> None:
    q = (
        "Which shape is the smallest?\nA. red circle\nB. blue square\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert caps.question_stem(q) == "Which shape is the smallest?"
    q2 = "What colour is it?\nAnswer the question using a single word or phrase."
    assert caps.question_stem(q2) == "What colour is it?"


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Where is the dog in the image?", "[0.1, 0.2, 0.5, 0.6]", "object_spatial_understanding"),
        ("What colour is the umbrella?", "Red", "attribute_identification"),
        ("Why is the street wet?", "It rained.", "causal_reasoning"),
        ("What does the sign say?", "STOP", "optical_character_recognition"),
        ("Compare the two cars.", "The left one is newer.", "comparative_analysis"),
        ("What is the man doing?", "Surfing.", "activity_recognition"),
        ("Which bar in the chart is highest?", "March", "data_understanding"),
        (
            'Examples: "two cats" -> cats=2; "one dog" -> dog=1. Using the same format, '
            "count the birds.",
            "birds=3",
            "in_context_learning",
        ),
    ],
)
def test_cues_point_at_the_asked_capability(question: str, answer: str, expected: str) -> None:
    cues = caps.cue_scores(question, answer)
    assert max(cues, key=lambda c: cues[c]) == expected, cues


def test_single_word_instruction_is_not_an_ocr_cue() -> None:
    cues = caps.cue_scores(
        "What colour is the car?\nAnswer the question using a single word or phrase.", "red"
    )
    assert "optical_character_recognition" not in cues


def test_long_answers_count_for_language_generation() -> None:
    short = caps.cue_scores("What is shown?", "A cat.")
    long = caps.cue_scores("What is shown?", " ".join(["word"] * 90))
    assert long.get("language_generation", 0) > short.get("language_generation", 0) + 0.9


def test_visual_evidence_from_stats() -> None:
    ocr = caps.visual_scores(
        {"ocr_words": 30, "ocr_text": "SPEED LIMIT 30\nSCHOOL ZONE"},
        [("What does the sign say?", "SCHOOL ZONE")],
        videos=0,
    )
    assert ocr["optical_character_recognition"] > 1.0
    chart = caps.visual_scores({"chart_cue": 0.9, "text_region_ratio": 0.02}, [], videos=0)
    assert chart["data_understanding"] > 0.5
    doc = caps.visual_scores({"chart_cue": 0.9, "text_region_ratio": 0.2}, [], videos=0)
    assert doc.get("data_understanding", 0.0) == 0.0  # text-heavy: a document, not a chart
    assert caps.visual_scores({"images": 2}, [], 0)["comparative_analysis"] > 0
    assert caps.visual_scores({}, [], videos=1)["activity_recognition"] > 0


def test_history_words_read_in_the_image_count_for_humanities() -> None:
    vis = caps.visual_scores(
        {"ocr_words": 20, "ocr_text": "Timeline: the Roman empire, the medieval battle of X"},
        [("Briefly describe this document.", "A timeline.")],
        videos=0,
    )
    assert vis["humanities"] > 0


def test_scores_are_on_the_0_to_5_scale(model: caps.CapabilityModel) -> None:
    ev = caps.Evidence(
        semantic={"scene_understanding": 0.3}, cues={"scene_understanding": 9.0}, visual={}
    )
    scores = model.to_scores(ev, CAPABILITIES)
    assert set(scores) == set(CAPABILITIES)
    assert all(0.0 <= v <= 5.0 for v in scores.values())
    assert scores["humanities"] == 0.0 and scores["scene_understanding"] > 4.5
    ints = model.to_scores(ev, ["scene_understanding", "humanities"], integer=True)
    assert ints == {"scene_understanding": 5.0, "humanities": 0.0}


def test_first_turn_weighs_more_than_follow_ups(model: caps.CapabilityModel) -> None:
    qa = [("What colour is the car?", "Red."), ("Why is it parked here?", "To shop.")]
    ev = model.evidence(qa, None, {})
    assert ev.cues["attribute_identification"] > ev.cues["causal_reasoning"]


def test_semantic_evidence_prefers_the_matching_profile(model: caps.CapabilityModel) -> None:
    vec = TextEncoder().encode(["Which breed of dog is this? A beagle."])[0]
    sem = model.semantic(vec)
    assert max(sem, key=lambda c: sem[c]) == "fine_grained_recognition"
    assert max(sem.values()) == pytest.approx(caps.SEM_WEIGHT)
    assert model.semantic(np.zeros(384, np.float32)) == dict.fromkeys(CAPABILITIES, 0.0)


def test_turns_pairs_questions_with_answers() -> None:
    s = Sample(
        id="x",
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="user", content="<image>\nWhat is it?"),
            Message(role="assistant", content="A cat."),
            Message(role="user", content="Colour?"),
        ],
    )
    assert caps.turns(s) == [("What is it?", "A cat."), ("Colour?", "")]


def test_accuracy_on_generated_data(model: caps.CapabilityModel, lite_perceived: Perceived) -> None:
    """Top-scored capability vs ``meta.demo.capabilities[0]`` (the first turn's primary)."""
    top1 = top3 = 0
    for sample, stats in zip(lite_perceived.samples, lite_perceived.stats, strict=True):
        vec = np.asarray(stats["text_embedding"], dtype=np.float32)
        ev = model.evidence(caps.turns(sample), vec, stats, videos=len(sample.videos))
        ranked = _top(model.to_scores(ev, CAPABILITIES))
        truth = sample.meta["demo"]["capabilities"][0]
        top1 += ranked[0] == truth
        top3 += truth in ranked[:3]
    n = len(lite_perceived.samples)
    print(
        f"lite capability accuracy on {n} demo samples: top-1 {top1 / n:.3f}, top-3 {top3 / n:.3f}"
    )
    assert top1 / n >= TOP1_FLOOR
    assert top3 / n >= TOP3_FLOOR

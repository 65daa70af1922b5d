"""Rule styler: each rule with cases that can fail, and accuracy on hand-labelled turns.

``tests/data/styles_labels.jsonl`` holds 221 hand-labelled Q/A turns (150 real, from
../shared/data/realdata; 71 generated, ``curate demo-data --n 200 --seed 11``), labelled by
reading each turn against the guide in :mod:`mmcurate.scorers.styler_rules` (README, "Lite
scoring"). ``split`` is ``dev`` for turns seen while the rules were written and
``holdout`` for 40 turns labelled after the rules were frozen. The question and answer text
is copied into the file, so the accuracy test needs nothing outside the repository; a
provenance test checks the real turns against ../shared (skipped when it is absent). The
demo turns can be regenerated with ``mmcurate.demodata.generate(dir, n=200, seed=11)``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from mmcurate.sample import Message, Sample
from mmcurate.scorers import styler_rules as sr
from mmcurate.taxonomy import STYLES

LABELS = Path(__file__).resolve().parents[1] / "data" / "styles_labels.jsonl"
REALDATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "realdata"
MC, COORD, YN, PHRASE, SHORT, DETAIL, COMP, COT, SPEC = STYLES


def _labels() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which is red?\nA. the ball\nB. the box\nAnswer with the option's letter.", True),
        ("Pick one: (a) cat (b) dog", True),
        ("Options: cat, dog, bird. Which animal is shown?", True),
        ("1. Describe the image. 2. Count the people.", False),  # parts, not options
        ("Is it A or B?", False),
    ],
)
def test_multi_choice(question: str, expected: bool) -> None:
    assert sr.is_multi_choice(question) is expected


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Where is the cat?", "[0.12, 0.30, 0.55, 0.90]", True),
        ("Where is the cat?", "[12, 30, 155, 190]", True),
        ("Point at the cup.", "(0.42, 0.67)", True),
        ("Give the bounding box of the dog.", "Sorry, there is no dog.", True),
        ("Where is the frisbee?", "In the dog's mouth.", False),
        ("How big is it?", "About (73.7 x 92.1 cm).", False),
        ("List the prices.", "[3, 4]", False),
    ],
)
def test_coordinate(question: str, answer: str, expected: bool) -> None:
    assert sr.is_coordinate(question, answer) is expected


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Is there a dog?", "Yes", True),
        ("Is the terrace bigger than the kitchen?", "No, it is smaller.", True),
        ("Is this photo unusual?", "AI: yes, the house is upside down.", True),
        ("这是猫吗？", "是的。", True),
        ("Can you write a poem about it?", "Yes, here it is: ...", False),  # a request
        ("Is this photo unusual?", "The photo shows a house upside down.", False),
        ("What is on the table?", "Nothing", False),
    ],
)
def test_yes_no(question: str, answer: str, expected: bool) -> None:
    assert sr.is_yes_no(question, answer) is expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Compare the two charts.", True),
        ("What is the difference between the images?", True),
        ("Is the terrace bigger than the kitchen?", True),
        ("How much cheaper is the electric car, over a year of driving, than the gas car?", True),
        ("Who is the taller man?", True),
        ("Which of the two images is brighter?", True),
        ("Do both images show a cat?", True),
        ("Using the same format, report the value.", False),
        ("What is the spatial relation between the frisbee and the man?", False),
        ("Which shape is the smallest?", False),
        ("Do higher values of x go with higher values of y?", False),
    ],
)
def test_comparison(question: str, expected: bool) -> None:
    assert sr.is_comparison(question) is expected


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("How many? Think step by step.", "4", True),
        ("Solve it, step-by-step.", "x = 2", True),
        ("How old is he?", "Step 1: born 1980.\nStep 2: 2020 - 1980 = 40.\nAnswer: 40", True),
        ("How do I bake bread?", "First, mix flour. Then knead. Finally bake.", False),
        ("What is the first step?", "Step 1: mix the flour.", False),  # one step, no reasoning
    ],
)
def test_chain_of_thought(question: str, answer: str, expected: bool) -> None:
    assert sr.is_chain_of_thought(question, answer) is expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Return the values as a JSON object.", True),
        ("Convert the table to CSV.", True),
        ("Write a short poem about this image.", True),
        ("Help us write an advertisement for the mugs.", True),
        ("In exactly three words, what is the topic?", True),
        ("Describe it in 20 words.", True),
        ("Transcribe the entries, one per line.", True),
        ("Translate the sign into French.", True),
        ("Using the same scheme, label the shape.", True),
        ("Can you transform this flowchart into a simple program in python?", True),
        ("Summarize the document in one sentence.", False),
        ("Describe the image in detail.", False),
        ("Answer the question using a single word or phrase.", False),
        ("What is in the table?", False),
        ("Tell me about the history of this place.", False),
    ],
)
def test_specified_style(question: str, expected: bool) -> None:
    assert sr.is_specified(question) is expected


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("What is it?", "A red bus.", PHRASE),
        ("What is it?", "She is cooking dinner for two.", SHORT),
        ("What is it?", " ".join(["word"] * 51), DETAIL),
        (
            "What is it? Answer using a single word or phrase.",
            "He is looking at the sea now.",
            PHRASE,
        ),
        ("Describe the image briefly.", "A bus.", SHORT),
        ("Describe this image as detailed as possible.", "A bus.", DETAIL),
        ("Can you give me a short introduction?", " ".join(["word"] * 80), SHORT),
        ("他们在做什么？", "他们在足球场上庆祝。", SHORT),
        ("这是什么？", "一段卡通", PHRASE),
    ],
)
def test_length_bands(question: str, answer: str, expected: str) -> None:
    assert sr.length_band(question, answer) == expected


def test_word_count_ignores_punctuation_and_counts_cjk() -> None:
    assert sr.word_count("The total is $ 3.99 .") == 4
    assert sr.word_count("中国宇航员") == pytest.approx(5 / 1.5)


def test_closed_forms_get_no_length_band() -> None:
    assert sr.turn_styles("Is it red?", "Yes") == [YN]
    assert sr.turn_styles("Which?\nA. x\nB. y", "B") == [MC]
    assert sr.turn_styles("Why? Think step by step.", "Step 1: a. Step 2: b.") == [COT]
    assert sr.turn_styles("Compare them.", "The left one is larger than the right.") == [
        SHORT,
        COMP,
    ]
    assert sr.turn_styles("Where is it?", "") == []  # no answer: no band


def test_sample_styles_union_in_taxonomy_order() -> None:
    s = Sample(
        id="x",
        messages=[
            Message(role="user", content="<image>\nIs it red?"),
            Message(role="assistant", content="Yes"),
            Message(role="user", content="Compare it with the blue one."),
            Message(role="assistant", content="The red one is larger than the blue one."),
            Message(role="user", content="Is it big?"),
            Message(role="assistant", content="No"),
        ],
    )
    assert sr.sample_styles(s) == [YN, SHORT, COMP]
    with pytest.raises(ValueError, match="no user turn"):
        sr.sample_styles(Sample(id="e", messages=[Message(role="user", content="<image>")]))


def test_label_file_shape() -> None:
    rows = _labels()
    assert len(rows) >= 150
    counts = Counter(r["source"] for r in rows)
    assert counts["realdata"] >= 90 and counts["demo"] >= 50
    for r in rows:
        assert set(r) >= {"source", "split", "sample_id", "turn", "question", "answer", "labels"}
        assert r["labels"] == [s for s in STYLES if s in r["labels"]], r["sample_id"]
        assert r["labels"], r["sample_id"]
    assert {r["split"] for r in rows} == {"dev", "holdout"}


def test_accuracy_on_hand_labels() -> None:
    rows = _labels()
    exact = Counter()
    per_style = Counter()
    for r in rows:
        pred = sr.turn_styles(r["question"], r["answer"])
        ok = pred == r["labels"]
        exact[r["split"]] += ok
        exact["all"] += ok
        for s in STYLES:
            per_style[s] += (s in pred) == (s in r["labels"])
    n = len(rows)
    n_hold = sum(r["split"] == "holdout" for r in rows)
    print(f"styler exact match: {exact['all']}/{n}; holdout {exact['holdout']}/{n_hold}")
    assert exact["all"] / n >= 0.95
    assert exact["holdout"] / n_hold >= 0.9
    for s in STYLES:
        assert per_style[s] / n >= 0.97, s


def test_realdata_copies_match_the_source() -> None:
    path = REALDATA / "realdata_llava.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is absent (the label file carries its own copy of the text)")
    convs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        convs[rec["id"]] = rec["conversations"]
    for r in _labels():
        if r["source"] != "realdata":
            continue
        conv = convs[r["sample_id"]]
        assert conv[2 * r["turn"]]["value"] == r["question"]
        assert conv[2 * r["turn"] + 1]["value"] == r["answer"]

"""Turn builders, one per interaction style, and conversation assembly.

The wording conventions follow LLaVA's instruction data (e.g. "Answer the question using a
single word or phrase."), so filters and scorers see familiar prompts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from mmcurate.demodata.items import (
    CHAIN_OF_THOUGHT,
    COMPARISON,
    COORDINATE,
    DETAILED_DESC,
    MULTI_CHOICE,
    SHORT_DESC,
    SHORT_PHRASE,
    SPECIFIED,
    YES_NO,
    Turn,
)
from mmcurate.sample import IMAGE_TOKEN, VIDEO_TOKEN

LETTERS = "ABCD"
SHORT_SUFFIX = "Answer the question using a single word or phrase."
MC_SUFFIX = "Answer with the option's letter from the given choices directly."
BOX_SUFFIX = (
    "Answer with a bounding box [x1, y1, x2, y2] in coordinates normalised to the image "
    "size (0 to 1)."
)

Caps = Sequence[str]


def short_answer(question: str, answer: str, caps: Caps, ocr: bool = False) -> Turn:
    """A word/short-phrase turn."""
    return Turn(f"{question}\n{SHORT_SUFFIX}", answer, (SHORT_PHRASE,), tuple(caps), ocr)


def transcription(question: str, text: str, caps: Caps, multiline: bool = False) -> Turn:
    """An OCR transcription turn: the answer is the rendered text, exactly.

    Single-line text is a word/short-phrase answer; a multi-line transcription fixes an
    output format (one output line per text line), so it is a specified-style turn.
    """
    style = SPECIFIED if multiline else SHORT_PHRASE
    return Turn(question, text, (style,), tuple(caps), ocr=True, transcription=True)


def yes_no(question: str, truth: bool, caps: Caps, ocr: bool = False) -> Turn:
    """A yes/no turn."""
    return Turn(question, "Yes" if truth else "No", (YES_NO,), tuple(caps), ocr)


def multi_choice(
    rng: random.Random,
    question: str,
    correct: str,
    distractors: Sequence[str],
    caps: Caps,
    ocr: bool = False,
) -> Turn:
    """A multi-choice turn with up to four lettered options; the answer is the letter.

    Args:
        rng: Shuffles the options.
        question: The question stem.
        correct: The true option.
        distractors: Wrong options (duplicates of ``correct`` are ignored; the first three
            distinct ones are used).
        caps: Capabilities exercised.
        ocr: Whether text in the image is essential.
    """
    wrong: list[str] = []
    for d in distractors:
        if d != correct and d not in wrong:
            wrong.append(d)
    options = [correct, *wrong[:3]]
    rng.shuffle(options)
    lines = [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(options)]
    text = "\n".join([question, *lines, MC_SUFFIX])
    return Turn(text, LETTERS[options.index(correct)], (MULTI_CHOICE,), tuple(caps), ocr)


def description(question: str, answer: str, caps: Caps, detailed: bool, ocr: bool = False) -> Turn:
    """A short or detailed description turn."""
    style = DETAILED_DESC if detailed else SHORT_DESC
    return Turn(question, answer, (style,), tuple(caps), ocr)


def comparison(question: str, answer: str, caps: Caps, ocr: bool = False) -> Turn:
    """A comparison turn (two regions, objects, values or images)."""
    return Turn(question, answer, (COMPARISON,), tuple(caps), ocr)


def chain_of_thought(
    question: str, steps: Sequence[str], answer: str, caps: Caps, ocr: bool = False
) -> Turn:
    """A step-by-step turn: numbered reasoning steps, then ``Answer: ...``."""
    body = "\n".join(f"Step {i}: {s}" for i, s in enumerate(steps, 1))
    return Turn(
        f"{question} Think step by step.",
        f"{body}\nAnswer: {answer}",
        (CHAIN_OF_THOUGHT,),
        tuple(caps),
        ocr,
    )


def grounding(
    target: str,
    bbox_norm: Sequence[float],
    caps: Caps,
    ocr: bool = False,
    where: str = "in the image",
) -> Turn:
    """A coordinate turn: the answer is the normalised box of ``target``.

    Args:
        target: The phrase naming the object (``"the red circle"``).
        bbox_norm: Its box, normalised to 0-1.
        caps: Capabilities exercised.
        ocr: Whether text is essential to find it.
        where: Which image, for multi-image samples (``"in the second image"``).
    """
    return Turn(
        f"Where is {target} {where}? {BOX_SUFFIX}",
        format_box(bbox_norm),
        (COORDINATE,),
        tuple(caps),
        ocr,
        pixel_exact=True,
    )


def specified(question: str, answer: str, caps: Caps, ocr: bool = False) -> Turn:
    """A turn whose question fixes the output format (JSON, exactly N words, ...)."""
    return Turn(question, answer, (SPECIFIED,), tuple(caps), ocr)


def as_json(value: Any) -> str:
    """The canonical JSON text used in specified-style answers."""
    return json.dumps(value, ensure_ascii=False)


def format_box(bbox_norm: Sequence[float]) -> str:
    """``[0.1, 0.2, 0.3, 0.4]`` -> ``"[0.100, 0.200, 0.300, 0.400]"``."""
    return "[" + ", ".join(f"{v:.3f}" for v in bbox_norm) + "]"


def conversation(turns: Sequence[Turn], n_images: int, video: bool) -> list[dict[str, str]]:
    """LLaVA ``conversations`` for the turns, placeholders at the start of the first turn.

    Args:
        turns: The chosen turns, in order.
        n_images: Number of ``<image>`` placeholders to put in the first human turn.
        video: Put one ``<video>`` placeholder instead.
    """
    prefix = f"{VIDEO_TOKEN}\n" if video else f"{IMAGE_TOKEN}\n" * n_images
    convo: list[dict[str, str]] = []
    for i, turn in enumerate(turns):
        question = prefix + turn.question if i == 0 else turn.question
        convo.append({"from": "human", "value": question})
        convo.append({"from": "gpt", "value": turn.answer})
    return convo

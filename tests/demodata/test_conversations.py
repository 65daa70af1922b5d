from __future__ import annotations

import random

import pytest

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    CHAIN_OF_THOUGHT,
    COORDINATE,
    MULTI_CHOICE,
    SCENE,
    SPECIFIED,
    Turn,
)
from tests.demodata.util import chosen_option, parse_box


@pytest.mark.parametrize("seed", range(10))
def test_multi_choice_letter_points_to_the_correct_option(seed: int) -> None:
    turn = cv.multi_choice(
        random.Random(seed), "Q?", "right", ["a", "right", "b", "c", "d"], [SCENE]
    )
    assert turn.styles == (MULTI_CHOICE,)
    assert turn.answer in "ABCD" and chosen_option(turn.question, turn.answer) == "right"
    assert turn.question.count("\n") == 5  # stem, 4 options, instruction


def test_chain_of_thought_and_grounding_formats() -> None:
    cot = cv.chain_of_thought("Why?", ["one", "two"], "three", [SCENE])
    assert cot.styles == (CHAIN_OF_THOUGHT,)
    assert cot.answer == "Step 1: one\nStep 2: two\nAnswer: three"
    box = cv.grounding("the dot", [0.1, 0.25, 0.5, 1.0], [SCENE])
    assert box.styles == (COORDINATE,) and box.pixel_exact
    assert parse_box(box.answer) == [0.1, 0.25, 0.5, 1.0]
    assert cv.transcription("Read", "a\nb", [SCENE], multiline=True).styles == (SPECIFIED,)


def test_conversation_puts_placeholders_in_the_first_turn() -> None:
    turns = [cv.yes_no("Is it?", True, [SCENE]), cv.short_answer("What?", "x", [SCENE])]
    two = cv.conversation(turns, 2, video=False)
    assert [t["from"] for t in two] == ["human", "gpt", "human", "gpt"]
    assert two[0]["value"].startswith("<image>\n<image>\nIs it?")
    assert "<image>" not in two[2]["value"]
    assert cv.conversation(turns, 0, video=True)[0]["value"].startswith("<video>\nIs it?")


def test_turn_rejects_labels_outside_the_taxonomy() -> None:
    with pytest.raises(ValueError):
        Turn("q", "a", ("poetry",), (SCENE,))
    with pytest.raises(ValueError):
        Turn("q", "a", (MULTI_CHOICE,), ("cooking",))

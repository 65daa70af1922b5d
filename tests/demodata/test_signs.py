from __future__ import annotations

import random

import numpy as np
import pytest

from mmcurate.demodata import signs
from mmcurate.demodata.items import COORDINATE
from tests.demodata.util import chosen_option, parse_box


@pytest.mark.parametrize("seed", range(30))
def test_sign_text_box_and_answers(seed: int) -> None:
    item = signs.build(random.Random(seed))
    truth = item.truth
    arr = np.asarray(item.pictures[0].image).astype(int)
    (box,) = truth["boxes"]
    x1, y1, x2, y2 = box["bbox"]
    plate = arr[y1:y2, x1:x2]
    assert np.all(plate == box["rgb"], axis=-1).mean() > 0.4
    ink = np.array(signs.SIGN_COLORS[truth["text_color"]])
    assert (np.abs(plate - ink).sum(axis=-1) < 30).any()  # the text is drawn on the plate
    assert truth["text"] == " ".join(truth["lines"])
    assert truth["setting"] in signs.SETTINGS
    for t in item.turns:
        q, a = t.question, t.answer
        if COORDINATE in t.styles:
            assert parse_box(a) == box["bbox_norm"]
        elif q.startswith("What does the") and "\nA." not in q:
            assert a == truth["text"] and t.ocr
        elif q.startswith("What does the"):
            assert chosen_option(q, a) == truth["text"]
        elif q.startswith("Write the text on the"):
            assert a == truth["text"].lower()
        elif q.startswith("What is the background colour"):
            assert a == truth["plate_color"]
            assert tuple(box["rgb"]) == signs.SIGN_COLORS[a]
        elif q.startswith("How many words"):
            assert a.endswith(f"Answer: {len(truth['text'].split())}")

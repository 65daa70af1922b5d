from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from mmcurate.demodata import documents
from mmcurate.demodata.items import COORDINATE
from tests.demodata.util import chosen_option, parse_box

CASES = [(name, seed) for name in sorted(documents.BUILDERS) for seed in range(6)]


def _money(text: str) -> int:
    return int(text.replace("$", "").replace(".", ""))


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_document_answers_are_true(name: str, seed: int) -> None:
    item = documents.BUILDERS[name](random.Random(seed))
    truth = item.truth
    arr = np.asarray(item.pictures[0].image.convert("L")).astype(int)
    h, w = arr.shape
    assert item.kind == "document" and item.variant == name
    assert all(t.ocr for t in item.turns)
    for t in item.turns:
        q, a = t.question, t.answer
        if q.startswith("What is the title of"):
            assert a == truth["title"]
        elif q.startswith("Transcribe all the text"):
            assert a == "\n".join([truth["title"], *truth["lines"]])
        elif COORDINATE in t.styles:
            box = parse_box(a)
            (entry,) = [b for b in truth["boxes"] if b["bbox_norm"] == box]
            x1, y1, x2, y2 = entry["bbox"]
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            assert (arr[y1:y2, x1:x2] < 110).mean() > 0.03  # ink inside
        elif q.startswith("What is the total amount"):
            assert a == truth["total"]
        elif q.startswith("List the purchased items"):
            assert json.loads(a) == truth["items"]
        elif q.startswith("Which item was the most expensive?"):
            top = max(truth["items"], key=lambda it: _money(it["price"]))
            assert chosen_option(q, a) == top["name"]
        elif m := re.match(r'What is written in the "(.+)" field\?', q):
            assert a == truth["fields"][m[1]]
        elif q.startswith("Extract the filled-in fields"):
            assert json.loads(a) == truth["fields"]
        elif m := re.match(r'Is the "(.+)" box ticked\?', q):
            assert a == ("Yes" if truth["checkboxes"][m[1]] else "No")
        elif q.startswith("Convert the table to CSV"):
            rows = [truth["header"], *truth["rows"]]
            assert a == "\n".join(",".join(r) for r in rows)
        elif q.startswith("List the events as a JSON"):
            assert json.loads(a) == {str(y): e for y, e in truth["events"]}
        elif q.startswith("Transcribe the timeline entries"):
            assert a.split("\n") == truth["lines"]
    if name == "receipt":
        assert sum(_money(it["price"]) for it in truth["items"]) == _money(truth["total"])


@pytest.mark.parametrize("seed", range(10))
def test_form_age_reasoning(seed: int) -> None:
    item = documents.form(random.Random(seed))
    year, month, day = map(int, item.truth["fields"]["Date of birth"].split("-"))
    (cot,) = [t for t in item.turns if t.question.startswith("How old was the person")]
    age = 2025 - year - (1 if (month, day) > (1, 1) else 0)
    assert cot.answer.endswith(f"Answer: {age} years old")


def test_passages_have_three_word_topics() -> None:
    for p in documents.PASSAGES:
        assert len(p.topic.split()) == 3
        assert p.choice[1] not in p.choice[2]

from __future__ import annotations

import json
import random

import pytest

from mmcurate.demodata import charts
from tests.demodata.util import chosen_option

CASES = [(name, seed) for name in sorted(charts.BUILDERS) for seed in range(3)]


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_chart_answers_are_true(name: str, seed: int) -> None:
    item = charts.BUILDERS[name](random.Random(seed))
    truth = item.truth
    img = item.pictures[0].image
    assert img.mode == "RGB" and 400 <= img.width <= 700
    assert truth["chart"] == name and item.variant == name
    values = dict(zip(truth.get("labels", []), truth.get("values", []), strict=True))
    for t in item.turns:
        q, a = t.question, t.answer
        if q.startswith("What is the title of the chart?"):
            assert a == truth["title"] and t.ocr
        elif q.startswith("What is the value for "):
            assert a == str(values[q.removeprefix("What is the value for ").split("?")[0]])
        elif q.startswith("Which category has the highest value?") or q.startswith(
            "Which slice is the largest?"
        ):
            assert chosen_option(q, a) == max(values, key=values.__getitem__)
        elif q.startswith(("Give the data as a JSON", "Return the slices")):
            assert json.loads(a) == values
        elif q.startswith("What percentage is "):
            assert a == f"{values[q.removeprefix('What percentage is ').split('?')[0]]}%"
        elif q.startswith("In which period was the value highest?"):
            assert a == max(values, key=values.__getitem__)
        elif q.startswith("How many points are plotted?"):
            assert a == str(len(truth["points"]))
        elif q.startswith("Do higher values of"):
            assert a == ("Yes" if truth["correlation"] > 0 else "No")
        elif q.startswith("What is the average"):
            mean = sum(truth["values"]) / len(truth["values"])
            assert float(a.rsplit("Answer: ", 1)[1]) == pytest.approx(mean, abs=0.005)
    if name == "pie":
        assert sum(truth["values"]) == 100 and min(truth["values"]) >= 10


def test_values_are_unique_where_questions_need_it() -> None:
    for seed in range(10):
        bar = charts.bar(random.Random(seed)).truth["values"]
        assert len(set(bar)) == len(bar)
        pie = charts.pie(random.Random(seed)).truth["values"]
        assert pie.count(max(pie)) == 1

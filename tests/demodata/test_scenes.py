from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from mmcurate.demodata import scenes
from mmcurate.demodata.items import COORDINATE, PALETTE, Item
from tests.demodata.util import chosen_option, parse_box


def _pixels(item: Item, index: int = 0) -> np.ndarray:
    return np.asarray(item.pictures[index].image).astype(int)


@pytest.mark.parametrize("seed", range(25))
def test_objects_are_measured_from_pixels(seed: int) -> None:
    item = scenes.build(random.Random(seed))
    arr = _pixels(item)
    h, w = arr.shape[:2]
    assert item.truth["size"] == [w, h]
    for o in item.truth["objects"]:
        mask = np.all(arr == PALETTE[o["color"]], axis=-1)
        ys, xs = np.nonzero(mask)
        assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == o["bbox"]
        assert mask.sum() == o["area"]
        x1, y1, x2, y2 = o["bbox"]
        assert mask[(y1 + y2) // 2, (x1 + x2) // 2]
        assert o["bbox_norm"] == [
            round(x1 / w, 3),
            round(y1 / h, 3),
            round(x2 / w, 3),
            round(y2 / h, 3),
        ]


@pytest.mark.parametrize("seed", range(25))
def test_scene_answers_are_true(seed: int) -> None:
    item = scenes.build(random.Random(seed))
    objs = item.truth["objects"]
    by_label = {o["label"]: o for o in objs}
    checked = 0
    for t in item.turns:
        q, a = t.question, t.answer
        if m := re.match(r"How many (\w+)s are in the image\?", q):
            assert a == str(sum(o["shape"] == m[1] for o in objs))
        elif q.startswith("How many shapes are there in total?"):
            assert a == str(len(objs))
        elif m := re.match(r"What colour is the (\w+)\?", q):
            (only,) = [o for o in objs if o["shape"] == m[1]]
            assert a == only["color"]
        elif m := re.match(r"What shape is the (\w+) object\?", q):
            (only,) = [o for o in objs if o["color"] == m[1]]
            assert chosen_option(q, a) == only["shape"]
        elif m := re.match(r"Is (the \w+ \w+) to the left of (the \w+ \w+)\?", q):
            left = by_label[m[1]]["center"][0] < by_label[m[2]]["center"][0]
            assert a == ("Yes" if left else "No")
        elif m := re.match(r"Is (the \w+ \w+) above (the \w+ \w+)\?", q):
            above = by_label[m[1]]["center"][1] < by_label[m[2]]["center"][1]
            assert a == ("Yes" if above else "No")
        elif COORDINATE in t.styles:
            target = re.match(r"Where is (the \w+ \w+) in the image\?", q)
            assert target and parse_box(a) == by_label[target[1]]["bbox_norm"]
        elif q.startswith("List the shapes from left to right"):
            order = sorted(objs, key=lambda o: o["center"][0])
            assert json.loads(a) == [{"shape": o["shape"], "color": o["color"]} for o in order]
        elif q.startswith("How many corners"):
            total = sum(scenes.CORNERS[o["shape"]] for o in objs)
            assert a.endswith(f"Answer: {total}")
        elif q.startswith("Which shape is the smallest?"):
            assert f"the {chosen_option(q, a)}" == min(objs, key=lambda o: o["area"])["label"]
        else:
            continue
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("seed", range(20))
def test_pairs_differ_in_exactly_one_object(seed: int) -> None:
    item = scenes.build_pair(random.Random(seed))
    first, second = item.truth["objects"], item.truth["objects_second"]
    change = item.truth["change"]
    names_a = {f"{o['color']} {o['shape']}" for o in first}
    names_b = {f"{o['color']} {o['shape']}" for o in second}
    kind = change["type"]
    if kind == "recolor":
        assert names_a - names_b == {change["before"]} and names_b - names_a == {change["after"]}
    elif kind == "remove":
        assert names_a - names_b == {change["before"]} and names_b <= names_a
    elif kind == "add":
        assert names_b - names_a == {change["after"]} and names_a <= names_b
    else:
        assert names_a == names_b
        moved = [(a, b) for a in first for b in second if a["label"] == b["label"]]
        assert sum(a["bbox"] != b["bbox"] for a, b in moved) == 1
    (box,) = item.truth["boxes"]
    arr = _pixels(item, box["image"])
    x1, y1, x2, y2 = box["bbox"]
    assert tuple(arr[(y1 + y2) // 2, (x1 + x2) // 2]) == tuple(box["rgb"])
    grounding = [t for t in item.turns if COORDINATE in t.styles]
    assert parse_box(grounding[0].answer) == box["bbox_norm"]
    which = "second" if box["image"] == 1 else "first"
    assert f"in the {which} image?" in grounding[0].question
    same = next(t for t in item.turns if t.question.startswith("Do the two images contain"))
    assert same.answer == ("Yes" if len(first) == len(second) else "No")

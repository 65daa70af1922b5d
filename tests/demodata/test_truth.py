"""Answers in the written pool agree with meta ground truth and with the written pixels."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from tests.demodata.conftest import Demo
from tests.demodata.util import chosen_option, media_of, parse_box, qa_pairs

COORDINATE = "coordinate"


def _checked(r: dict) -> bool:
    return r["meta"]["demo"]["weak"] != "duplicate_conversation"


def test_coordinate_answers_match_boxes_and_pixels(demo: Demo) -> None:
    seen = 0
    for r in filter(_checked, demo.rows):
        d = r["meta"]["demo"]
        images, _ = media_of(r)
        for (_, answer), turn in zip(qa_pairs(r), d["turns"], strict=True):
            if COORDINATE not in turn["styles"]:
                continue
            box = parse_box(answer)
            matches = [b for b in d["boxes"] if b["bbox_norm"] == box]
            assert matches, (r["id"], answer, d["boxes"])
            entry = matches[0]
            with Image.open(demo.root / images[entry["image"]]) as im:
                arr = np.asarray(im.convert("RGB"))
            h, w = arr.shape[:2]
            x1, y1, x2, y2 = entry["bbox"]
            assert [round(x1 / w, 3), round(y1 / h, 3), round(x2 / w, 3), round(y2 / h, 3)] == box
            crop = arr[y1:y2, x1:x2].astype(int)
            if "rgb" in entry:
                rgb = np.array(entry["rgb"])
                inside = np.all(crop == rgb, axis=-1)
                assert inside.mean() > 0.4, (r["id"], entry)
                if d["kind"] == "scene":  # unique colours, no text on top: the box is tight
                    assert tuple(arr[(y1 + y2) // 2, (x1 + x2) // 2]) == tuple(entry["rgb"])
                    everywhere = np.all(arr.astype(int) == rgb, axis=-1)
                    assert everywhere.sum() == inside.sum()
                    ys, xs = np.nonzero(everywhere)
                    assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == entry["bbox"]
            else:  # text: the box holds dark ink
                assert (crop.mean(axis=-1) < 110).mean() > 0.03, (r["id"], entry)
            seen += 1
    assert seen >= 15


def test_ocr_answers_equal_rendered_text(demo: Demo) -> None:
    seen = 0
    for r in filter(_checked, demo.rows):
        d = r["meta"]["demo"]
        for q, a in qa_pairs(r):
            if d["kind"] == "sign" and q.startswith("What does the") and "\nA." not in q:
                assert a == d["text"] == " ".join(d["lines"])
            elif q.startswith("What is the title of"):
                assert a == d["title"]
            elif q.startswith("Transcribe all the text"):
                assert a == d["text"] == "\n".join([d["title"], *d["lines"]])
            elif q.startswith("Transcribe the first line"):
                assert a == d["lines"][0]
            elif q.startswith("Write the text on the"):
                assert a == d["text"].lower()
            else:
                continue
            seen += 1
    assert seen >= 15


def test_chart_answers_match_values(demo: Demo) -> None:
    seen = 0
    for r in filter(_checked, demo.rows):
        d = r["meta"]["demo"]
        if d["kind"] != "chart":
            continue
        if d["chart"] == "pie":
            assert sum(d["values"]) == 100
        values = dict(zip(d.get("labels", []), d.get("values", []), strict=True))
        for q, a in qa_pairs(r):
            if q.startswith("What is the value for "):
                label = q.removeprefix("What is the value for ").split("?")[0]
                assert a == str(values[label])
            elif q.startswith("Give the data as a JSON") or q.startswith("Return the slices"):
                assert json.loads(a) == values
            elif q.startswith("List the values in chronological order"):
                assert a == ", ".join(map(str, d["values"]))
            elif q.startswith("How many points are plotted"):
                assert a == str(len(d["points"]))
            elif q.startswith("How many bars"):
                assert a == str(len(d["values"]))
            elif q.startswith("What percentage is "):
                label = q.removeprefix("What percentage is ").split("?")[0]
                assert a == f"{values[label]}%"
            elif q.startswith(("Which category has the highest", "Which slice is the largest")):
                assert chosen_option(q, a) == max(values, key=values.__getitem__)
            elif q.startswith("In which period was the value highest?"):
                assert a == max(values, key=values.__getitem__)
            elif q.startswith("What is the title of the chart?"):
                assert a == d["title"]
            else:
                continue
            seen += 1
    assert seen >= 5

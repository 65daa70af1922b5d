"""Synthetic scenes: flat-coloured shapes on a plain background, and scene pairs with one
known difference.

Shapes never overlap and each has a unique exact colour (drawn without anti-aliasing), so a
shape's box, area and position are measured from the pixels of the image that was written.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    ATTRIBUTE,
    COMPARATIVE,
    FINE_GRAINED,
    ICL,
    LANGUAGE,
    LOGIC,
    PALETTE,
    RGB,
    SCENE,
    SPATIAL,
    STEM,
    Item,
    Picture,
    Turn,
    article,
    box_entry,
    join_words,
    number_word,
)

SHAPES = ("circle", "square", "triangle", "diamond")
CORNERS = {"circle": 0, "square": 4, "triangle": 3, "diamond": 4}
BACKGROUNDS: dict[str, RGB] = {
    "white": (255, 255, 255),
    "light gray": (232, 232, 232),
    "beige": (245, 235, 215),
    "light blue": (220, 235, 250),
}
SIZES = ((384, 288), (448, 336), (512, 384), (320, 320), (480, 480))
GAP = 10


@dataclass(frozen=True)
class Shape:
    """A shape to draw: kind, colour name, centre and half-extent in pixels."""

    shape: str
    color: str
    cx: int
    cy: int
    s: int

    @property
    def name(self) -> str:
        """``"red circle"``."""
        return f"{self.color} {self.shape}"

    def extent(self) -> tuple[int, int, int, int]:
        """Box the shape is drawn within (exclusive end)."""
        return self.cx - self.s, self.cy - self.s, self.cx + self.s, self.cy + self.s

    def draw(self, draw: ImageDraw.ImageDraw) -> None:
        """Draw the shape in its exact palette colour (no anti-aliasing)."""
        x1, y1, x2, y2 = (
            self.cx - self.s,
            self.cy - self.s,
            self.cx + self.s - 1,
            self.cy + self.s - 1,
        )
        fill = PALETTE[self.color]
        if self.shape == "circle":
            draw.ellipse((x1, y1, x2, y2), fill=fill)
        elif self.shape == "square":
            draw.rectangle((x1, y1, x2, y2), fill=fill)
        elif self.shape == "triangle":
            draw.polygon([(self.cx, y1), (x2, y2), (x1, y2)], fill=fill)
        else:
            draw.polygon([(self.cx, y1), (x2, self.cy), (self.cx, y2), (x1, self.cy)], fill=fill)


def box_is_free(
    box: tuple[int, int, int, int],
    others: Sequence[tuple[int, int, int, int]],
    size: tuple[int, int],
    margin: int,
    gap: int,
) -> bool:
    """Whether ``box`` lies ``margin`` inside the canvas and ``gap`` away from ``others``."""
    x1, y1, x2, y2 = box
    if x1 < margin or y1 < margin or x2 > size[0] - margin or y2 > size[1] - margin:
        return False
    return all(
        x2 + gap <= a1 or a2 + gap <= x1 or y2 + gap <= b1 or b2 + gap <= y1
        for a1, b1, a2, b2 in others
    )


def _free(shape: Shape, others: list[Shape], size: tuple[int, int]) -> bool:
    return box_is_free(shape.extent(), [o.extent() for o in others], size, 4, GAP)


def _place(
    rng: random.Random,
    shape: str,
    color: str,
    others: list[Shape],
    size: tuple[int, int],
    half: int | None = None,
) -> Shape | None:
    lo, hi = 16, max(20, min(size) // 7)
    for _ in range(200):
        s = half if half is not None else rng.randint(lo, hi)
        cand = Shape(
            shape,
            color,
            rng.randint(s + 4, size[0] - s - 4),
            rng.randint(s + 4, size[1] - s - 4),
            s,
        )
        if _free(cand, others, size):
            return cand
    return None


def _layout(rng: random.Random, size: tuple[int, int], n: int) -> list[Shape]:
    colors = rng.sample(list(PALETTE), n)
    shapes: list[Shape] = []
    for color in colors:
        placed = _place(rng, rng.choice(SHAPES), color, shapes, size)
        if placed is not None:
            shapes.append(placed)
    return shapes


def render(
    shapes: list[Shape], size: tuple[int, int], background: str
) -> tuple[Image.Image, list[dict[str, Any]]]:
    """Draw ``shapes`` and measure each one's box, centre and area from the pixels.

    Returns:
        The image and one record per shape (shape, color, rgb, bbox, bbox_norm, center, area,
        region), in the order given.
    """
    img = Image.new("RGB", size, BACKGROUNDS[background])
    draw = ImageDraw.Draw(img)
    for sh in shapes:
        sh.draw(draw)
    arr = np.asarray(img)
    records = []
    for sh in shapes:
        ex1, ey1, ex2, ey2 = sh.extent()  # shapes do not overlap: measure inside the extent
        mask = np.all(arr[ey1:ey2, ex1:ex2] == PALETTE[sh.color], axis=-1)
        ys, xs = np.nonzero(mask)
        box = (
            ex1 + int(xs.min()),
            ey1 + int(ys.min()),
            ex1 + int(xs.max()) + 1,
            ey1 + int(ys.max()) + 1,
        )
        rec = box_entry(f"the {sh.name}", box, size, PALETTE[sh.color])
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        rec.update(
            shape=sh.shape,
            color=sh.color,
            center=[round(cx, 1), round(cy, 1)],
            area=int(mask.sum()),
            region=_region(cx, cy, size),
        )
        records.append(rec)
    return img, records


def _region(cx: float, cy: float, size: tuple[int, int]) -> str:
    w, h = size
    col = "left" if cx < w / 3 else "right" if cx > 2 * w / 3 else ""
    row = "top" if cy < h / 3 else "bottom" if cy > 2 * h / 3 else ""
    return f"{row} {col}".strip() or "centre"


def _where(region: str) -> str:
    if region == "centre":
        return "in the centre"
    return f"on the {region}" if region in ("left", "right") else f"at the {region}"


def _plural(shape: str, n: int) -> str:
    return shape if n == 1 else f"{shape}s"


def _inventory(objs: list[dict[str, Any]]) -> str:
    return join_words([f"{article(o['color'])} {o['color']} {o['shape']}" for o in objs])


def single_turns(rng: random.Random, objs: list[dict[str, Any]], bg: str) -> list[Turn]:
    """All candidate turns for one scene (see module docstring for what is guaranteed)."""
    n = len(objs)
    by_x = sorted(objs, key=lambda o: o["center"][0])
    by_y = sorted(objs, key=lambda o: o["center"][1])
    counts = {s: sum(o["shape"] == s for o in objs) for s in SHAPES}
    target = rng.choice(objs)
    shape_q = rng.choice(SHAPES)
    turns = [
        cv.short_answer(
            f"How many {shape_q}s are in the image?", str(counts[shape_q]), (SCENE, ATTRIBUTE)
        ),
        cv.short_answer("How many shapes are there in total?", str(n), (SCENE,)),
        cv.multi_choice(
            rng,
            f"What shape is the {target['color']} object?",
            target["shape"],
            [s for s in SHAPES if s != target["shape"]],
            (ATTRIBUTE, FINE_GRAINED),
        ),
        cv.grounding(target["label"], target["bbox_norm"], (SPATIAL,)),
        cv.description(
            "Briefly describe the image.",
            f"{number_word(n).capitalize()} flat-coloured {_plural('shape', n)} "
            f"on a {bg} background: "
            f"{_inventory(by_x)}.",
            (SCENE, LANGUAGE),
            False,
        ),
        cv.description(
            "Describe the image in detail, including where each shape is.",
            f"The image shows {number_word(n)} {_plural('shape', n)} on a plain {bg} background. "
            + " ".join(
                f"{article(o['color']).capitalize()} {o['color']} {o['shape']} is "
                f"{_where(o['region'])}."
                for o in by_x
            )
            + f" The largest is {max(objs, key=lambda o: o['area'])['label']} and the smallest "
            f"is {min(objs, key=lambda o: o['area'])['label']}. None of the shapes overlap.",
            (LANGUAGE, SCENE, SPATIAL),
            True,
        ),
        cv.short_answer(
            f"If all the {shape_q}s were removed, how many shapes would remain?",
            str(n - counts[shape_q]),
            (LOGIC, SCENE),
        ),
    ]
    unique = [s for s in SHAPES if counts[s] == 1]
    if unique:
        s = rng.choice(unique)
        color = next(o["color"] for o in objs if o["shape"] == s)
        turns.append(cv.short_answer(f"What colour is the {s}?", color, (ATTRIBUTE,)))
    probe_color, probe_shape = rng.choice(list(PALETTE)), rng.choice(SHAPES)
    if rng.random() < 0.5:
        probe_color, probe_shape = target["color"], target["shape"]
    present = any(o["color"] == probe_color and o["shape"] == probe_shape for o in objs)
    turns.append(
        cv.yes_no(
            f"Is there {article(probe_color)} {probe_color} {probe_shape} in the image?",
            present,
            (ATTRIBUTE, SCENE),
        )
    )
    if n >= 2:
        a, b = rng.sample(objs, 2)
        dx = a["center"][0] - b["center"][0]
        dy = a["center"][1] - b["center"][1]
        if abs(dx) > 20:
            turns.append(
                cv.yes_no(f"Is {a['label']} to the left of {b['label']}?", dx < 0, (SPATIAL,))
            )
        if abs(dy) > 20:
            turns.append(cv.yes_no(f"Is {a['label']} above {b['label']}?", dy < 0, (SPATIAL,)))
        big, small = (a, b) if a["area"] > b["area"] else (b, a)
        if big["area"] > 1.4 * small["area"]:
            turns.append(
                cv.comparison(
                    f"Compare {a['label']} and {b['label']}.",
                    f"{big['label'].capitalize()} is larger than {small['label']}. "
                    + (
                        f"Both are {a['shape']}s, but they differ in colour "
                        f"({a['color']} vs {b['color']})."
                        if a["shape"] == b["shape"]
                        else f"They also differ in shape ({a['shape']} vs {b['shape']}) and colour "
                        f"({a['color']} vs {b['color']})."
                    ),
                    (COMPARATIVE, ATTRIBUTE),
                )
            )
        smallest = min(objs, key=lambda o: o["area"])
        second = sorted(o["area"] for o in objs)[1]
        if second > 1.3 * smallest["area"]:
            turns.append(
                cv.multi_choice(
                    rng,
                    "Which shape is the smallest?",
                    smallest["label"][4:],
                    [o["label"][4:] for o in objs if o is not smallest],
                    (FINE_GRAINED, COMPARATIVE),
                )
            )
    xs = [o["center"][0] for o in by_x]
    if all(b - a >= 4 for a, b in zip(xs, xs[1:], strict=False)):
        turns.append(
            cv.specified(
                "List the shapes from left to right as a JSON array of objects with keys "
                '"shape" and "color".',
                cv.as_json([{"shape": o["shape"], "color": o["color"]} for o in by_x]),
                (SPATIAL, LANGUAGE),
            )
        )
        turns.append(
            cv.specified(
                "In exactly two words, name the colour and shape of the leftmost object.",
                by_x[0]["label"][4:],
                (SPATIAL, LANGUAGE),
            )
        )
        turns.append(
            cv.short_answer(
                "If the image were mirrored left to right, which shape would be the rightmost?",
                by_x[0]["label"][4:],
                (SPATIAL, LOGIC),
            )
        )
    ys = [o["center"][1] for o in by_y]
    if all(b - a >= 4 for a, b in zip(ys, ys[1:], strict=False)):
        examples = [("red", "circle"), ("blue", "square"), ("green", "triangle")]
        top = by_y[0]
        turns.append(
            cv.short_answer(
                "Here is a labelling scheme: "
                + "; ".join(f"a {c} {s} -> {c[0].upper()}-{s.upper()}" for c, s in examples)
                + ". Using the same scheme, label the topmost shape in the image.",
                f"{top['color'][0].upper()}-{top['shape'].upper()}",
                (ICL, SPATIAL),
            )
        )
    colour_q = rng.choice(objs)["color"]
    hits = [o for o in objs if o["color"] == colour_q or o["shape"] == shape_q]
    turns.append(
        cv.chain_of_thought(
            f"How many shapes are {colour_q} or {article(shape_q)} {shape_q}?",
            tuple(
                f"{article(o['color']).capitalize()} {o['color']} {o['shape']}: "
                + ("counts." if o in hits else "does not count.")
                for o in by_x
            ),
            str(len(hits)),
            (LOGIC, ATTRIBUTE),
        )
    )
    total = sum(CORNERS[o["shape"]] for o in objs)
    turns.append(
        cv.chain_of_thought(
            "How many corners do all the shapes have together? A circle has no corners.",
            tuple(f"The {o['label'][4:]} has {CORNERS[o['shape']]} corners." for o in by_x)
            + (" + ".join(str(CORNERS[o["shape"]]) for o in by_x) + f" = {total}.",),
            str(total),
            (STEM, LOGIC),
        )
    )
    return turns


def _new_scene(rng: random.Random, lo: int, hi: int) -> tuple[tuple[int, int], str, list[Shape]]:
    size = rng.choice(SIZES)
    bg = rng.choice(list(BACKGROUNDS))
    shapes: list[Shape] = []
    while len(shapes) < lo:
        shapes = _layout(rng, size, rng.randint(lo, hi))
    return size, bg, shapes


def build(rng: random.Random) -> Item:
    """A single scene with 2-7 shapes."""
    size, bg, shapes = _new_scene(rng, 2, 7)
    img, objs = render(shapes, size, bg)
    truth = {"background": bg, "size": list(size), "objects": objs, "boxes": objs}
    return Item("scene", "shapes", [Picture(img)], truth=truth, turns=single_turns(rng, objs, bg))


def _change(
    rng: random.Random, shapes: list[Shape], size: tuple[int, int]
) -> tuple[list[Shape], dict[str, Any]]:
    k = rng.randrange(len(shapes))
    old = shapes[k]
    kinds = ["recolor", "remove", "move", "add"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "recolor":
            spare = [c for c in PALETTE if c not in {s.color for s in shapes}]
            if spare:
                new = replace(old, color=rng.choice(spare))
                return [new if i == k else s for i, s in enumerate(shapes)], {
                    "type": kind,
                    "before": old.name,
                    "after": new.name,
                }
        elif kind == "remove" and len(shapes) >= 3:
            return [s for i, s in enumerate(shapes) if i != k], {
                "type": kind,
                "before": old.name,
                "after": None,
            }
        elif kind == "move":
            rest = [s for i, s in enumerate(shapes) if i != k]
            for _ in range(20):
                moved = _place(rng, old.shape, old.color, rest, size, half=old.s)
                if (
                    moved is not None
                    and abs(moved.cx - old.cx) + abs(moved.cy - old.cy) > 3 * old.s
                ):
                    return [moved if i == k else s for i, s in enumerate(shapes)], {
                        "type": kind,
                        "before": old.name,
                        "after": moved.name,
                    }
        elif kind == "add":
            spare = [c for c in PALETTE if c not in {s.color for s in shapes}]
            added = (
                _place(rng, rng.choice(SHAPES), rng.choice(spare), shapes, size) if spare else None
            )
            if added is not None:
                return [*shapes, added], {"type": kind, "before": None, "after": added.name}
    raise RuntimeError("no change possible")  # unreachable: "remove" or "move" always fits


CHANGE_OPTIONS = {
    "recolor": "An object changed colour",
    "remove": "An object was removed",
    "move": "An object was moved",
    "add": "An object was added",
}


def build_pair(rng: random.Random) -> Item:
    """Two scenes that differ in exactly one object (recoloured, removed, moved or added)."""
    size, bg, shapes = _new_scene(rng, 3, 6)
    shapes_b, change = _change(rng, shapes, size)
    img_a, objs_a = render(shapes, size, bg)
    img_b, objs_b = render(shapes_b, size, bg)
    for o in objs_b:
        o["image"] = 1
    kind = change["type"]
    if kind == "remove":
        changed = next(o for o in objs_a if o["label"] == f"the {change['before']}")
        where = "in the first image"
        diff = f"The {change['before']} in the first image is missing from the second image."
    else:
        changed = next(o for o in objs_b if o["label"] == f"the {change['after']}")
        where = "in the second image"
        diff = {
            "recolor": f"The {change['before']} in the first image is {changed['color']} "
            "in the second image.",
            "move": f"The {change['before']} has moved: it is {_where(changed['region'])} "
            "of the second image.",
            "add": f"The second image has an extra {change['after']} "
            "that is not in the first image.",
        }[kind]
    change["description"] = diff
    target = (
        "the object that differs between the images"
        if kind != "remove"
        else "the object that is missing from the second image"
    )
    truth = {
        "background": bg,
        "size": list(size),
        "objects": objs_a,
        "objects_second": objs_b,
        "change": change,
        "boxes": [{**changed, "label": target}],
    }
    turns = [
        cv.comparison(
            "What is the difference between the two images?", diff, (COMPARATIVE, ATTRIBUTE)
        ),
        cv.yes_no(
            "Do the two images contain the same number of shapes?",
            len(objs_a) == len(objs_b),
            (COMPARATIVE, SCENE),
        ),
        cv.short_answer("How many shapes are in the second image?", str(len(objs_b)), (SCENE,)),
        cv.chain_of_thought(
            "Which object differs between the two images?",
            (
                f"The first image contains {_inventory(objs_a)}.",
                f"The second image contains {_inventory(objs_b)}.",
                diff,
            ),
            f"The {change['before'] or change['after']}",
            (COMPARATIVE, LOGIC),
        ),
        cv.grounding(target, changed["bbox_norm"], (SPATIAL, COMPARATIVE), where=where),
        cv.multi_choice(
            rng,
            "What kind of change was made to the second image?",
            CHANGE_OPTIONS[kind],
            list(CHANGE_OPTIONS.values()),
            (COMPARATIVE,),
        ),
    ]
    return Item("scene", "pair", [Picture(img_a), Picture(img_b)], truth=truth, turns=turns)

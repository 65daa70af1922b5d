"""Procedural scene pairs: two renders that differ in exactly one known object.

A scene is a textured background (a colour gradient plus seeded noise) with 3-6 objects:
shapes (circle, square, triangle, diamond, star) in named colours and short words in a
colour. Objects are drawn with anti-aliasing (rendered at 2x and downsampled) and the images
are saved as JPEG by default, so the difference finder sees soft edges and compression noise,
not exact pixel values.

The second image changes one object in one of five ways (``CHANGES``): its shape is swapped,
its colour is swapped, its word is swapped (text objects), it is removed, or it is moved. The
ground truth is exact: the changed object's box in each image (from the object's own drawn
mask), and a caption of the changed region in both images.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from mmcurate.demodata.render_text import font
from mmcurate.demodata.scenes import box_is_free

ChangeKind = Literal["shape", "color", "text", "remove", "move"]
CHANGES: tuple[ChangeKind, ...] = ("shape", "color", "text", "remove", "move")
SHAPES = ("circle", "square", "triangle", "diamond", "star")
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "green": (40, 155, 70),
    "blue": (40, 80, 215),
    "yellow": (235, 200, 30),
    "orange": (240, 135, 30),
    "purple": (130, 60, 185),
    "pink": (235, 115, 175),
    "brown": (120, 75, 40),
    "black": (25, 25, 25),
    "teal": (20, 140, 140),
}
_MASK_COLOR = {"white": (255, 255, 255)}
WORDS = ("CAT", "SUN", "MAP", "BOX", "KEY", "CUP", "PEN", "BUS", "HAT", "OWL", "FOX", "JAM")
SIZES = ((384, 288), (448, 336), (512, 384), (416, 416))
#: Empty-region caption (what a removed or moved-away object leaves behind).
BACKGROUND = "empty background"
SCALE = 2  # supersampling factor for anti-aliased edges


@dataclass(frozen=True)
class SceneObject:
    """One object of a scene: a shape or a word, its colour, centre and half-size (pixels)."""

    kind: Literal["shape", "text"]
    what: str  # shape name, or the word for text objects
    color: str
    cx: int
    cy: int
    s: int

    @property
    def caption(self) -> str:
        """``"a red circle"`` or ``'the word "CAT" in blue'``."""
        if self.kind == "text":
            return f'the word "{self.what}" in {self.color}'
        article = "an" if self.color[0] in "aeiou" else "a"
        return f"{article} {self.color} {self.what}"

    def extent(self) -> tuple[int, int, int, int]:
        """Box the object is drawn within (exclusive end; measured from the font for words)."""
        if self.kind == "text":
            x1, y1, x2, y2 = font(int(self.s * SCALE * 1.6), "bold").getbbox(self.what, anchor="mm")
            return (
                self.cx + math.floor(x1 / SCALE) - 1,
                self.cy + math.floor(y1 / SCALE) - 1,
                self.cx + math.ceil(x2 / SCALE) + 1,
                self.cy + math.ceil(y2 / SCALE) + 1,
            )
        return self.cx - self.s, self.cy - self.s, self.cx + self.s, self.cy + self.s

    def draw(self, draw: ImageDraw.ImageDraw, k: int = 1) -> None:
        """Draw at scale ``k`` (coordinates multiplied by ``k``)."""
        cx, cy, s = self.cx * k, self.cy * k, self.s * k
        fill = COLORS.get(self.color) or _MASK_COLOR[self.color]
        x1, y1, x2, y2 = cx - s, cy - s, cx + s - 1, cy + s - 1
        if self.kind == "text":
            f = font(int(s * 1.6), "bold")  # s is already scaled
            draw.text((cx, cy), self.what, fill=fill, font=f, anchor="mm")
        elif self.what == "circle":
            draw.ellipse((x1, y1, x2, y2), fill=fill)
        elif self.what == "square":
            inset = int(s * 0.12)
            draw.rectangle((x1 + inset, y1 + inset, x2 - inset, y2 - inset), fill=fill)
        elif self.what == "triangle":
            draw.polygon([(cx, y1), (x2, y2), (x1, y2)], fill=fill)
        elif self.what == "diamond":
            draw.polygon([(cx, y1), (x2, cy), (cx, y2), (x1, cy)], fill=fill)
        else:  # star
            pts = []
            for i in range(10):
                r = s if i % 2 == 0 else s * 0.45
                a = -math.pi / 2 + i * math.pi / 5
                pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
            draw.polygon(pts, fill=fill)


@dataclass
class Scene:
    """A background and its objects (the first image of a pair, or the changed second)."""

    size: tuple[int, int]
    background: tuple[tuple[int, int, int], tuple[int, int, int]]
    noise_seed: int
    objects: list[SceneObject] = field(default_factory=list)


@dataclass
class ProceduralPair:
    """Two images that differ in exactly one object, with the exact ground truth.

    Attributes:
        pair_id: Stable id (``proc-<seed>-<index>``).
        image_a: First image.
        image_b: Second image (same size).
        change: ``shape``, ``color``, ``text``, ``remove`` or ``move``.
        gt_boxes: Boxes (x1, y1, x2, y2, exclusive end, pixels) of each changed region: one
            (the union of the object's boxes in both images) or, for ``move``, two (where it
            was, where it is).
        region_captions: For each ground-truth box, the caption of that region in image a
            and in image b.
        caption_a: A caption of the whole first image (all objects).
        caption_b: A caption of the whole second image.
        difference: One sentence that states the difference.
        objects_a: Captions of every object in the first image (multiple-choice distractors).
    """

    pair_id: str
    image_a: Image.Image
    image_b: Image.Image
    change: ChangeKind
    gt_boxes: list[tuple[int, int, int, int]]
    region_captions: list[tuple[str, str]]
    caption_a: str
    caption_b: str
    difference: str
    objects_a: list[str]

    def truth(self) -> dict[str, Any]:
        """JSON-able ground truth (goes to ``meta.imgdiff.truth``)."""
        return {
            "change": self.change,
            "boxes": [list(b) for b in self.gt_boxes],
            "region_captions": [list(c) for c in self.region_captions],
            "difference": self.difference,
            "caption_a": self.caption_a,
            "caption_b": self.caption_b,
        }


def _free(obj: SceneObject, others: list[SceneObject], size: tuple[int, int], gap: int) -> bool:
    return box_is_free(obj.extent(), [o.extent() for o in others], size, 6, gap)


def _new_object(
    rng: random.Random,
    others: list[SceneObject],
    size: tuple[int, int],
    used_colors: set[str],
    gap: int = 14,
) -> SceneObject | None:
    lo, hi = 16, max(22, min(size) // 8)
    for _ in range(200):
        s = rng.randint(lo, hi)
        kind: Literal["shape", "text"] = "text" if rng.random() < 0.3 else "shape"
        if kind == "text":
            s = max(14, int(s * 0.6))
        what = rng.choice(WORDS) if kind == "text" else rng.choice(SHAPES)
        color = rng.choice([c for c in COLORS if c not in used_colors] or list(COLORS))
        margin = 3 * s + 6 if kind == "text" else s + 6
        if 2 * margin >= size[0]:
            continue
        cand = SceneObject(
            kind,
            what,
            color,
            rng.randint(margin, size[0] - margin),
            rng.randint(s + 6, size[1] - s - 6),
            s,
        )
        if _free(cand, others, size, gap):
            return cand
    return None


def render_scene(scene: Scene) -> tuple[Image.Image, list[np.ndarray]]:
    """Draw a scene; returns the image and each object's mask (at output resolution)."""
    w, h = scene.size
    c1, c2 = np.array(scene.background[0], float), np.array(scene.background[1], float)
    t = (
        np.linspace(0.0, 1.0, w)[None, :, None] * 0.6
        + np.linspace(0.0, 1.0, h)[:, None, None] * 0.4
    )
    base = c1 * (1 - t) + c2 * t
    noise = np.random.default_rng(scene.noise_seed).normal(0.0, 4.0, (h, w, 3))
    bg = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))
    big = bg.resize((w * SCALE, h * SCALE), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(big)
    masks = []
    for obj in scene.objects:
        obj.draw(draw, SCALE)
        m = Image.new("RGB", (w * SCALE, h * SCALE), (0, 0, 0))
        replace(obj, color="white").draw(ImageDraw.Draw(m), SCALE)
        masks.append(np.asarray(m.convert("L").resize((w, h), Image.Resampling.BOX)) > 40)
    img = big.resize((w, h), Image.Resampling.LANCZOS).filter(ImageFilter.SMOOTH)
    return img, masks


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _scene_caption(objs: list[SceneObject]) -> str:
    if not objs:
        return "an empty textured background"
    names = [o.caption for o in sorted(objs, key=lambda o: o.cx)]
    listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return f"{listed} on a textured background (left to right)"


def _fits(kind: str, obj: SceneObject, n: int) -> bool:
    if kind == "shape":
        return obj.kind == "shape"
    if kind == "text":
        return obj.kind == "text"
    if kind == "remove":
        return n >= 2
    return True


def _change(
    rng: random.Random, objs: list[SceneObject], size: tuple[int, int], kinds: tuple[str, ...]
) -> tuple[str, int, SceneObject | None] | None:
    """Pick a change kind uniformly, then an object it fits: (kind, index, new version)."""
    order = list(kinds)
    rng.shuffle(order)
    for kind in order:
        fits = [i for i, o in enumerate(objs) if _fits(kind, o, len(objs))]
        if not fits:
            continue
        k = rng.choice(fits)
        old = objs[k]
        rest = [o for i, o in enumerate(objs) if i != k]
        if kind == "shape":
            return kind, k, replace(old, what=rng.choice([s for s in SHAPES if s != old.what]))
        if kind == "color":
            used = {o.color for o in objs}
            return kind, k, replace(old, color=rng.choice([c for c in COLORS if c not in used]))
        if kind == "text":
            return kind, k, replace(old, what=rng.choice([w for w in WORDS if w != old.what]))
        if kind == "remove":
            return kind, k, None
        for _ in range(100):
            x1, _, x2, _ = old.extent()
            hw = max(old.cx - x1, x2 - old.cx) + 6
            if 2 * hw >= size[0]:
                break
            cx = rng.randint(hw, size[0] - hw)
            cy = rng.randint(old.s + 6, size[1] - old.s - 6)
            moved = replace(old, cx=cx, cy=cy)
            w, h = x2 - x1, 2 * old.s
            far = abs(cx - old.cx) > w + 14 or abs(cy - old.cy) > h + 14
            if far and _free(moved, rest, size, 14):
                return kind, k, moved
    return None


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _difference(kind: str, old: SceneObject, new: SceneObject | None) -> str:
    if kind == "remove" or new is None:
        return f"{_cap(old.caption)} in the first image is missing from the second image."
    if kind == "move":
        return f"{_cap(old.caption)} has moved to a different position in the second image."
    if kind == "color":
        return (
            f"{_cap(old.caption)} in the first image is {new.color} in the second image "
            f"({new.caption})."
        )
    return f"{_cap(old.caption)} in the first image is replaced by {new.caption}."


def make_pair(
    seed: int, index: int, changes: tuple[str, ...] = CHANGES, n_objects: tuple[int, int] = (3, 6)
) -> ProceduralPair:
    """One seeded pair (same ``seed`` and ``index``, same images).

    Args:
        seed: Run seed.
        index: Pair index within the run.
        changes: Change kinds to draw from (a kind that does not fit the chosen object, e.g.
            ``text`` on a shape, falls through to the next one in a seeded order).
        n_objects: Inclusive range of objects per scene.

    Raises:
        ValueError: ``changes`` is empty or holds an unknown kind.
    """
    bad = sorted(set(changes) - set(CHANGES))
    if not changes or bad:
        raise ValueError(f"changes must be a non-empty subset of {CHANGES}; got unknown {bad}")
    rng = random.Random(f"imgdiff-procedural:{seed}:{index}")
    while True:
        size = rng.choice(SIZES)
        light = tuple(rng.randint(180, 245) for _ in range(3))
        other = tuple(max(0, min(255, v + rng.randint(-50, 30))) for v in light)
        scene = Scene(size, (light, other), rng.randrange(2**31))  # type: ignore[arg-type]
        want = rng.randint(*n_objects)
        used: set[str] = set()
        for _ in range(want):
            obj = _new_object(rng, scene.objects, size, used)
            if obj is not None:
                scene.objects.append(obj)
                used.add(obj.color)
        if len(scene.objects) < max(2, n_objects[0]):
            continue
        picked = _change(rng, scene.objects, size, changes)
        if picked is not None:
            break
    kind, k, new = picked
    old = scene.objects[k]
    objs_b = (
        [o for i, o in enumerate(scene.objects) if i != k]
        if new is None
        else [new if i == k else o for i, o in enumerate(scene.objects)]
    )
    scene_b = Scene(size, scene.background, scene.noise_seed, objs_b)
    img_a, masks_a = render_scene(scene)
    img_b, masks_b = render_scene(scene_b)
    box_old = _box(masks_a[k])
    if new is None:
        boxes = [box_old]
        regions = [(old.caption, BACKGROUND)]
    else:
        box_new = _box(masks_b[k])
        if kind == "move":
            boxes = [box_old, box_new]
            regions = [(old.caption, BACKGROUND), (BACKGROUND, new.caption)]
        else:
            boxes = [_union(box_old, box_new)]
            regions = [(old.caption, new.caption)]
    return ProceduralPair(
        pair_id=f"proc-{seed}-{index:06d}",
        image_a=img_a,
        image_b=img_b,
        change=kind,  # type: ignore[arg-type]
        gt_boxes=boxes,
        region_captions=regions,
        caption_a=_scene_caption(scene.objects),
        caption_b=_scene_caption(objs_b),
        difference=_difference(kind, old, new),
        objects_a=[o.caption for o in scene.objects],
    )

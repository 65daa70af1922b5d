"""Street signs, shop signs and package labels with short text (OCR-heavy).

A sign is a flat plate of one exact colour with text centred on it, placed in a simple
setting (street, shop front or packing area). The plate's box is ground truth for grounding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    ATTRIBUTE,
    CAUSAL,
    ICL,
    LANGUAGE,
    LOGIC,
    OCR,
    PALETTE,
    RGB,
    SCENE,
    SPATIAL,
    Item,
    Picture,
    article,
    box_entry,
    number_word,
)
from mmcurate.demodata.render_text import draw_centered, font, line_height, text_width

WHITE: RGB = (245, 245, 245)
SIGN_COLORS: dict[str, RGB] = {**PALETTE, "white": WHITE}
STREET_NAMES = ("MAIN", "OAK", "ELM", "HARBOR", "MILL", "RIVER", "PARK", "CEDAR", "HIGH")
STREET_SUFFIXES = ("ST", "AVE", "RD", "LN", "BLVD")
SHOP_MEANINGS = {
    "BAKERY": "It tells passers-by that the shop is a bakery.",
    "PHARMACY": "It tells passers-by that the shop is a pharmacy.",
    "BOOKSHOP": "It tells passers-by that the shop is a bookshop.",
    "FRESH FLOWERS": "It tells passers-by that the shop sells fresh flowers.",
    "OPEN 24 HOURS": "It tells passers-by that the shop is open at all hours of the day.",
    "BARBER": "It tells passers-by that the shop is a barber's.",
    "CAFE": "It tells passers-by that the shop is a cafe.",
}
SHOPS = tuple(SHOP_MEANINGS)
LABELS = ("FRAGILE", "KEEP DRY", "THIS SIDE UP", "HANDLE WITH CARE")
SETTINGS = {"street": "a street", "shop": "a shop front", "package": "a packing area"}


@dataclass(frozen=True)
class SignSpec:
    """What to draw and what it means."""

    lines: tuple[str, ...]
    plate: str  # colour name in SIGN_COLORS
    ink: str  # colour name in SIGN_COLORS
    setting: str  # key of SETTINGS
    meaning: str  # what the sign tells the viewer
    shape: str = "rectangular"


def _spec(rng: random.Random) -> SignSpec:
    setting = rng.choice(("street", "street", "shop", "package"))
    if setting == "shop":
        name = rng.choice(SHOPS)
        plate = rng.choice(("blue", "purple", "brown", "black", "green"))
        return SignSpec((name,), plate, "white", setting, SHOP_MEANINGS[name])
    if setting == "package":
        name = rng.choice(LABELS)
        meanings = {
            "FRAGILE": "The contents can break, so the box must be handled gently.",
            "KEEP DRY": "The box must be protected from water and rain.",
            "THIS SIDE UP": "The box must be kept with this side facing upwards.",
            "HANDLE WITH CARE": "The box must be handled carefully to avoid damage.",
        }
        return SignSpec(
            tuple(name.split(" ", 1)) if len(name) > 10 else (name,),
            rng.choice(("red", "white")),
            "black",
            setting,
            meanings[name],
        )
    choice = rng.randrange(6)
    if choice == 0:
        return SignSpec(
            ("STOP",), "red", "white", setting, "Drivers must come to a complete stop.", "octagonal"
        )
    if choice == 1:
        limit = rng.randrange(20, 75, 5)
        return SignSpec(
            ("SPEED LIMIT", str(limit)),
            "white",
            "black",
            setting,
            f"Drivers must not drive faster than {limit}.",
        )
    if choice == 2:
        return SignSpec(
            ("SCHOOL", "ZONE"),
            "yellow",
            "black",
            setting,
            "Drivers should slow down because children may be crossing near a school.",
        )
    if choice == 3:
        return SignSpec(
            ("NO PARKING",), "white", "red", setting, "Vehicles must not be parked here."
        )
    if choice == 4:
        n = rng.randint(2, 48)
        return SignSpec(
            (f"EXIT {n}",),
            "green",
            "white",
            setting,
            f"It marks exit {n}, where drivers can leave the highway.",
        )
    street = f"{rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
    return SignSpec(
        (street,), "green", "white", setting, f"It shows the name of the street, {street}."
    )


def _backdrop(
    rng: random.Random, setting: str, w: int, h: int
) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    """Background for the setting; returns the image, a draw handle and the ground line y."""
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    ground = int(h * rng.uniform(0.68, 0.78))
    if setting == "street":
        draw.rectangle(
            (0, 0, w, ground), fill=rng.choice(((135, 190, 235), (160, 200, 230), (200, 215, 225)))
        )
        draw.rectangle((0, ground, w, h), fill=(105, 105, 110))
        for x in range(0, w, 60):
            draw.rectangle(
                (x, (ground + h) // 2 - 2, x + 30, (ground + h) // 2 + 2), fill=(235, 235, 235)
            )
    elif setting == "shop":
        draw.rectangle(
            (0, 0, w, h), fill=rng.choice(((176, 110, 90), (210, 200, 180), (150, 160, 170)))
        )
        door = (w // 2 - 40, ground - 150, w // 2 + 40, ground)
        draw.rectangle(door, fill=(70, 50, 40))
        for x0 in (30, w - 150):
            draw.rectangle(
                (x0, ground - 130, x0 + 120, ground - 30),
                fill=(180, 210, 225),
                outline=(60, 60, 60),
                width=3,
            )
        draw.rectangle((0, ground, w, h), fill=(150, 150, 150))
    else:
        draw.rectangle((0, 0, w, ground), fill=(225, 225, 215))
        draw.rectangle((0, ground, w, h), fill=(150, 110, 70))
    return img, draw, ground


def _plate_polygon(box: tuple[int, int, int, int], shape: str) -> list[tuple[int, int]]:
    x1, y1, x2, y2 = box
    if shape != "octagonal":
        return [(x1, y1), (x2 - 1, y1), (x2 - 1, y2 - 1), (x1, y2 - 1)]
    c = int((x2 - x1) / 3.4)
    return [
        (x1 + c, y1), (x2 - 1 - c, y1), (x2 - 1, y1 + c), (x2 - 1, y2 - 1 - c),
        (x2 - 1 - c, y2 - 1), (x1 + c, y2 - 1), (x1, y2 - 1 - c), (x1, y1 + c),
    ]  # fmt: skip


def _region(cx: float, w: int) -> str:
    return "left" if cx < w / 3 else "right" if cx > 2 * w / 3 else "centre"


def build(rng: random.Random) -> Item:
    """A random sign item."""
    spec = _spec(rng)
    w, h = rng.choice(((480, 360), (560, 400), (640, 480)))
    img, draw, ground = _backdrop(rng, spec.setting, w, h)
    fnt = font(rng.choice((28, 32, 36)), "bold")
    pad = 18
    text_w = max(text_width(line, fnt) for line in spec.lines)
    pw = int(text_w + 2 * pad)
    ph = len(spec.lines) * line_height(fnt, 1.2) + 2 * pad
    if spec.shape == "octagonal":
        pw = ph = max(pw, ph) + 10
    if spec.setting == "package":
        bx1 = rng.randint(20, max(21, w - pw - 100))
        box_rect = (bx1, ground - ph - 120, bx1 + pw + 80, ground + 10)
        draw.rectangle(box_rect, fill=(200, 160, 110), outline=(140, 100, 60), width=3)
        x1, y1 = bx1 + 40, ground - ph - 70
    elif spec.setting == "shop":
        x1, y1 = rng.randint(10, w - pw - 10), rng.randint(20, max(21, ground - 170 - ph))
    else:
        x1, y1 = rng.randint(10, w - pw - 10), rng.randint(20, max(21, ground - ph - 120))
        draw.rectangle(
            (x1 + pw // 2 - 5, y1 + ph, x1 + pw // 2 + 5, ground + 20), fill=(90, 90, 95)
        )
    plate = (x1, y1, x1 + pw, y1 + ph)
    rgb, ink = SIGN_COLORS[spec.plate], SIGN_COLORS[spec.ink]
    draw.polygon(_plate_polygon(plate, spec.shape), fill=rgb)
    draw_centered(draw, plate, list(spec.lines), fnt, ink)
    text = " ".join(spec.lines)
    noun = {"street": "sign", "shop": "shop sign", "package": "label"}[spec.setting]
    region = _region((plate[0] + plate[2]) / 2, w)
    truth: dict[str, Any] = {
        "text": text,
        "lines": list(spec.lines),
        "setting": spec.setting,
        "plate_color": spec.plate,
        "text_color": spec.ink,
        "shape": spec.shape,
        "meaning": spec.meaning,
        "region": region,
        "boxes": [box_entry(f"the {noun}", plate, (w, h), rgb)],
    }
    where = SETTINGS[spec.setting]
    others = [
        s for s in (*SHOPS, *LABELS, "STOP", "NO PARKING", "SCHOOL ZONE", "EXIT 9") if s != text
    ]
    probe = text if rng.random() < 0.5 else rng.choice(others)
    words = text.split()
    probe_region = rng.choice(("left", "centre", "right"))
    caption = (
        f'{article(spec.plate).capitalize()} {spec.plate} {spec.shape} {noun} reading "{text}" '
        f"in {spec.ink} letters, in {where}."
    )
    setting_detail = {
        "street": "It stands on a gray pole beside a road with white lane markings, under a "
        "plain sky.",
        "shop": "It hangs on the wall of a building above a dark door, between two windows.",
        "package": "It is stuck on a cardboard box that rests on a wooden surface.",
    }[spec.setting]
    turns = [
        cv.transcription(f"What does the {noun} say?", text, (OCR,)),
        cv.grounding(f"the {noun}", truth["boxes"][0]["bbox_norm"], (SPATIAL, OCR)),
        cv.short_answer(f"What is the background colour of the {noun}?", spec.plate, (ATTRIBUTE,)),
        cv.yes_no(f'Does the {noun} say "{probe}"?', probe == text, (OCR,), True),
        cv.short_answer(
            'Examples of a naming scheme: a sign reading "EXIT 4" -> exit-4; a sign reading '
            f'"MAIN ST" -> main-st. Apply the same scheme to the text on this {noun}.',
            "-".join(words).lower(),
            (ICL, OCR),
            True,
        ),
        cv.specified(
            f"Write the text on the {noun} in lowercase letters only, with no other words.",
            text.lower(),
            (OCR, LANGUAGE),
            True,
        ),
        cv.chain_of_thought(
            f"How many words are written on the {noun}?",
            (f'The {noun} reads "{text}".', f"Its words are {', '.join(words)}."),
            str(len(words)),
            (OCR, LOGIC),
            True,
        ),
        cv.chain_of_thought(
            f"What does this {noun} tell the people who see it?",
            (
                f'The {noun} reads "{text}".',
                f"The scene shows {where}.",
            ),
            spec.meaning,
            (CAUSAL, OCR, SCENE),
            True,
        ),
        cv.multi_choice(
            rng,
            "What kind of place does this picture show?",
            where,
            [v for v in SETTINGS.values() if v != where] + ["a beach"],
            (SCENE,),
        ),
        cv.multi_choice(
            rng, f"What does the {noun} say?", text, rng.sample(others, 3), (OCR,), True
        ),
        cv.description("Briefly describe the image.", caption, (SCENE, OCR), False, True),
        cv.description(
            "Describe the image in detail.",
            f"{caption} The {noun} is in the {region} part of the image. {setting_detail} "
            f"The text has {number_word(len(words))} word{'s' if len(words) > 1 else ''}.",
            (LANGUAGE, SCENE, OCR),
            True,
            True,
        ),
        cv.yes_no(
            f"Is the {noun} in the {probe_region} part of the image?",
            probe_region == region,
            (SPATIAL,),
        ),
    ]
    return Item("sign", spec.setting, [Picture(img)], truth=truth, turns=turns)

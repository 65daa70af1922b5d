"""Rendered documents: paragraphs, forms, receipts and tables (all OCR-heavy).

Every answer is read off the same values that were drawn, so transcriptions equal the
rendered text exactly and computed answers (totals, ages, sums) are true for the image.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    ATTRIBUTE,
    COMPARATIVE,
    DATA,
    HUMANITIES,
    LANGUAGE,
    LOGIC,
    OCR,
    SCENE,
    SPATIAL,
    STEM,
    Item,
    Picture,
    Turn,
    box_entry,
    join_words,
    number_word,
)
from mmcurate.demodata.render_text import draw_centered, font, ink_box, line_height, wrap

INK = (25, 25, 30)
PAPERS = ((255, 255, 255), (250, 248, 240), (244, 246, 250))


@dataclass(frozen=True)
class Passage:
    """A short factual text with questions answerable from the text itself."""

    title: str
    body: str
    summary: str
    topic: str  # exactly three words
    capability: str
    question: tuple[str, str]
    choice: tuple[str, str, tuple[str, str, str]]
    check: tuple[str, bool]
    steps: tuple[str, tuple[str, ...], str] | None = None


PASSAGES: tuple[Passage, ...] = (
    Passage(
        "The Printing Press",
        "Around 1440, Johannes Gutenberg developed a printing press with movable metal type "
        "in Mainz, Germany. His workshop printed the Gutenberg Bible in the 1450s. Printed "
        "books became cheaper and spread ideas quickly across Europe.",
        "The document explains how Gutenberg's movable-type printing press, developed around "
        "1440 in Mainz, made books cheaper and spread ideas across Europe.",
        "history of printing",
        HUMANITIES,
        ("Who developed the printing press described in the document?", "Johannes Gutenberg"),
        ("In which city was the press developed?", "Mainz", ("Paris", "Rome", "London")),
        ("Does the document say the press used movable type?", True),
    ),
    Passage(
        "Photosynthesis",
        "Plants use photosynthesis to turn light energy into chemical energy. In the "
        "chloroplasts, carbon dioxide and water combine to form glucose, and oxygen is "
        "released as a by-product. The green pigment chlorophyll absorbs mostly red and "
        "blue light.",
        "The document describes photosynthesis: plants use light to make glucose from carbon "
        "dioxide and water, releasing oxygen, with chlorophyll absorbing red and blue light.",
        "photosynthesis in plants",
        STEM,
        ("Which gas is released as a by-product?", "Oxygen"),
        ("Which pigment absorbs the light?", "Chlorophyll", ("Carotene", "Hemoglobin", "Melanin")),
        ("According to the text, does chlorophyll mostly absorb green light?", False),
    ),
    Passage(
        "The Great Wall",
        "The Great Wall of China is a series of fortifications built over many centuries. "
        "Most of the wall that stands today was built during the Ming dynasty (1368-1644). "
        "Its main purpose was to protect Chinese states against raids from the northern "
        "steppe.",
        "The document explains that the Great Wall of China, mostly built under the Ming "
        "dynasty, was meant to protect against raids from the north.",
        "Great Wall history",
        HUMANITIES,
        ("During which dynasty was most of the surviving wall built?", "The Ming dynasty"),
        (
            "What was the main purpose of the wall according to the text?",
            "Protection against raids",
            ("Irrigation of farmland", "A trade route", "Religious ceremonies"),
        ),
        ("Does the document say the wall was built in a single decade?", False),
        (
            "According to the dates in the document, how many years did the Ming dynasty last?",
            (
                "The document gives the Ming dynasty as 1368-1644.",
                "1644 - 1368 = 276.",
            ),
            "276 years",
        ),
    ),
    Passage(
        "The Water Cycle",
        "Water evaporates from oceans and lakes when the sun heats them. The vapour rises, "
        "cools and condenses into clouds. When the droplets grow heavy they fall as "
        "precipitation, and rivers carry the water back to the sea.",
        "The document describes the water cycle: evaporation, condensation into clouds, "
        "precipitation, and rivers returning water to the sea.",
        "the water cycle",
        STEM,
        ("What does the cooled vapour condense into?", "Clouds"),
        (
            "Which process turns the rising vapour into clouds?",
            "Condensation",
            ("Evaporation", "Precipitation", "Sublimation"),
        ),
        ("Does the document say that the sun heats the oceans and lakes?", True),
    ),
    Passage(
        "Newton's Second Law",
        "Isaac Newton published his three laws of motion in 1687. The second law states that "
        "force equals mass times acceleration (F = ma). For example, a net force of 10 N on a "
        "2 kg cart produces an acceleration of 5 metres per second squared.",
        "The document introduces Newton's second law, F = ma, published in 1687, with an "
        "example of a 10 N force accelerating a 2 kg cart.",
        "Newton's motion laws",
        STEM,
        ("In which year did Newton publish his laws of motion?", "1687"),
        ("Which formula appears in the document?", "F = ma", ("E = mc^2", "PV = nRT", "V = IR")),
        ("Does the example cart have a mass of 2 kg?", True),
        (
            "Using the law in the document, what acceleration would a 20 N force give the "
            "same cart?",
            (
                "The second law F = ma gives a = F / m.",
                "The cart in the document has a mass of 2 kg.",
                "a = 20 N / 2 kg = 10.",
            ),
            "10 metres per second squared",
        ),
    ),
    Passage(
        "The Roman Forum",
        "The Roman Forum was the centre of public life in ancient Rome. Citizens gathered "
        "there for elections, trials, speeches and markets. The ruins of the Temple of "
        "Saturn still stand in the middle of the modern city.",
        "The document describes the Roman Forum as the centre of public life in ancient Rome, "
        "where elections, trials and markets took place.",
        "ancient Roman Forum",
        HUMANITIES,
        ("Which temple is mentioned in the document?", "The Temple of Saturn"),
        ("In which city is the Forum?", "Rome", ("Athens", "Carthage", "Alexandria")),
        ("Does the document say that citizens held elections at the Forum?", True),
    ),
    Passage(
        "Volcanoes",
        "A volcano forms where molten rock, called magma, reaches the surface. Once it "
        "erupts, the molten rock is called lava. Mount Vesuvius erupted in 79 AD and buried "
        "the Roman town of Pompeii under ash.",
        "The document explains how volcanoes form from magma that erupts as lava, citing "
        "the eruption of Vesuvius that buried Pompeii in 79 AD.",
        "volcanoes and Pompeii",
        STEM,
        ("What is molten rock called once it erupts?", "Lava"),
        ("Which town did Vesuvius bury?", "Pompeii", ("Venice", "Milan", "Florence")),
        ("Does the document say that Vesuvius erupted in 79 AD?", True),
        (
            "How many years before the year 2000 did Vesuvius bury Pompeii?",
            ("The document dates the eruption to 79 AD.", "2000 - 79 = 1921."),
            "1921 years",
        ),
    ),
    Passage(
        "Impressionism",
        "Impressionism began in France in the 1870s. Painters such as Claude Monet and "
        "Berthe Morisot worked outdoors to capture changing light with quick, visible brush "
        "strokes. The movement took its name from Monet's painting Impression, Sunrise.",
        "The document introduces Impressionism, the French movement of the 1870s whose "
        "painters, such as Monet and Morisot, captured changing light outdoors.",
        "French Impressionist painting",
        HUMANITIES,
        ("Which painting gave the movement its name?", "Impression, Sunrise"),
        ("In which country did the movement begin?", "France", ("Italy", "Spain", "Germany")),
        ("Does the document say the painters worked only indoors?", False),
    ),
    Passage(
        "Prime Numbers",
        "A prime number is a whole number greater than 1 whose only divisors are 1 and "
        "itself. The first five primes are 2, 3, 5, 7 and 11. Two is the only even prime, "
        "because every other even number is divisible by 2.",
        "The document defines prime numbers, lists the first five primes and explains why "
        "2 is the only even prime.",
        "prime number basics",
        STEM,
        ("What is the only even prime according to the document?", "2"),
        ("Which of these numbers is among the first five primes listed?", "7", ("4", "9", "6")),
        ("Is 11 among the first five primes listed in the document?", True),
        (
            "What is the sum of the first five primes listed in the document?",
            ("The listed primes are 2, 3, 5, 7 and 11.", "2 + 3 + 5 + 7 + 11 = 28."),
            "28",
        ),
    ),
    Passage(
        "The Silk Road",
        "The Silk Road was a network of trade routes linking China with the Mediterranean. "
        "Merchants carried silk, spices, paper and porcelain, and ideas and religions "
        "travelled along the same roads for more than 1,500 years.",
        "The document describes the Silk Road, a long-lived network of trade routes between "
        "China and the Mediterranean that carried goods, ideas and religions.",
        "Silk Road trade",
        HUMANITIES,
        ("Which region did the routes link China with?", "The Mediterranean"),
        ("Which of these goods does the document list?", "Porcelain", ("Coffee", "Tea", "Cotton")),
        ("Does the document say that ideas and religions travelled along the routes?", True),
    ),
)

FIRST_NAMES = ("Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas")
LAST_NAMES = ("Keller", "Novak", "Okafor", "Silva", "Tanaka", "Moreau", "Larsen", "Petrov")
CITIES = ("Lisbon", "Nairobi", "Osaka", "Toronto", "Krakow", "Lima", "Oslo", "Seville", "Austin")
FORM_TITLES = ("REGISTRATION FORM", "MEMBERSHIP APPLICATION", "LIBRARY CARD REQUEST")
CHECKS = ("Newsletter", "Terms accepted", "Paperless billing", "First visit")
STORES = ("CORNER MARKET", "CITY BAKERY", "BLUE DOOR CAFE", "HARBOR HARDWARE", "GREEN GROCER")
GOODS: dict[str, tuple[int, int]] = {  # name -> price range in cents
    "Apples": (150, 450),
    "Bread": (200, 500),
    "Milk": (90, 250),
    "Coffee beans": (700, 1400),
    "Eggs (12)": (250, 480),
    "Cheese": (350, 900),
    "Tomatoes": (120, 380),
    "Olive oil": (600, 1200),
    "Rice 1kg": (180, 420),
    "Batteries": (400, 950),
    "Notebook": (150, 600),
    "Tea": (250, 700),
}


@dataclass(frozen=True)
class TableSpec:
    """A table template: title, row-label column, numeric columns and value range."""

    title: str
    key: str
    rows: tuple[str, ...]
    columns: tuple[str, str]
    low: int
    high: int


TABLES = (
    TableSpec("Exam scores", "Student", FIRST_NAMES, ("Math", "Science"), 40, 100),
    TableSpec(
        "Library loans", "Month", ("Jan", "Feb", "Mar", "Apr", "May"), ("Books", "DVDs"), 20, 400
    ),
    TableSpec(
        "Shop sales (units)",
        "Product",
        ("Pens", "Mugs", "Caps", "Bags", "Maps"),
        ("Q1", "Q2"),
        10,
        250,
    ),
    TableSpec("City rainfall (mm)", "City", CITIES, ("April", "October"), 5, 180),
)


def _paper(rng: random.Random, width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (width, height), rng.choice(PAPERS))
    return img, ImageDraw.Draw(img)


def _finish(img: Image.Image, bottom: int) -> Image.Image:
    return img.crop((0, 0, img.width, min(img.height, max(bottom, 200))))


def _transcription_turns(title: str, lines: list[str]) -> list[Turn]:
    full = "\n".join([title, *lines])
    return [
        cv.transcription("What is the title of this document?", title, (OCR,)),
        cv.transcription(
            "Transcribe all the text in the image exactly, one output line per line of text.",
            full,
            (OCR, LANGUAGE),
            multiline=True,
        ),
    ]


def paragraph(rng: random.Random) -> Item:
    """A titled page with a short factual passage (humanities or STEM)."""
    p = rng.choice(PASSAGES)
    width = rng.choice((560, 640, 720))
    face = rng.choice(("sans", "serif"))
    title_font, body_font = font(rng.choice((24, 28)), "bold"), font(rng.choice((17, 19)), face)
    img, draw = _paper(rng, width, 900)
    margin = 40
    title_box = ink_box(draw, (margin, margin), p.title, title_font)
    draw.text((margin, margin), p.title, font=title_font, fill=INK)
    lines = wrap(p.body, body_font, width - 2 * margin)
    y = title_box[3] + 24
    step = line_height(body_font, 1.5)
    for line in lines:
        draw.text((margin, y), line, font=body_font, fill=INK)
        y += step
    img = _finish(img, y + margin)
    size = img.size
    truth: dict[str, Any] = {
        "title": p.title,
        "lines": lines,
        "text": "\n".join([p.title, *lines]),
        "passage": p.title,
        "boxes": [box_entry("the title", title_box, size)],
    }
    q, a = p.question
    cq, correct, wrong = p.choice
    yq, yv = p.check
    caps = (OCR, p.capability)
    turns = [
        *_transcription_turns(p.title, lines),
        cv.transcription("Transcribe the first line of the body text exactly.", lines[0], (OCR,)),
        cv.short_answer(q, a, caps, ocr=True),
        cv.multi_choice(rng, cq, correct, wrong, caps, ocr=True),
        cv.yes_no(yq, yv, caps, ocr=True),
        cv.description(
            "Summarize the document in one sentence.", p.summary, (LANGUAGE, OCR), False, True
        ),
        cv.specified(
            "In exactly three words, what is the topic of this document?",
            p.topic,
            (LANGUAGE, OCR),
            True,
        ),
        cv.description(
            "Describe this image in detail.",
            f'The image shows a printed page with the bold title "{p.title}" at the top, '
            f"followed by {number_word(len(lines))} lines of body text in a "
            f"{'serif' if face == 'serif' else 'sans-serif'} font. {p.summary}",
            (LANGUAGE, OCR, SCENE),
            True,
            True,
        ),
        cv.grounding(
            "the title of the document", truth["boxes"][0]["bbox_norm"], (SPATIAL, OCR), True
        ),
    ]
    if p.steps is not None:
        sq, steps, sa = p.steps
        turns.append(cv.chain_of_thought(sq, steps, sa, (p.capability, LOGIC, OCR), True))
    return Item("document", "paragraph", [Picture(img)], truth=truth, turns=turns)


def form(rng: random.Random) -> Item:
    """A filled-in form: labelled fields, values and ticked/unticked boxes."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    fields = {
        "Full name": f"{first} {last}",
        "Date of birth": f"{year:04d}-{month:02d}-{day:02d}",
        "City": rng.choice(CITIES),
        "Member ID": f"ID-{rng.randint(100000, 999999)}",
        "Email": f"{first.lower()}.{last.lower()}@example.com",
    }
    checks = {name: rng.random() < 0.5 for name in rng.sample(CHECKS, 2)}
    title = rng.choice(FORM_TITLES)
    width = rng.choice((600, 680))
    img, draw = _paper(rng, width, 700)
    title_font, label_font, value_font = font(24, "bold"), font(17), font(19, "mono")
    margin, y = 36, 32
    draw.text((margin, y), title, font=title_font, fill=INK)
    y += 60
    value_color = (20, 40, 140)
    boxes = []
    for label, value in fields.items():
        draw.text((margin, y), f"{label}:", font=label_font, fill=(90, 90, 90))
        vx = margin + 170
        boxes.append((label, ink_box(draw, (vx, y - 2), value, value_font)))
        draw.text((vx, y - 2), value, font=value_font, fill=value_color)
        draw.line((vx, y + 24, width - margin, y + 24), fill=(160, 160, 160), width=1)
        y += 44
    y += 10
    for name, ticked in checks.items():
        draw.rectangle((margin, y, margin + 18, y + 18), outline=INK, width=2)
        if ticked:
            draw.line((margin + 3, y + 9, margin + 8, y + 15), fill=value_color, width=3)
            draw.line((margin + 8, y + 15, margin + 16, y + 3), fill=value_color, width=3)
        draw.text((margin + 30, y), name, font=label_font, fill=INK)
        y += 34
    img = _finish(img, y + 24)
    truth: dict[str, Any] = {
        "title": title,
        "fields": fields,
        "checkboxes": checks,
        "boxes": [box_entry(f"the {label} value", b, img.size) for label, b in boxes],
    }
    label = rng.choice(list(fields))
    box = truth["boxes"][list(fields).index(label)]["bbox_norm"]
    check_name, ticked = rng.choice(list(checks.items()))
    ticked_names = [n for n, t in checks.items() if t]
    age = 2025 - year - (1 if (month, day) > (1, 1) else 0)
    turns = [
        cv.transcription("What is the title of this form?", title, (OCR,)),
        cv.short_answer(
            f'What is written in the "{label}" field?', fields[label], (OCR, DATA), True
        ),
        cv.specified(
            "Extract the filled-in fields as a JSON object whose keys are the field labels.",
            cv.as_json(fields),
            (OCR, DATA, LANGUAGE),
            True,
        ),
        cv.grounding(f'the value written in the "{label}" field', box, (SPATIAL, OCR), True),
        cv.yes_no(f'Is the "{check_name}" box ticked?', ticked, (ATTRIBUTE, OCR), True),
        cv.multi_choice(
            rng,
            "Which city is written on the form?",
            fields["City"],
            rng.sample([c for c in CITIES if c != fields["City"]], 3),
            (OCR, DATA),
            True,
        ),
        cv.chain_of_thought(
            "How old was the person on 1 January 2025?",
            (
                f"The date of birth on the form is {fields['Date of birth']}.",
                f"2025 - {year} = {2025 - year}.",
                "The birthday had not yet come on 1 January, so subtract one year."
                if (month, day) > (1, 1)
                else "The birthday is on 1 January, so the full difference counts.",
            ),
            f"{age} years old",
            (LOGIC, OCR, DATA),
            True,
        ),
        cv.description(
            "Briefly describe this image.",
            f"A filled-in {title.lower()} with {number_word(len(fields))} fields and "
            f"{number_word(len(checks))} checkboxes, "
            + (
                f"of which {join_words([repr(n) for n in ticked_names])} is ticked."
                if len(ticked_names) == 1
                else f"{number_word(len(ticked_names))} of them ticked."
            ),
            (SCENE, OCR),
            False,
            True,
        ),
    ]
    return Item("document", "form", [Picture(img)], truth=truth, turns=turns)


def _money(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


def receipt(rng: random.Random) -> Item:
    """A shop receipt with item prices and a total."""
    store = rng.choice(STORES)
    names = rng.sample(list(GOODS), rng.randint(3, 6))
    prices = [rng.randint(*GOODS[n]) // 10 * 10 for n in names]
    while len(set(prices)) < len(prices):  # a unique most expensive item
        prices = [rng.randint(*GOODS[n]) // 10 * 10 for n in names]
    total = sum(prices)
    date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    width = rng.choice((380, 420))
    img, draw = _paper(rng, width, 700)
    big, mono = font(24, "bold"), font(18, "mono")
    margin = 28
    draw_centered(draw, (0, 20, width, 56), [store], big, INK)
    y = 72
    draw.text((margin, y), f"Date: {date}", font=mono, fill=INK)
    y += 34
    draw.line((margin, y, width - margin, y), fill=INK, width=1)
    y += 12
    for name, cents in zip(names, prices, strict=True):
        draw.text((margin, y), name, font=mono, fill=INK)
        price = _money(cents)
        draw.text((width - margin - mono.getlength(price), y), price, font=mono, fill=INK)
        y += 30
    draw.line((margin, y, width - margin, y), fill=INK, width=1)
    y += 12
    total_text = _money(total)
    total_x = width - margin - big.getlength(total_text)
    total_box = ink_box(draw, (margin, y), "TOTAL", big)
    amount_box = ink_box(draw, (total_x, y), total_text, big)
    draw.text((margin, y), "TOTAL", font=big, fill=INK)
    draw.text((total_x, y), total_text, font=big, fill=INK)
    y += 50
    draw_centered(draw, (0, y, width, y + 26), ["Thank you!"], mono, INK)
    img = _finish(img, y + 40)
    line_box = (
        total_box[0],
        min(total_box[1], amount_box[1]),
        amount_box[2],
        max(total_box[3], amount_box[3]),
    )
    items = [{"name": n, "price": _money(c)} for n, c in zip(names, prices, strict=True)]
    truth: dict[str, Any] = {
        "store": store,
        "date": date,
        "items": items,
        "total": total_text,
        "boxes": [box_entry("the total line", line_box, img.size)],
    }
    top = max(range(len(names)), key=lambda i: prices[i])
    drop = rng.randrange(len(names))
    absent = rng.choice([g for g in GOODS if g not in names])
    probe, present = (
        (names[rng.randrange(len(names))], True) if rng.random() < 0.5 else (absent, False)
    )
    turns = [
        cv.short_answer("What is the total amount on the receipt?", total_text, (OCR, DATA), True),
        cv.transcription("What is the name of the store at the top of the receipt?", store, (OCR,)),
        cv.multi_choice(
            rng,
            "Which item was the most expensive?",
            names[top],
            [n for i, n in enumerate(names) if i != top],
            (DATA, OCR, COMPARATIVE),
            True,
        ),
        cv.chain_of_thought(
            f"How much would the purchase have cost without the {names[drop]}?",
            (
                f"The total on the receipt is {total_text}.",
                f"The {names[drop]} cost {_money(prices[drop])}.",
                f"{total_text} - {_money(prices[drop])} = {_money(total - prices[drop])}.",
            ),
            _money(total - prices[drop]),
            (LOGIC, DATA, OCR),
            True,
        ),
        cv.yes_no(f"Does the receipt include {probe}?", present, (OCR, DATA), True),
        cv.specified(
            'List the purchased items as a JSON array of objects with keys "name" and '
            '"price", in the order they appear.',
            cv.as_json(items),
            (OCR, DATA, LANGUAGE),
            True,
        ),
        cv.short_answer(
            "How many different items are listed on the receipt?",
            str(len(names)),
            (DATA, OCR),
            True,
        ),
        cv.grounding(
            "the line with the total amount", truth["boxes"][0]["bbox_norm"], (SPATIAL, OCR), True
        ),
        cv.description(
            "Describe this receipt in detail.",
            f"This is a receipt from {store.title()} dated {date}. It lists "
            f"{number_word(len(names))} items: "
            + join_words([f"{it['name']} for {it['price']}" for it in items])
            + f'. The total at the bottom is {total_text}, followed by a "Thank you!" note.',
            (LANGUAGE, OCR, DATA),
            True,
            True,
        ),
    ]
    return Item("document", "receipt", [Picture(img)], truth=truth, turns=turns)


def _distinct(rng: random.Random, k: int, low: int, high: int) -> list[int]:
    return rng.sample(range(low, high + 1), k)


def table(rng: random.Random) -> Item:
    """A small data table with a title, a header row and numeric cells."""
    spec = rng.choice(TABLES)
    n_rows = rng.randint(3, 5)
    rows = rng.sample(list(spec.rows), n_rows) if spec.key != "Month" else list(spec.rows[:n_rows])
    cols = {c: _distinct(rng, n_rows, spec.low, spec.high) for c in spec.columns}
    header = [spec.key, *spec.columns]
    col_w = (150, 120, 120)
    margin, row_h = 30, 38
    width = margin * 2 + sum(col_w)
    height = margin * 2 + 56 + row_h * (n_rows + 1)
    img, draw = _paper(rng, width, height)
    title_font, cell_font, head_font = font(22, "bold"), font(18), font(18, "bold")
    draw.text((margin, margin - 8), spec.title, font=title_font, fill=INK)
    top = margin + 40
    grid = [[*header]] + [[r, *(str(cols[c][i]) for c in spec.columns)] for i, r in enumerate(rows)]
    for ri, row in enumerate(grid):
        x = margin
        y = top + ri * row_h
        if ri == 0:
            draw.rectangle((margin, y, width - margin, y + row_h), fill=(225, 230, 240))
        for ci, cell in enumerate(row):
            draw.text((x + 10, y + 9), cell, font=head_font if ri == 0 else cell_font, fill=INK)
            x += col_w[ci]
    for ri in range(n_rows + 2):
        y = top + ri * row_h
        draw.line((margin, y, width - margin, y), fill=(120, 120, 120), width=1)
    x = margin
    for w in (0, *col_w):
        x += w
        draw.line((x, top, x, top + row_h * (n_rows + 1)), fill=(120, 120, 120), width=1)
    truth: dict[str, Any] = {"title": spec.title, "header": header, "rows": grid[1:]}
    c1, c2 = spec.columns
    col = rng.choice(spec.columns)
    i, j = rng.sample(range(n_rows), 2)
    best = max(range(n_rows), key=lambda k: cols[col][k])
    csv = "\n".join(",".join(r) for r in grid)
    vals = cols[col]
    turns = [
        cv.short_answer(f"What is the {col} value for {rows[i]}?", str(vals[i]), (DATA, OCR), True),
        cv.multi_choice(
            rng,
            f"Which {spec.key.lower()} has the highest {col} value?",
            rows[best],
            [r for k, r in enumerate(rows) if k != best],
            (DATA, COMPARATIVE, OCR),
            True,
        ),
        cv.comparison(
            f"Compare {rows[i]} and {rows[j]} in the table.",
            f"{rows[i]} has {c1} {cols[c1][i]} and {c2} {cols[c2][i]}, while {rows[j]} has "
            f"{c1} {cols[c1][j]} and {c2} {cols[c2][j]}. {rows[i]} is "
            f"{'higher' if cols[c1][i] > cols[c1][j] else 'lower'} in {c1} and "
            f"{'higher' if cols[c2][i] > cols[c2][j] else 'lower'} in {c2}.",
            (COMPARATIVE, DATA, OCR),
            True,
        ),
        cv.chain_of_thought(
            f"What is the total of the {col} column?",
            (
                f"The {col} values are {join_words([str(v) for v in vals])}.",
                " + ".join(map(str, vals)) + f" = {sum(vals)}.",
            ),
            str(sum(vals)),
            (DATA, STEM, OCR),
            True,
        ),
        cv.specified(
            "Convert the table to CSV with a header row, without spaces after commas.",
            csv,
            (DATA, OCR, LANGUAGE),
            True,
        ),
        cv.yes_no(
            f"Is the {col} value for {rows[i]} greater than for {rows[j]}?",
            vals[i] > vals[j],
            (DATA, COMPARATIVE, OCR),
            True,
        ),
        cv.transcription("What is the title of the table?", spec.title, (OCR,)),
    ]
    return Item("document", "table", [Picture(img)], truth=truth, turns=turns)


#: (year, event) pairs for timelines; well-established dates.
EVENTS: tuple[tuple[int, str], ...] = (
    (1066, "Battle of Hastings"),
    (1215, "Magna Carta is sealed"),
    (1453, "Fall of Constantinople"),
    (1492, "Columbus reaches the Americas"),
    (1687, "Newton publishes the Principia"),
    (1789, "French Revolution begins"),
    (1815, "Battle of Waterloo"),
    (1869, "Suez Canal opens"),
    (1876, "Bell patents the telephone"),
    (1903, "First powered flight by the Wright brothers"),
    (1914, "World War I begins"),
    (1945, "World War II ends"),
    (1969, "Apollo 11 lands on the Moon"),
    (1989, "Fall of the Berlin Wall"),
)


def timeline(rng: random.Random) -> Item:
    """A dated list of historical events (humanities), oldest first."""
    events = sorted(rng.sample(EVENTS, rng.randint(4, 6)))
    title = rng.choice(("Timeline of world history", "Key dates in history", "History timeline"))
    width = rng.choice((600, 680))
    img, draw = _paper(rng, width, 600)
    title_font, year_font, text_font = font(24, "bold"), font(19, "bold"), font(18)
    margin = 36
    draw.text((margin, 28), title, font=title_font, fill=INK)
    y = 84
    lines = []
    for year, event in events:
        draw.ellipse((margin, y + 7, margin + 8, y + 15), fill=(150, 40, 40))
        draw.text((margin + 20, y), str(year), font=year_font, fill=(150, 40, 40))
        draw.text((margin + 90, y), event, font=text_font, fill=INK)
        lines.append(f"{year} {event}")
        y += 40
    img = _finish(img, y + 20)
    truth = {"title": title, "events": [[yr, ev] for yr, ev in events], "lines": lines}
    (y1, e1), (y2, e2) = sorted(rng.sample(events, 2))
    pick_year, pick_event = rng.choice(events)
    shuffled = [e for _, e in rng.sample(events, len(events))]
    caps = (HUMANITIES, OCR)
    turns = [
        cv.transcription("What is the title of this document?", title, (OCR,)),
        cv.short_answer(
            f"According to the timeline, in which year did this happen: {pick_event}?",
            str(pick_year),
            caps,
            True,
        ),
        cv.multi_choice(
            rng,
            "Which of these events came first?",
            e1,
            [e for e in shuffled if e != e1],
            caps,
            True,
        ),
        cv.chain_of_thought(
            f'How many years passed between "{e1}" and "{e2}"?',
            (
                f'The timeline dates "{e1}" to {y1}.',
                f'It dates "{e2}" to {y2}.',
                f"{y2} - {y1} = {y2 - y1}.",
            ),
            f"{y2 - y1} years",
            (HUMANITIES, LOGIC, OCR),
            True,
        ),
        cv.yes_no(f'Does the timeline place "{e2}" before "{e1}"?', False, (HUMANITIES, OCR), True),
        cv.specified(
            "List the events as a JSON object mapping each year (as a string) to its event.",
            cv.as_json({str(yr): ev for yr, ev in events}),
            (OCR, LANGUAGE, HUMANITIES),
            True,
        ),
        cv.transcription(
            "Transcribe the timeline entries exactly, one per line, as year then event.",
            "\n".join(lines),
            (OCR, HUMANITIES),
            multiline=True,
        ),
        cv.description(
            "Briefly describe this document.",
            f'A timeline titled "{title}" listing {number_word(len(events))} historical events '
            f"from {events[0][0]} ({events[0][1]}) to {events[-1][0]} ({events[-1][1]}).",
            (HUMANITIES, OCR, LANGUAGE),
            False,
            True,
        ),
    ]
    return Item("document", "timeline", [Picture(img)], truth=truth, turns=turns)


BUILDERS: dict[str, Callable[[random.Random], Item]] = {
    "paragraph": paragraph,
    "timeline": timeline,
    "form": form,
    "receipt": receipt,
    "table": table,
}


def build(rng: random.Random) -> Item:
    """A random document item (paragraph, form, receipt or table)."""
    return BUILDERS[rng.choice(sorted(BUILDERS))](rng)

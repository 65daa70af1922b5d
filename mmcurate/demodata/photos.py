"""Real photographs shipped inside scikit-image (``skimage/data``), never downloaded.

Each photo has hand-written facts that are true of the picture; variants (crop, mirror,
colour jitter, resize) make every sample's image distinct while keeping those facts true
(a photo whose facts would not survive a crop or mirror is not cropped or mirrored).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import skimage
from PIL import Image, ImageEnhance, ImageOps

from mmcurate.demodata import conversations as cv
from mmcurate.demodata.items import (
    ACTIVITY,
    ATTRIBUTE,
    CAUSAL,
    COMPARATIVE,
    FINE_GRAINED,
    HUMANITIES,
    LANGUAGE,
    SCENE,
    STEM,
    Item,
    Picture,
    Turn,
)


@dataclass(frozen=True)
class Knowledge:
    """A question needing knowledge beyond the pixels; steps make it a chain-of-thought turn."""

    question: str
    answer: str
    capabilities: tuple[str, ...]
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhotoFacts:
    """What is true of one bundled photo."""

    file: str
    license: str
    subject: str
    caption: str
    details: str
    attributes: tuple[tuple[str, str], ...]
    checks: tuple[tuple[str, bool], ...]
    knowledge: tuple[Knowledge, ...] = ()
    gray: bool = False
    crop: bool = True
    flip: bool = True


PHOTOS: tuple[PhotoFacts, ...] = (
    PhotoFacts(
        "astronaut.png",
        "public domain (NASA)",
        "an astronaut",
        "A smiling astronaut in an orange spacesuit poses for a portrait in front of an "
        "American flag.",
        "A white helmet rests beside her and a model of the Space Shuttle stands in the "
        "background.",
        (
            ("What colour is the spacesuit?", "Orange"),
            ("Which country's flag is in the background?", "The United States"),
        ),
        (
            ("Is the person wearing a spacesuit?", True),
            ("Is the person wearing the helmet on her head?", False),
        ),
        (
            Knowledge(
                "This is NASA astronaut Eileen Collins. What was historic about her 1995 "
                "mission STS-63?",
                "She became the first woman to pilot a Space Shuttle.",
                (HUMANITIES,),
            ),
            Knowledge("What is the person doing?", "Posing for an official portrait", (ACTIVITY,)),
        ),
        flip=False,
    ),
    PhotoFacts(
        "coffee.png",
        "CC0 (Rachel Michetti)",
        "a cup of coffee",
        "A cup of coffee on a red saucer with a spoon, on a wooden table.",
        "The cup is red outside and white inside, and the coffee has a layer of "
        "light-brown foam on top.",
        (("What colour is the saucer?", "Red"), ("What material is the table made of?", "Wood")),
        (("Is there a spoon on the saucer?", True), ("Is the cup empty?", False)),
        (
            Knowledge(
                "Why is there a layer of light-brown foam on top of the coffee?",
                "It is crema, which forms when espresso is brewed under pressure.",
                (CAUSAL, STEM),
                (
                    "The drink is a small cup of coffee with foam on top.",
                    "Espresso is brewed by forcing hot water through ground coffee under pressure.",
                    "The pressure emulsifies oils and gases from the coffee into a foam.",
                ),
            ),
        ),
    ),
    PhotoFacts(
        "chelsea.png",
        "CC0 (Stefan van der Walt)",
        "a cat",
        "A close-up of a tabby cat's face with yellow-green eyes.",
        "The cat's fur is striped in brown and orange tones, and it looks straight at the camera.",
        (
            ("What colour are the cat's eyes?", "Yellow-green"),
            ("What pattern does the cat's coat have?", "Tabby stripes"),
        ),
        (("Is this animal a dog?", False), ("Are the cat's eyes open?", True)),
        (
            Knowledge(
                "Why are the cat's pupils narrow slits?",
                "The pupils narrow in bright light to limit how much light enters the eyes.",
                (CAUSAL, STEM),
                (
                    "The cat's pupils are narrow vertical slits.",
                    "Cats' pupils contract when there is a lot of light.",
                ),
            ),
            Knowledge(
                "What kind of animal is this, including its coat type?",
                "A tabby cat",
                (FINE_GRAINED,),
            ),
        ),
    ),
    PhotoFacts(
        "rocket.jpg",
        "public domain (SpaceX)",
        "a rocket on a launch pad",
        "A Falcon 9 rocket stands on its launch pad at dusk, surrounded by tall towers.",
        "Bright floodlights light up the pad and the sky is a deep blue.",
        (("What time of day does the photo show?", "Dusk"),),
        (
            ("Are there tall towers around the rocket?", True),
            ("Is the rocket flying in the sky?", False),
        ),
        (
            Knowledge(
                "Why are there tall towers around the rocket?",
                "They are lightning towers that protect the rocket on the pad from lightning "
                "strikes.",
                (CAUSAL, STEM),
                (
                    "The rocket stands alone on an open launch pad.",
                    "A tall rocket on open ground is exposed to lightning strikes.",
                    "Taller grounded towers nearby draw lightning away from the rocket.",
                ),
            ),
            Knowledge(
                "What event is this site being prepared for?", "A rocket launch", (ACTIVITY, SCENE)
            ),
        ),
    ),
    PhotoFacts(
        "camera.png",
        "CC0 (Lav Varshney)",
        "a man with a camera on a tripod",
        "A man in a dark coat looks through a camera mounted on a tripod on a grassy field.",
        "Buildings are visible in the distance behind him.",
        (
            ("What is the camera mounted on?", "A tripod"),
            ("Is the photo in colour or black and white?", "Black and white"),
        ),
        (("Is the man wearing a dark coat?", True), ("Are there animals in the field?", False)),
        (
            Knowledge(
                "What is the man doing?",
                "He is looking through a camera to take a photograph.",
                (ACTIVITY,),
            ),
            Knowledge(
                "Why is the camera on a tripod?",
                "The tripod holds the camera steady so that the pictures are not blurred.",
                (CAUSAL,),
                (
                    "The camera is fixed on a three-legged stand.",
                    "A hand-held camera shakes slightly.",
                ),
            ),
        ),
        gray=True,
    ),
    PhotoFacts(
        "coins.png",
        "no known copyright restrictions (Brooklyn Museum)",
        "ancient coins",
        "Ancient Greek coins laid out in four rows on a dark background.",
        "There are 24 coins of slightly different sizes, each stamped with a head or a figure.",
        (
            ("How many coins are in the image?", "24"),
            ("Is the photo in colour or black and white?", "Black and white"),
        ),
        (("Are the coins arranged in rows?", True), ("Are any banknotes shown?", False)),
        (
            Knowledge(
                "These Greek coins were found at Pompeii. Which volcano buried Pompeii?",
                "Mount Vesuvius",
                (HUMANITIES,),
            ),
            Knowledge(
                "How many coins are there?",
                "24",
                (FINE_GRAINED, SCENE),
                ("The coins are arranged in 4 rows.", "Each row has 6 coins.", "4 x 6 = 24."),
            ),
        ),
        gray=True,
        crop=False,
    ),
    PhotoFacts(
        "motorcycle_left.png",
        "Middlebury 2014 stereo dataset",
        "a red motorcycle",
        "A red motorcycle parked in a garage, with shelves and boxes behind it.",
        "The motorcycle has chrome parts, a black seat and two spoked wheels.",
        (
            ("What colour is the motorcycle's fuel tank?", "Red"),
            ("How many wheels does the vehicle have?", "Two"),
        ),
        (("Is anyone riding the motorcycle?", False), ("Is the motorcycle indoors?", True)),
    ),
    PhotoFacts(
        "hubble_deep_field.jpg",
        "public domain (NASA)",
        "galaxies in deep space",
        "A deep-field image showing many distant galaxies as small coloured specks on a black "
        "background.",
        "The galaxies come in many shapes, from small red dots to larger spiral and elliptical "
        "smudges.",
        (("What colour is the background?", "Black"),),
        (
            ("Is this a picture of a city at night?", False),
            ("Does the image contain many galaxies?", True),
        ),
        (
            Knowledge(
                "Which space telescope took this deep-field image?",
                "The Hubble Space Telescope",
                (STEM, FINE_GRAINED),
            ),
            Knowledge(
                "Why do the most distant galaxies look so small and faint?",
                "They are so far away that little of their light reaches the telescope.",
                (STEM, CAUSAL),
                (
                    "Each speck is a whole galaxy.",
                    "Apparent size and brightness drop with distance.",
                ),
            ),
        ),
    ),
    PhotoFacts(
        "ihc.png",
        "no known copyright restrictions (CMMI)",
        "stained tissue under a microscope",
        "A microscope image of colon tissue stained brown and blue, showing gland structures.",
        "Brown staining marks the protein being detected, and a blue counterstain colours the "
        "surrounding tissue.",
        (("What two colours dominate the staining?", "Brown and blue"),),
        (("Is this a microscope image?", True), ("Is this an aerial photo of a city?", False)),
        (
            Knowledge(
                "Which blue counterstain is commonly used in such tissue images?",
                "Hematoxylin",
                (STEM,),
            ),
        ),
    ),
    PhotoFacts(
        "retina.jpg",
        "CC0 (Mikael Häggström)",
        "the retina of an eye",
        "A fundus photograph of a human retina: an orange-red disc with branching blood vessels.",
        "The vessels converge on a bright spot, the optic disc, and the darker centre is the "
        "macula.",
        (("What colour is the retina in the photo?", "Orange-red"),),
        (("Are blood vessels visible?", True), ("Is this a photo of a planet?", False)),
        (
            Knowledge(
                "What is the bright spot where the blood vessels converge?",
                "The optic disc, where the optic nerve leaves the eye",
                (STEM, FINE_GRAINED),
            ),
        ),
        crop=False,
        flip=False,
    ),
    PhotoFacts(
        "moon.png",
        "scikit-image sample data",
        "the surface of the moon",
        "A grayscale, low-contrast image of the moon's surface with small craters.",
        "The surface is mostly smooth gray with a few dark patches and round craters.",
        (("Is the photo in colour or grayscale?", "Grayscale"),),
        (("Are craters visible?", True), ("Is there water in the image?", False)),
        (
            Knowledge(
                "What forms craters like these on the moon?",
                "Impacts of meteoroids and asteroids",
                (STEM, CAUSAL),
            ),
        ),
        gray=True,
    ),
    PhotoFacts(
        "horse.png",
        "CC0 (Andreas Preuss)",
        "a horse",
        "A black silhouette of a horse standing on a white background.",
        "The silhouette shows the horse in profile with its head raised and its tail hanging down.",
        (
            ("What colour is the horse?", "Black"),
            ("How many legs of the horse can be seen?", "Four"),
        ),
        (("Is the animal a horse?", True), ("Is there a rider on the horse?", False)),
        gray=True,
        crop=False,
    ),
    PhotoFacts(
        "clock_motion.png",
        "public domain (Stefan van der Walt)",
        "a motion-blurred wall clock",
        "A blurry grayscale photo of a round wall clock, smeared sideways by camera motion.",
        "The clock face is light with a dark rim, but the blur makes its hands unreadable.",
        (("What shape is the clock?", "Round"),),
        (("Can the clock's hands be read clearly?", False), ("Is the object a clock?", True)),
        (
            Knowledge(
                "Why is the image blurred?",
                "The camera moved horizontally while the photo was being taken.",
                (CAUSAL,),
                (
                    "The blur streaks run horizontally.",
                    "The background is blurred in the same direction.",
                ),
            ),
        ),
        gray=True,
    ),
    PhotoFacts(
        "brick.png",
        "CC0 (CC0Textures)",
        "a brick wall",
        "A grayscale close-up of a brick wall seen at an angle.",
        "Rows of rectangular bricks are separated by lighter mortar lines.",
        (("What material is the wall made of?", "Brick"),),
        (("Is the wall made of bricks?", True), ("Is there a window in the wall?", False)),
        gray=True,
    ),
)


@functools.cache
def _source(file: str) -> Image.Image:
    path = Path(skimage.__file__).parent / "data" / file
    img: Image.Image = Image.open(path)
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        base = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(base, img)
    img = img.convert("RGB")
    img.load()
    return img


def variant(
    facts: PhotoFacts,
    rng: random.Random,
    brightness: float | None = None,
    mirror: bool | None = None,
    crop: bool = True,
) -> tuple[Image.Image, dict[str, Any]]:
    """A distinct copy of the photo: crop, mirror, colour jitter and resize.

    Args:
        facts: The photo.
        rng: Draws the transform.
        brightness: Fixed brightness factor (random in 0.85-1.15 when ``None``).
        mirror: Force mirroring on or off (random when ``None``; never when not allowed).
        crop: Allow a random crop (only where the photo's facts survive one).

    Returns:
        The image and a record of the transform applied.
    """
    img = _source(facts.file)
    w, h = img.size
    box = (0, 0, w, h)
    if crop and facts.crop:
        cw, ch = int(w * rng.uniform(0.8, 1.0)), int(h * rng.uniform(0.8, 1.0))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        box = (x, y, x + cw, y + ch)
        img = img.crop(box)
    flipped = (rng.random() < 0.5 if mirror is None else mirror) and facts.flip
    if flipped:
        img = ImageOps.mirror(img)
    b = brightness if brightness is not None else rng.uniform(0.85, 1.15)
    c = rng.uniform(0.9, 1.1)
    s = 1.0 if facts.gray else rng.uniform(0.85, 1.15)
    img = ImageEnhance.Brightness(img).enhance(b)
    img = ImageEnhance.Contrast(img).enhance(c)
    if s != 1.0:
        img = ImageEnhance.Color(img).enhance(s)
    longest = rng.choice(range(320, 672, 32))
    scale = longest / max(img.size)
    img = img.resize(
        (max(1, round(img.width * scale)), max(1, round(img.height * scale))),
        Image.Resampling.BILINEAR,
        reducing_gap=2.0,
    )
    transform = {
        "crop": list(box),
        "mirrored": flipped,
        "brightness": round(b, 3),
        "contrast": round(c, 3),
        "saturation": round(s, 3),
        "size": list(img.size),
    }
    return img, transform


def _base_truth(facts: PhotoFacts, transform: dict[str, Any]) -> dict[str, Any]:
    return {
        "origin": f"skimage/data/{facts.file}",
        "license": facts.license,
        "subject": facts.subject,
        "caption": facts.caption,
        "grayscale": facts.gray,
        "transform": transform,
    }


def _knowledge_turn(k: Knowledge) -> Turn:
    if k.steps:
        return cv.chain_of_thought(k.question, k.steps, k.answer, k.capabilities)
    return cv.short_answer(k.question, k.answer, k.capabilities)


def single_turns(rng: random.Random, facts: PhotoFacts) -> list[Turn]:
    """All candidate turns for one photo."""
    others = [p.subject for p in PHOTOS if p.subject != facts.subject]
    detail = f"{facts.caption} {facts.details}" + (
        " The photo is in black and white." if facts.gray else ""
    )
    turns = [
        cv.multi_choice(
            rng,
            "What is the main subject of this photo?",
            facts.subject.capitalize(),
            [o.capitalize() for o in rng.sample(others, 3)],
            (FINE_GRAINED, SCENE),
        ),
        cv.description("Briefly describe the image.", facts.caption, (SCENE, LANGUAGE), False),
        cv.description("Describe the image in detail.", detail, (LANGUAGE, SCENE), True),
        cv.specified(
            'Answer in JSON with the keys "subject" (a short phrase) and "grayscale" '
            "(true or false).",
            cv.as_json({"subject": facts.subject, "grayscale": facts.gray}),
            (ATTRIBUTE, LANGUAGE),
        ),
    ]
    turns += [cv.short_answer(q, a, (ATTRIBUTE,)) for q, a in facts.attributes]
    turns += [cv.yes_no(q, v, (SCENE, ATTRIBUTE)) for q, v in facts.checks]
    turns += [_knowledge_turn(k) for k in facts.knowledge]
    return turns


def build(rng: random.Random) -> Item:
    """A variant of a random bundled photo with its fact-based turns."""
    facts = rng.choice(PHOTOS)
    img, transform = variant(facts, rng)
    return Item(
        "photo",
        facts.file.split(".")[0],
        [Picture(img, "jpg")],
        truth=_base_truth(facts, transform),
        turns=single_turns(rng, facts),
    )


def _luma(img: Image.Image) -> float:
    return float(np.asarray(img.convert("L"), dtype=np.float32).mean())


def build_pair(rng: random.Random) -> Item:
    """Two photos: two variants of one photo, or two different photos, with comparison turns."""
    if rng.random() < 0.5:
        facts = rng.choice([p for p in PHOTOS if p.flip])
        mirrored = rng.random() < 0.5
        b1, b2 = (0.7, 1.3) if rng.random() < 0.5 else (1.3, 0.7)
        img_a, t_a = variant(facts, rng, brightness=b1, mirror=False, crop=False)
        img_b, t_b = variant(facts, rng, brightness=b2, mirror=mirrored, crop=False)
        l_a, l_b = _luma(img_a), _luma(img_b)
        truth = {
            **_base_truth(facts, t_a),
            "transform_second": t_b,
            "pair": "variants",
            "mean_luma": [round(l_a, 2), round(l_b, 2)],
        }
        turns = [
            cv.yes_no("Do both images show the same scene?", True, (COMPARATIVE, SCENE)),
            cv.yes_no(
                "Is the second image a mirror image of the first?",
                t_b["mirrored"],
                (COMPARATIVE, ATTRIBUTE),
            ),
        ]
        if abs(l_a - l_b) > 8:  # only ask when the difference is plain to see
            brighter = "first" if l_a > l_b else "second"
            turns.append(
                cv.comparison(
                    "Which of the two images is brighter?",
                    f"The {brighter} image is brighter; both show {facts.subject}.",
                    (COMPARATIVE, ATTRIBUTE),
                )
            )
    else:
        fa, fb = rng.sample(PHOTOS, 2)
        img_a, t_a = variant(fa, rng)
        img_b, t_b = variant(fb, rng)
        truth = {
            **_base_truth(fa, t_a),
            "second": _base_truth(fb, t_b),
            "pair": "different",
        }
        turns = [
            cv.yes_no("Do both images show the same subject?", False, (COMPARATIVE, SCENE)),
            cv.short_answer(
                f"Which image shows {fb.subject}, the first or the second?",
                "The second",
                (COMPARATIVE, FINE_GRAINED),
            ),
            cv.comparison(
                "Describe the differences between the two images.",
                f"The first image shows {fa.subject}: {fa.caption} "
                f"The second image shows {fb.subject}: {fb.caption}",
                (COMPARATIVE, SCENE, LANGUAGE),
            ),
        ]
    return Item(
        "photo", "pair", [Picture(img_a, "jpg"), Picture(img_b, "jpg")], truth=truth, turns=turns
    )

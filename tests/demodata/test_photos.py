from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import skimage

from mmcurate.demodata import photos

DATA = Path(skimage.__file__).parent / "data"


def test_every_photo_is_bundled_with_skimage() -> None:
    for facts in photos.PHOTOS:
        assert (DATA / facts.file).is_file(), facts.file
        assert facts.attributes or facts.checks


def test_variants_are_distinct_and_respect_the_facts() -> None:
    seen = set()
    for seed in range(40):
        item = photos.build(random.Random(seed))
        t = item.truth["transform"]
        facts = next(p for p in photos.PHOTOS if item.truth["origin"].endswith(p.file))
        assert not t["mirrored"] or facts.flip
        assert facts.crop or t["crop"][:2] == [0, 0]
        img = item.pictures[0].image
        assert img.mode == "RGB" and list(img.size) == t["size"] and max(img.size) <= 640
        assert item.pictures[0].fmt == "jpg"
        seen.add(img.tobytes())
    assert len(seen) == 40


@pytest.mark.parametrize("seed", range(12))
def test_pairs(seed: int) -> None:
    item = photos.build_pair(random.Random(seed))
    assert len(item.pictures) == 2
    by_q = {t.question: t.answer for t in item.turns}
    if item.truth["pair"] == "variants":
        luma = [np.asarray(p.image.convert("L"), dtype=np.float32).mean() for p in item.pictures]
        brighter = "first" if luma[0] > luma[1] else "second"
        if abs(luma[0] - luma[1]) > 8:
            assert by_q["Which of the two images is brighter?"].startswith(f"The {brighter} image")
        mirrored = item.truth["transform_second"]["mirrored"]
        assert by_q["Is the second image a mirror image of the first?"] == (
            "Yes" if mirrored else "No"
        )
    else:
        assert item.truth["subject"] != item.truth["second"]["subject"]
        assert by_q["Do both images show the same subject?"] == "No"

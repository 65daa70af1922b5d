from __future__ import annotations

from mmcurate.demodata import items


def test_derive_seed_is_stable_and_spread() -> None:
    assert items.derive_seed(0, "item", 1) == items.derive_seed(0, "item", 1)
    seeds = {items.derive_seed(0, "item", i) for i in range(1000)}
    assert len(seeds) == 1000 and all(0 <= s < 2**31 for s in seeds)


def test_boxes_and_words() -> None:
    entry = items.box_entry("the x", (10, 20, 110, 70), (200, 100), (1, 2, 3), image=1)
    assert entry == {
        "label": "the x",
        "image": 1,
        "bbox": [10, 20, 110, 70],
        "bbox_norm": [0.05, 0.2, 0.55, 0.7],
        "rgb": [1, 2, 3],
    }
    assert items.number_word(3) == "three" and items.number_word(42) == "42"
    assert items.join_words(["a", "b", "c"]) == "a, b and c"
    assert items.article("orange") == "an" and items.article("red") == "a"


def test_palette_colours_are_distinct() -> None:
    assert len(set(items.PALETTE.values())) == len(items.PALETTE)

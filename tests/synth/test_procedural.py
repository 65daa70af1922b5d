"""Procedural pairs: seeded, one known change, exact ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from mmcurate.synth.procedural import BACKGROUND, CHANGES, make_pair


def test_same_seed_same_pair_and_different_index_different_pair() -> None:
    a, b = make_pair(3, 1), make_pair(3, 1)
    assert np.array_equal(np.asarray(a.image_a), np.asarray(b.image_a))
    assert a.gt_boxes == b.gt_boxes and a.pair_id == "proc-3-000001"
    assert not np.array_equal(np.asarray(make_pair(3, 2).image_a), np.asarray(a.image_a))


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_differs_only_inside_the_ground_truth_boxes(change: str) -> None:
    p = make_pair(0, 0, changes=(change,))
    assert p.change == change
    a = np.asarray(p.image_a, np.int16)
    b = np.asarray(p.image_b, np.int16)
    diff = np.abs(a - b).max(axis=2) > 40
    inside = np.zeros_like(diff)
    for x1, y1, x2, y2 in p.gt_boxes:
        inside[max(0, y1 - 3) : y2 + 3, max(0, x1 - 3) : x2 + 3] = True
        assert diff[y1:y2, x1:x2].any()  # the box holds a real change
    assert not (diff & ~inside).any()  # nothing changed outside the boxes
    assert len(p.gt_boxes) == (2 if change == "move" else 1) == len(p.region_captions)
    for ca, cb in p.region_captions:
        assert ca != cb
    if change in ("remove", "move"):
        assert BACKGROUND in p.region_captions[0]
    assert p.difference and p.caption_a != p.caption_b or change == "move"


def test_unknown_change_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        make_pair(0, 0, changes=("explode",))  # type: ignore[arg-type]

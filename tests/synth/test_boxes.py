"""Difference boxes: maps, filters (tiny, crop similarity, NMS), recall on procedural pairs."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from mmcurate.synth.boxes import BoxParams, crop_similarity, find_boxes, iou, to_array
from mmcurate.synth.procedural import make_pair


def scene(boxes: list[tuple[tuple[int, int, int, int], str]], size=(200, 150)) -> Image.Image:
    rng = np.random.default_rng(0)
    base = np.full((size[1], size[0], 3), 200.0) + rng.normal(0, 3, (size[1], size[0], 3))
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for box, color in boxes:
        d.rectangle(box, fill=color)
    return img


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == 50 / 150
    assert iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0


def test_one_recoloured_square_gives_one_box_around_it() -> None:
    a = scene([((40, 40, 79, 79), "red"), ((120, 60, 159, 99), "blue")])
    b = scene([((40, 40, 79, 79), "green"), ((120, 60, 159, 99), "blue")])
    res = find_boxes(a, b)
    assert len(res.boxes) == 1
    assert iou(res.boxes[0], (40, 40, 80, 80)) > 0.8
    assert res.crop_similarities[0] < 0.85


def test_identical_images_give_no_box_and_tiny_changes_are_dropped_with_reason() -> None:
    a = scene([((40, 40, 79, 79), "red")])
    assert find_boxes(a, a.copy()).boxes == []
    b = scene([((40, 40, 79, 79), "red"), ((150, 20, 152, 22), "black")])  # 3x3 dot
    res = find_boxes(a, b, BoxParams(min_area_frac=1 / 400))
    assert res.boxes == []
    assert any(c.dropped and c.dropped.startswith("tiny") for c in res.candidates)


def test_crop_similarity_threshold_drops_faint_changes() -> None:
    a = scene([((40, 40, 99, 99), (120, 120, 120))])
    b = scene([((40, 40, 99, 99), (150, 150, 150))])  # a flat, faint change
    loose = find_boxes(a, b, BoxParams(crop_similarity_max=1.0))
    assert len(loose.boxes) == 1
    sim = crop_similarity(to_array(a), to_array(b), loose.boxes[0])
    strict = find_boxes(a, b, BoxParams(crop_similarity_max=sim - 1e-3))
    assert strict.boxes == [] and "crops similar" in (strict.candidates[0].dropped or "")


def test_nms_suppresses_overlapping_candidates() -> None:
    a = scene([((40, 40, 99, 99), "red")])
    b = scene([((40, 40, 99, 99), "blue")])
    grown = find_boxes(a, b, BoxParams(segmentation="felzenszwalb"))
    assert len(grown.boxes) == 1
    # two separate changes whose padded boxes overlap (IoU ~0.2): NMS at 0.15 keeps one
    a2 = scene([((40, 40, 69, 69), "red"), ((100, 40, 129, 69), "red")])
    b2 = scene([((40, 40, 69, 69), "blue"), ((100, 40, 129, 69), "blue")])
    two = find_boxes(a2, b2, BoxParams(merge_px=0, close_px=0, pad_px=30))
    assert len(two.boxes) == 2
    res = find_boxes(a2, b2, BoxParams(merge_px=0, close_px=0, pad_px=30, nms_iou=0.15))
    assert len(res.boxes) == 1
    assert any((c.dropped or "").startswith("nms") for c in res.candidates)


def test_recall_on_procedural_pairs() -> None:
    hits = total = 0
    for i in range(24):
        p = make_pair(11, i)
        boxes = find_boxes(p.image_a, p.image_b).boxes
        for g in p.gt_boxes:
            total += 1
            hits += max((iou(g, b) for b in boxes), default=0.0) >= 0.5
    assert hits / total >= 0.9


def test_second_image_of_another_size_is_resized() -> None:
    a = scene([((40, 40, 79, 79), "red")])
    b = scene([((40, 40, 79, 79), "green")]).resize((400, 300))
    res = find_boxes(a, b)
    assert res.resized and len(res.boxes) == 1

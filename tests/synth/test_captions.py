"""Caption helpers: comparisons, side-by-side image, heuristic answers, removal variant."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from mmcurate.models import generate, get_client
from mmcurate.prompts.schemas import DifferenceCaption, RegionCaption
from mmcurate.synth.captions import (
    caption_overlap,
    difference_request,
    heuristic_region_caption,
    mentions,
    region_crops,
    region_requests,
    removal_messages,
    side_by_side,
)


def test_caption_comparison_helpers() -> None:
    assert caption_overlap("a red circle", "The red circle.") == 1.0
    assert caption_overlap("a red circle", "a blue circle") == 1 / 3
    assert mentions("two dogs on grass", ["dog"]) and not mentions("a cat", ["dog", "car"])


def test_side_by_side_has_red_boxes_and_a_black_bar() -> None:
    a = Image.new("RGB", (100, 80), "white")
    b = Image.new("RGB", (100, 80), "white")
    sbs = side_by_side(a, b, (20, 20, 60, 50), bar=10)
    arr = np.asarray(sbs)
    assert sbs.size == (210, 80)
    assert (arr[:, 100:110] == 0).all()
    assert tuple(arr[20, 30]) == (255, 0, 0) and tuple(arr[20, 140]) == (255, 0, 0)
    assert tuple(arr[35, 40]) == (255, 255, 255)


def test_heuristic_region_caption_names_colour_or_background() -> None:
    img = Image.new("RGB", (60, 60), (230, 230, 230))
    assert heuristic_region_caption(img).has_object is False
    ImageDraw.Draw(img).rectangle((15, 15, 45, 45), fill=(40, 80, 215))
    cap = heuristic_region_caption(img)
    assert cap.has_object and cap.caption.startswith("blue object")


def test_requests_go_through_the_model_layer_heuristic_backend() -> None:
    a = Image.new("RGB", (120, 90), (230, 230, 230))
    b = a.copy()
    ImageDraw.Draw(b).ellipse((40, 30, 80, 70), fill=(215, 40, 40))
    ca, cb = region_crops(a, b, (40, 30, 81, 71))
    client = get_client(backend="heuristic")
    ra, rb = generate(region_requests("p#0", ca, cb, 12), schema=RegionCaption, client=client)
    assert ra.key == "p#0:a" and ra.prompt_id == "imgdiff_region_caption" and ra.heuristic
    assert ra.parsed.has_object is False and rb.parsed.has_object is True
    assert "red" in rb.parsed.caption
    [d] = generate(
        [
            difference_request(
                "p#0", side_by_side(a, b, (40, 30, 81, 71)), "nothing", "a red disc", 20
            )
        ],
        schema=DifferenceCaption,
        client=client,
    )
    assert d.ok and "a red disc" in d.parsed.difference


def test_removal_messages_put_the_answer_among_options() -> None:
    rng = np.random.default_rng(0)
    msgs, ans = removal_messages("a red circle", ["a blue square", "A red circle", "a cat"], rng)
    assert len(ans["options"]) == 3  # the duplicate of the answer is not a distractor
    assert ans["options"]["ABCD".index(ans["answer"])] == "a red circle"
    assert msgs[0]["content"].count("<image>") == 2
    assert msgs[1]["content"] == f"{ans['answer']}. a red circle"


def test_prompt_files_name_their_output_schemas() -> None:
    from mmcurate.prompts import load_prompt
    from mmcurate.prompts.schemas import ObjectSwap
    from mmcurate.synth import schemas

    for pid, cls in (
        ("imgdiff_region_caption", RegionCaption),
        ("imgdiff_difference", DifferenceCaption),
        ("imgdiff_object_swap", ObjectSwap),
    ):
        assert load_prompt(pid).output_schema_model() is cls
        assert getattr(schemas, cls.__name__) is cls  # the old import path still works

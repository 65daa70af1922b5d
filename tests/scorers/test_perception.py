"""Lite perception: per-picture stats on known images, OCR gating, cache, aggregation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmcurate.ops.base import SampleError
from mmcurate.sample import Message, Sample
from mmcurate.scorers.lite.perception import (
    STAT_TYPES,
    Perceiver,
    PerceptionParams,
    PictureStats,
    aggregate,
    conversation_text,
)
from tests.conftest import write_video
from tests.scorers.conftest import needs_tesseract, render_lines, shapes_image

pytestmark = needs_tesseract


def _sample(sid: str, images: list[str], q: str = "What does it say?", a: str = "Hi") -> Sample:
    return Sample(
        id=sid,
        images=images,
        messages=[
            Message(role="user", content="<image>\n" * len(images) + q),
            Message(role="assistant", content=a),
        ],
    )


@pytest.fixture
def pics(tmp_path: Path) -> Path:
    render_lines(["Opening hours", "Monday to Friday 9 to 17"], size=26).save(tmp_path / "t.png")
    shapes_image().save(tmp_path / "s.png")
    from skimage import data

    Image.fromarray(data.camera()).convert("RGB").save(tmp_path / "h.jpg", quality=90)
    return tmp_path


def _perceiver(root: Path, cache: Path | None, **kw: object) -> Perceiver:
    return Perceiver(PerceptionParams(embed=False, **kw), root, cache)  # type: ignore[arg-type]


def test_text_image_is_ocred_and_flat_shapes_are_not(pics: Path, tmp_path: Path) -> None:
    p = _perceiver(pics, tmp_path / "cache")
    t = p.stats(_sample("t", ["t.png"]))
    s = p.stats(_sample("s", ["s.png"]))
    h = p.stats(_sample("h", ["h.jpg"]))
    assert t["ocr_images"] == 1 and t["ocr_words"] == 8
    assert "Opening hours" in str(t["ocr_text"])
    assert float(t["text_area_ratio"]) > 0.05 and float(t["text_region_ratio"]) > 0.004
    assert s["ocr_images"] == 0 and s["ocr_words"] == 0 and s["text_region_ratio"] == 0.0
    assert h["ocr_images"] == 0
    assert float(s["colorfulness"]) > float(t["colorfulness"]) == 0.0
    assert float(h["entropy"]) > 3 > float(s["entropy"])
    assert float(t["chart_cue"]) > float(h["chart_cue"])
    assert p.counters.ocr_runs == 1 and p.counters.ocr_skipped == 2


def test_never_and_always_modes(pics: Path) -> None:
    never = _perceiver(pics, None, ocr="never").stats(_sample("t", ["t.png"]))
    assert never["ocr_images"] == 0 and never["ocr_words"] == 0
    always = _perceiver(pics, None, ocr="always")
    st = always.stats(_sample("s", ["s.png"]))
    assert st["ocr_images"] == 1 and st["ocr_words"] == 0


def test_results_are_cached_by_content_hash(pics: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _perceiver(pics, cache).stats(_sample("t", ["t.png"]))
    (pics / "copy.png").write_bytes((pics / "t.png").read_bytes())  # same bytes, new name
    again = _perceiver(pics, cache)
    second = again.stats(_sample("c", ["copy.png"]))
    assert second == first
    assert again.counters.picture_cache_hits == 1 and again.counters.ocr_runs == 0
    other = _perceiver(pics, cache, text_region_threshold=0.5)  # other settings, new key
    other.stats(_sample("t", ["t.png"]))
    assert other.counters.picture_cache_hits == 0


def test_multi_image_aggregation(pics: Path) -> None:
    p = _perceiver(pics, None)
    both = p.stats(_sample("b", ["t.png", "s.png"]))
    t = p.stats(_sample("t", ["t.png"]))
    s = p.stats(_sample("s", ["s.png"]))
    assert both["images"] == 2 and both["ocr_words"] == t["ocr_words"]
    assert both["text_region_ratio"] == max(t["text_region_ratio"], s["text_region_ratio"])
    assert both["colorfulness"] == pytest.approx(
        (float(t["colorfulness"]) + float(s["colorfulness"])) / 2
    )


def test_aggregate_of_nothing_is_zeros() -> None:
    st = aggregate([], 100)
    assert st["images"] == 0 and st["ocr_text"] == "" and st["chart_cue"] == 0.0
    assert set(st) == set(STAT_TYPES) - {"text_embedding"}
    pic = PictureStats(0.1, 1.0, 2.0, 0.5, 0.9, 3, 0.7, 0.01, True, 4, "x" * 50, 0.02)
    assert len(str(aggregate([pic, pic], 60)["ocr_text"])) == 60


def test_video_frames_are_analysed(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.mp4")
    sample = Sample(
        id="v",
        videos=["clip.mp4"],
        messages=[
            Message(role="user", content="<video>\nWhat moves?"),
            Message(role="assistant", content="A red bar."),
        ],
    )
    p = _perceiver(tmp_path, tmp_path / "cache", video_frames=2)
    st = p.stats(sample)
    assert st["images"] == 2 and float(st["colorfulness"]) > 0
    again = _perceiver(tmp_path, tmp_path / "cache", video_frames=2)
    assert again.stats(sample) == st and again.counters.picture_cache_hits == 2


def test_unreadable_media_and_empty_text_are_sample_errors(pics: Path) -> None:
    (pics / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    p = _perceiver(pics, None)
    with pytest.raises(SampleError, match=r"images\[0\].*bad.png"):
        p.stats(_sample("x", ["bad.png"]))
    with pytest.raises(SampleError, match=r"images\[1\].*missing.png"):
        p.stats(_sample("x", ["t.png", "missing.png"]))
    empty = Sample(id="e", images=["t.png"], messages=[Message(role="user", content="<image>")])
    results = p.perceive([empty, _sample("ok", ["s.png"]), _sample("bad", ["bad.png"])])
    assert isinstance(results[0], SampleError) and "messages" in str(results[0])
    assert isinstance(results[1], dict)
    assert isinstance(results[2], SampleError)


def test_embedding_stat(pics: Path, tmp_path: Path) -> None:
    p = Perceiver(PerceptionParams(embedding_decimals=3), pics, tmp_path / "cache")
    [res] = p.perceive([_sample("t", ["t.png"], "Read the sign.", "Opening hours")])
    assert isinstance(res, dict)
    vec = res["text_embedding"]
    assert isinstance(vec, list) and len(vec) == 384
    assert all(round(v, 3) == v for v in vec)
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=0.02)


def test_conversation_text_strips_placeholders() -> None:
    s = _sample("t", ["a.png"], "Describe it.", "A cat.")
    assert conversation_text(s) == "Describe it.\nA cat."


@pytest.mark.parametrize("engine", ["cli", "api"])
def test_ocr_failure_is_this_samples_error_naming_the_image(
    pics: Path, tmp_path: Path, engine: str
) -> None:
    from mmcurate.scorers.lite import ocr as ocr_mod

    if engine == "api" and ocr_mod._tesserocr() is None:
        pytest.skip("tesserocr (the `ocr` extra) is not installed")
    p = _perceiver(pics, tmp_path / "cache", ocr_engine=engine)
    assert p.ocr is not None
    p.ocr.timeout = 1e-6  # tesseract gives up at once: a failure on this image
    [err, ok] = p.perceive([_sample("t", ["t.png"]), _sample("s", ["s.png"])])
    assert isinstance(err, SampleError)
    assert str(err).startswith("images[0]: OCR failed on 't.png'")
    assert isinstance(ok, dict) and ok["ocr_images"] == 0
    assert not p.cache.get_many(p._picture_keys((pics / "t.png").read_bytes(), 1))
    p.ocr.timeout = 60.0  # the same engine state reads the next image normally
    [again] = p.perceive([_sample("t", ["t.png"])])
    assert isinstance(again, dict) and again["ocr_words"] == 8

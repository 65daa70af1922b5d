from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from mmcurate.demodata import generate
from mmcurate.demodata.generate import WEAK_REASONS
from mmcurate.demodata.items import KINDS
from mmcurate.sample import IMAGE_TOKEN, VIDEO_TOKEN
from mmcurate.taxonomy import CAPABILITIES, STYLES
from tests.demodata.conftest import Demo
from tests.demodata.util import media_of, qa_pairs, read_jsonl, to_sample


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_bytes_on_rerun_and_with_workers(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", n=48, seed=3, videos=4, workers=1)
    b = generate(tmp_path / "b", n=48, seed=3, videos=4, workers=2)
    assert a.read_bytes() == b.read_bytes()
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert len(_tree(tmp_path / "a")) >= 49
    c = generate(tmp_path / "c", n=8, seed=3, videos=1)
    d = generate(tmp_path / "d", n=8, seed=4, videos=1)
    assert c.read_bytes() != d.read_bytes()


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n must be"):
        generate(tmp_path, n=0)
    with pytest.raises(ValueError, match="videos must be"):
        generate(tmp_path, n=3, videos=4)


def test_tiny_pool_without_weak_samples(tmp_path: Path) -> None:
    rows = read_jsonl(generate(tmp_path, n=5, seed=1, videos=1))
    assert len(rows) == 5
    assert all(r["meta"]["demo"]["weak"] is None for r in rows)
    assert sum("video" in r for r in rows) == 1


def test_ids_counts_and_layout(demo: Demo) -> None:
    ids = [r["id"] for r in demo.rows]
    assert len(ids) == 300 == len(set(ids))
    assert sum("video" in r for r in demo.rows) == 6
    for r in demo.rows:
        images, videos = media_of(r)
        assert all(p.startswith("images/") for p in images)
        assert all(p.startswith("videos/") and p.endswith(".mp4") for p in videos)
        assert bool(images) != bool(videos)


def test_media_exist_and_open(demo: Demo) -> None:
    for r in demo.rows:
        truth = r["meta"]["demo"]
        images, videos = media_of(r)
        for rel in images:
            with Image.open(demo.root / rel) as im:
                im.verify()
            with Image.open(demo.root / rel) as im:
                assert 64 <= max(im.size) <= 1024
        for rel in videos:
            with av.open(str(demo.root / rel)) as container:
                frames = list(container.decode(video=0))
            assert len(frames) == truth["frames"]
            assert [frames[0].width, frames[0].height] == truth["size"]
            assert truth["seconds"] in (1, 2, 3) and max(truth["size"]) <= 160


def test_total_size_is_modest(demo: Demo) -> None:
    total = sum(p.stat().st_size for p in demo.root.rglob("*") if p.is_file())
    assert total < 30 * 1024 * 1024


def test_records_convert_to_samples(demo: Demo) -> None:
    for r in demo.rows:
        sample = to_sample(r)
        roles = [m.role for m in sample.messages]
        assert roles == ["user", "assistant"] * (len(roles) // 2) and roles
        first = sample.messages[0].content
        text = sample.text(placeholders="keep")
        if sample.videos:
            assert first.startswith(f"{VIDEO_TOKEN}\n")
            assert text.count(VIDEO_TOKEN) == 1 and IMAGE_TOKEN not in text
        else:
            assert first.startswith(f"{IMAGE_TOKEN}\n" * len(sample.images))
            assert text.count(IMAGE_TOKEN) == len(sample.images)
            assert VIDEO_TOKEN not in text
        assert all(m.content.strip() for m in sample.messages)


def test_meta_uses_taxonomy(demo: Demo) -> None:
    for r in demo.rows:
        meta = r["meta"]
        assert meta["source"] == "mmcurate-demo"
        d = meta["demo"]
        assert d["kind"] in KINDS
        assert d["capabilities"] and set(d["capabilities"]) <= set(CAPABILITIES)
        assert d["styles"] and set(d["styles"]) <= set(STYLES)
        assert isinstance(d["ocr_heavy"], bool) and isinstance(d["seed"], int)
        assert d["weak"] is None or d["weak"] in WEAK_REASONS
        assert len(d["turns"]) == len(r["conversations"]) // 2
        assert d["capabilities"][0] == d["turns"][0]["capabilities"][0]
        assert d["styles"][0] == d["turns"][0]["styles"][0]
        assert d["ocr_heavy"] == any(t["ocr"] for t in d["turns"])


def test_distribution_covers_taxonomy(demo: Demo) -> None:
    styles = Counter(s for r in demo.rows for s in r["meta"]["demo"]["styles"])
    caps = Counter(c for r in demo.rows for c in r["meta"]["demo"]["capabilities"])
    kinds = Counter(r["meta"]["demo"]["kind"] for r in demo.rows)
    assert set(styles) == set(STYLES) and min(styles.values()) >= 10
    assert set(caps) == set(CAPABILITIES) and min(caps.values()) >= 6
    assert set(kinds) == set(KINDS)
    assert all(kinds[k] >= 0.1 * len(demo.rows) for k in KINDS if k != "video")
    ocr = sum(r["meta"]["demo"]["ocr_heavy"] for r in demo.rows) / len(demo.rows)
    assert 0.25 <= ocr <= 0.35
    assert sum(len(r["conversations"]) >= 4 for r in demo.rows) >= 30
    assert sum(len(media_of(r)[0]) == 2 for r in demo.rows) >= 10


def test_weak_samples(demo: Demo) -> None:
    by_id = {r["id"]: r for r in demo.rows}
    weak = [r for r in demo.rows if r["meta"]["demo"]["weak"]]
    assert Counter(r["meta"]["demo"]["weak"] for r in weak) == {w: 6 for w in WEAK_REASONS}
    for r in weak:
        d = r["meta"]["demo"]
        if d["weak"] == "very_short_answer":
            assert len(qa_pairs(r)) == 1 and len(qa_pairs(r)[0][1].split()) <= 2
        elif d["weak"] == "duplicate_conversation":
            src = by_id[d["duplicate_of"]]
            assert src["meta"]["demo"]["weak"] is None
            assert r["conversations"] == src["conversations"]
            assert r["image"] != src["image"]
            assert (
                Image.open(demo.root / r["image"]).tobytes()
                != Image.open(demo.root / src["image"]).tobytes()
            )
        else:
            src = by_id[d["near_duplicate_of"]]
            a = np.asarray(Image.open(demo.root / r["image"]).convert("L"), dtype=np.float32)
            b = np.asarray(Image.open(demo.root / src["image"]).convert("L"), dtype=np.float32)
            assert a.shape == b.shape
            assert 0 < np.abs(a - b).mean() < 12
            assert r["conversations"] != src["conversations"]

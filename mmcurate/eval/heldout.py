"""A held-out QA set made from demo data, with answers known by construction.

:func:`make_heldout` renders fresh demo samples (``mmcurate.demodata``, a seed of its own)
and turns each one's ground truth (``meta.demo``) into one question:

- scene: how many shapes (multiple choice);
- chart: which label has the largest value (multiple choice, only when unique), else the
  chart's title (open);
- document: the receipt total / the document's first text (open) when recorded;
- sign: what the sign says (open);
- photo: the subject (multiple choice among the other photo subjects);
- video: what happens to the shape (multiple choice among the clip events).

Items whose media are byte-identical to an image or video of the training pool (demo photos
reuse a few bundled pictures) are left out, so the set is disjoint from the pool. The
output is deterministic for the same ``n`` and ``seed``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mmcurate.eval.qa import QAItem, write_qa

EVENTS = {
    "move": "it moves across the frame",
    "bounce": "it bounces off a wall",
    "grow": "it grows larger",
    "shrink": "it shrinks",
    "recolor": "it changes colour",
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pool_media_digests(pool: Path) -> set[str]:
    """sha256 of every local image/video a dataset refers to (any readable format)."""
    from mmcurate.io import read_dataset

    loaded = read_dataset(pool, media_check=False)
    out = set()
    for row in loaded.dataset:
        for p in [*row["images"], *row["videos"]]:
            f = Path(p) if Path(p).is_absolute() else loaded.root / p
            if f.is_file():
                out.add(_digest(f))
    return out


def _mc(rng: random.Random, answer: str, others: Iterable[str], k: int = 4) -> list[str]:
    pool = sorted({o for o in others if o != answer})
    rng.shuffle(pool)
    choices = [answer, *pool[: k - 1]]
    rng.shuffle(choices)
    return choices


def question_for(
    demo: dict[str, Any], rng: random.Random, subjects: list[str]
) -> dict[str, Any] | None:
    """``{"question", "choices", "answer", "meta"}`` for one demo sample, or ``None``."""
    kind = demo.get("kind")
    probe: dict[str, Any] = {"kind": kind, "capabilities": demo.get("capabilities", [])}
    if kind == "scene" and demo.get("objects"):
        n = len(demo["objects"])
        choices = _mc(rng, str(n), [str(k) for k in range(1, 9)])
        return {
            "question": "How many shapes are in the image?",
            "choices": choices,
            "answer": str(n),
            "meta": probe,
        }
    if kind == "chart" and demo.get("values") and demo.get("labels"):
        vals, labels = demo["values"], demo["labels"]
        top = max(vals)
        if vals.count(top) == 1:
            ans = str(labels[vals.index(top)])
            q = "Which label has the largest value in the chart?"
            return {
                "question": q,
                "choices": _mc(rng, ans, map(str, labels)),
                "answer": ans,
                "meta": probe,
            }
        if demo.get("title"):
            return {
                "question": "What is the title of the chart?",
                "choices": None,
                "answer": demo["title"],
                "meta": probe,
            }
    if kind == "document" and demo.get("total"):
        return {
            "question": "What is the total amount on this receipt?",
            "choices": None,
            "answer": str(demo["total"]),
            "meta": probe,
        }
    if kind == "sign" and demo.get("text"):
        return {
            "question": "What does the sign say?",
            "choices": None,
            "answer": str(demo["text"]),
            "meta": probe,
        }
    if kind == "photo" and demo.get("subject"):
        ans = str(demo["subject"])
        return {
            "question": "What is the main subject of this photo?",
            "choices": _mc(rng, ans, subjects),
            "answer": ans,
            "meta": probe,
        }
    if kind == "video" and demo.get("event") in EVENTS:
        ans = EVENTS[demo["event"]]
        shape = f"{demo.get('color', '')} {demo.get('shape', 'shape')}".strip()
        return {
            "question": f"What happens to the {shape} in this clip?",
            "choices": _mc(rng, ans, EVENTS.values()),
            "answer": ans,
            "meta": probe,
        }
    return None


def make_heldout(
    out_dir: Path,
    n: int = 40,
    seed: int = 1000,
    videos: int = 4,
    pool: Path | None = None,
) -> Path:
    """Write ``out_dir/qa.jsonl`` (and its media) from freshly rendered demo data.

    Args:
        out_dir: Folder to write (media under ``out_dir/source``).
        n: Demo samples to render (the QA set has at most this many items).
        seed: Demo-data seed (use one the pool was not made with).
        videos: Video clips among the ``n`` samples.
        pool: A training pool; items sharing a media file's bytes with it are left out.

    Returns:
        The QA file.
    """
    from mmcurate.demodata.generate import generate

    data = generate(out_dir / "source", n=n, seed=seed, videos=min(videos, n), workers=1)
    taken = pool_media_digests(pool) if pool is not None else set()
    rows = [json.loads(line) for line in data.read_text("utf-8").splitlines() if line.strip()]
    subjects = sorted(
        {str(r["meta"]["demo"]["subject"]) for r in rows if r["meta"]["demo"].get("subject")}
        | {"a cat", "a cup of coffee", "an astronaut", "a camera operator", "a rocket"}
    )
    rng = random.Random(seed)
    items: list[QAItem] = []
    for r in rows:
        demo = r["meta"]["demo"]
        if demo.get("weak"):
            continue
        images = r.get("images") or ([r["image"]] if isinstance(r.get("image"), str) else [])
        images = list(r.get("image") or []) if isinstance(r.get("image"), list) else images
        vids = [r["video"]] if isinstance(r.get("video"), str) else list(r.get("videos") or [])
        media = ["source/" + p for p in [*images, *vids]]
        if any(_digest(out_dir / m) in taken for m in media):
            continue
        q = question_for(demo, rng, subjects)
        if q is None:
            continue
        items.append(
            QAItem(
                id=f"qa-{seed}-{len(items):04d}",
                images=["source/" + p for p in images],
                videos=["source/" + p for p in vids],
                **q,
            )
        )
    return write_qa(items, out_dir / "qa.jsonl")

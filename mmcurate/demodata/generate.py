"""Assemble the demo dataset: plan samples, render media (in parallel), pick turns, write jsonl.

Output layout (``out_dir``)::

    data.jsonl        one LLaVA record per line
    images/<id>.png   (or .jpg; ``<id>_0`` / ``<id>_1`` for two-image samples)
    videos/<id>.mp4

A record is ``{"id", "image" | "video", "conversations", "meta"}``; ``image`` is a string, or
a list for two-image samples. ``meta.demo`` holds the ground truth (see :func:`generate`).

Weak samples (``meta.demo.weak`` is a reason string) are deliberately poor:

- ``very_short_answer``: a description request answered with a bare label (true, but lazy).
- ``duplicate_conversation``: the exact conversation of ``duplicate_of`` on a freshly drawn
  image of the same template, so its answers are *not* checked against its own image.
- ``near_duplicate_image``: a slightly brightened JPEG re-encode of ``near_duplicate_of``'s
  image, with a new (true) choice of that sample's turns.

Determinism: every sample is drawn from its own seed (derived from ``seed`` and its slot),
media are rendered independently of each other, and turns are picked afterwards in a fixed
order, so the bytes written do not depend on the number of worker processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance

from mmcurate.demodata import charts, documents, photos, scenes, signs
from mmcurate.demodata import videos as clips
from mmcurate.demodata.conversations import conversation
from mmcurate.demodata.items import SCENE, SHORT_DESC, Item, Picture, Turn, derive_seed
from mmcurate.taxonomy import CAPABILITIES, STYLES

SOURCE = "mmcurate-demo"
JPEG_QUALITY = 88
PNG_COMPRESS_LEVEL = 3

#: Image templates and their share of the image samples.
BUILDERS: dict[str, tuple[Callable[[random.Random], Item], float]] = {
    "document": (documents.build, 0.19),
    "sign": (signs.build, 0.14),
    "chart": (charts.build, 0.19),
    "photo": (photos.build, 0.15),
    "photo_pair": (photos.build_pair, 0.03),
    "scene": (scenes.build, 0.25),
    "scene_pair": (scenes.build_pair, 0.05),
}
WEAK_REASONS = ("very_short_answer", "duplicate_conversation", "near_duplicate_image")
SHORT_LABELS = {
    "document": "Text.",
    "sign": "A sign.",
    "chart": "A chart.",
    "photo": "A photo.",
    "scene": "Shapes.",
}
_RESERVED = {"kind", "variant", "capabilities", "styles", "ocr_heavy", "seed", "weak", "turns"}
_PARALLEL_MIN = 40  # below this many samples a process pool costs more than it saves


@dataclass(frozen=True)
class _Task:
    """One sample to render: which template, from which seed, under which id."""

    sid: str
    builder: str  # a BUILDERS key, or "video"
    seed: int
    event: str | None = None


@dataclass
class _Built:
    """A rendered sample, without its pixels (those are on disk already)."""

    task: _Task
    kind: str
    variant: str
    truth: dict[str, Any]
    candidates: list[Turn]
    media: list[str]
    video: bool


@dataclass
class _Slot:
    """A line of the output: a rendered sample plus the turns chosen for it."""

    built: _Built
    turns: list[Turn] = field(default_factory=list)
    weak: str | None = None
    ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _save(pic: Picture, path: Path) -> None:
    if pic.fmt == "jpg":
        pic.image.save(
            path,
            format="JPEG",
            quality=JPEG_QUALITY,
            subsampling=2,
            optimize=False,
            progressive=False,
        )
    else:
        pic.image.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL, optimize=False)


def _render(task: _Task, out_dir: Path) -> _Built:
    """Build a task's item from its seed and write its media (runs in worker processes)."""
    rng = random.Random(task.seed)
    if task.builder == "video":
        item = clips.build(rng, task.event)
    else:
        item = BUILDERS[task.builder][0](rng)
    if item.clip is not None:
        media = [f"videos/{task.sid}.mp4"]
        item.truth["codec"] = clips.write_clip(item.clip, out_dir / media[0])
    else:
        pics = item.pictures
        media = [
            f"images/{task.sid}{'' if len(pics) == 1 else f'_{k}'}.{p.fmt}"
            for k, p in enumerate(pics)
        ]
        for pic, rel in zip(pics, media, strict=True):
            _save(pic, out_dir / rel)
    return _Built(
        task, item.kind, item.variant, item.truth, item.turns, media, item.clip is not None
    )


class _Balancer:
    """Picks turns so that styles, capabilities and question templates are spread evenly.

    A turn's score adds how over-represented its primary style is (OCR transcriptions count
    as a tenth style, so they are not crowded out), how over-represented its rarest
    capability is, and how often its template (same builder, styles and
    capabilities) was already used relative to that builder's other templates; the lowest
    score (plus a little noise) wins.
    """

    def __init__(self) -> None:
        self.styles: Counter[str] = Counter()
        self.caps: Counter[str] = Counter()
        self.templates: Counter[tuple[object, ...]] = Counter()
        self.groups: Counter[str] = Counter()
        self.total = 0

    @staticmethod
    def _style(turn: Turn) -> str:
        return "transcription" if turn.transcription else turn.styles[0]

    @staticmethod
    def _template(group: str, turn: Turn) -> tuple[object, ...]:
        return (group, turn.styles, turn.capabilities)

    def _score(self, turn: Turn, group: str, n_candidates: int, rng: random.Random) -> float:
        t = max(1, self.total)
        # Each term is 1 at a fair share; capped, so a common but natural choice (an OCR
        # question on a document) is only held back, never ruled out.
        style = min(2.0, self.styles[self._style(turn)] / t * (len(STYLES) + 1))
        rarest = min(2.0, min(self.caps[c] for c in turn.capabilities) / t * len(CAPABILITIES))
        used = self.templates[self._template(group, turn)]
        template = min(2.0, used / max(1, self.groups[group]) * n_candidates)
        return style + rarest + template + rng.random()

    def pick(self, candidates: Sequence[Turn], group: str, rng: random.Random) -> list[Turn]:
        """Choose 1-3 turns (mostly one) with distinct primary styles for one sample.

        Args:
            candidates: The sample's true turns.
            group: The builder that made it (templates are counted per builder).
            rng: The sample's picking randomness.
        """
        n = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        chosen: list[Turn] = []
        pool = list(candidates)
        while pool and len(chosen) < n:
            best = min(pool, key=lambda t: self._score(t, group, len(candidates), rng))
            chosen.append(best)
            used = {s for t in chosen for s in t.styles}
            pool = [t for t in pool if t is not best and t.styles[0] not in used]
        for t in chosen:
            self.styles[self._style(t)] += 1
            self.caps.update(t.capabilities)
            self.templates[self._template(group, t)] += 1
            self.total += 1
        self.groups[group] += 1
        return chosen


def _schedule(count: int, rng: random.Random) -> list[str]:
    """``count`` builder names in the configured shares (largest remainder), shuffled."""
    shares = {name: share for name, (_, share) in BUILDERS.items()}
    total = sum(shares.values())
    exact = {k: count * v / total for k, v in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)
    for k in by_remainder[: count - sum(counts.values())]:
        counts[k] += 1
    names = [k for k in BUILDERS for _ in range(counts[k])]
    rng.shuffle(names)
    return names


def _ordered_union(groups: Sequence[Sequence[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for g in groups:
        for x in g:
            seen.setdefault(x, None)
    return list(seen)


def _meta(slot: _Slot) -> dict[str, Any]:
    turns, built = slot.turns, slot.built
    demo: dict[str, Any] = {
        "kind": built.kind,
        "variant": built.variant,
        "capabilities": _ordered_union([t.capabilities for t in turns]),
        "styles": _ordered_union([t.styles for t in turns]),
        "ocr_heavy": any(t.ocr for t in turns),
        "seed": built.task.seed,
        "weak": slot.weak,
        "turns": [
            {"styles": list(t.styles), "capabilities": list(t.capabilities), "ocr": t.ocr}
            for t in turns
        ],
    }
    clash = _RESERVED & built.truth.keys()
    if clash:
        raise ValueError(f"truth keys clash with reserved meta keys: {sorted(clash)}")
    demo.update(built.truth)
    if slot.ref is not None:
        key = "duplicate_of" if slot.weak == "duplicate_conversation" else "near_duplicate_of"
        demo[key] = slot.ref
    demo.update(slot.extra)
    return {"source": SOURCE, "demo": demo}


def _record(slot: _Slot) -> dict[str, Any]:
    built = slot.built
    record: dict[str, Any] = {"id": built.task.sid}
    if built.video:
        record["video"] = built.media[0]
    else:
        record["image"] = built.media[0] if len(built.media) == 1 else list(built.media)
    n_images = 0 if built.video else len(built.media)
    record["conversations"] = conversation(slot.turns, n_images, video=built.video)
    record["meta"] = _meta(slot)
    return record


def _near_duplicate(src: _Built, sid: str, seed: int, out_dir: Path) -> _Built:
    """Brighten ``src``'s image by 4% and re-encode it as JPEG under ``sid``."""
    with Image.open(out_dir / src.media[0]) as im:
        img = ImageEnhance.Brightness(im.convert("RGB")).enhance(1.04)
    rel = f"images/{sid}.jpg"
    _save(Picture(img, "jpg"), out_dir / rel)
    task = _Task(sid, src.task.builder, seed)
    return _Built(task, src.kind, src.variant, dict(src.truth), src.candidates, [rel], False)


def _run(tasks: list[_Task], out_dir: Path, workers: int) -> dict[str, _Built]:
    if workers <= 1 or len(tasks) < _PARALLEL_MIN:
        return {t.sid: _render(t, out_dir) for t in tasks}
    # fork starts workers without re-importing matplotlib & co., but is only safe while
    # this process has a single thread; otherwise (and off Linux) spawn.
    fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        results = pool.map(_render, tasks, [out_dir] * len(tasks), chunksize=8)
        return {b.task.sid: b for b in results}


def generate(
    out_dir: Path, n: int = 300, seed: int = 0, videos: int = 6, *, workers: int | None = None
) -> Path:
    """Write a demo multimodal instruction dataset with known ground truth.

    ``n`` samples in total, ``videos`` of them video clips; the rest are images (documents,
    signs, charts, photos bundled with scikit-image, synthetic shape scenes; a few with two
    images), about 6% of them deliberately weak once there are at least 30 image samples.
    Every sample's ``meta`` is ``{"source": "mmcurate-demo", "demo": {...}}`` with ``kind``,
    ``variant``, ``capabilities`` (taxonomy keys, primary first), ``styles`` (taxonomy
    labels), ``ocr_heavy``, ``seed``, ``weak`` (``None`` or a reason), ``turns`` (styles,
    capabilities and OCR flag per turn) and the kind's ground truth (rendered text, ``boxes``
    with pixel and normalised coordinates, chart ``values``, scene ``objects``, clip motion).
    The output is byte-identical for the same ``n``, ``seed`` and ``videos``.

    Args:
        out_dir: Folder to write into (created; files with the same names are overwritten).
        n: Total number of samples.
        seed: Seed for everything drawn.
        videos: Number of video samples (``0 <= videos <= n``).
        workers: Worker processes for rendering (default: up to 2 CPUs); the output does
            not depend on it.

    Returns:
        The path of ``out_dir/data.jsonl``.

    Raises:
        ValueError: If ``n < 1`` or ``videos`` is out of range.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= videos <= n:
        raise ValueError(f"videos must be between 0 and n={n}, got {videos}")
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    if videos:
        (out_dir / "videos").mkdir(parents=True, exist_ok=True)
    n_images = n - videos
    n_weak = 3 * max(1, round(0.02 * n_images)) if n_images >= 30 else 0
    names = _schedule(n_images - n_weak, random.Random(derive_seed(seed, "schedule")))

    # Output order and ids are fixed before anything is rendered.
    keys = [("item", i) for i in range(len(names))]
    keys += [("video", i) for i in range(videos)] + [("weak", j) for j in range(n_weak)]
    random.Random(derive_seed(seed, "order")).shuffle(keys)
    sid = {key: f"demo-{k:05d}" for k, key in enumerate(keys)}

    tasks = [_Task(sid["item", i], b, derive_seed(seed, "item", i)) for i, b in enumerate(names)]
    events = sorted(clips.EVENTS)
    tasks += [
        _Task(sid["video", i], "video", derive_seed(seed, "video", i), events[i % len(events)])
        for i in range(videos)
    ]
    # Weak samples: (reason, rng, seed, index of the regular sample they derive from).
    weak_plan: list[tuple[str, random.Random, int, int]] = []
    for j in range(n_weak):
        reason, s = WEAK_REASONS[j % 3], derive_seed(seed, "weak", j)
        rng = random.Random(s)
        src = -1
        if reason == "very_short_answer":
            tasks.append(_Task(sid["weak", j], rng.choice(sorted(SHORT_LABELS)), s))
        elif reason == "duplicate_conversation":
            src = rng.choice([i for i, b in enumerate(names) if b in ("scene", "chart")])
            tasks.append(_Task(sid["weak", j], names[src], s))
        else:
            src = rng.choice(
                [i for i, b in enumerate(names) if b in ("photo", "chart", "document")]
            )
        weak_plan.append((reason, rng, s, src))
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    built = _run(tasks, out_dir, workers)

    balancer = _Balancer()
    slots: dict[tuple[str, int], _Slot] = {}
    for key in [("item", i) for i in range(len(names))] + [("video", i) for i in range(videos)]:
        b = built[sid[key]]
        rng = random.Random(derive_seed(seed, "pick", *key))
        slots[key] = _Slot(b, balancer.pick(b.candidates, b.task.builder, rng))
    for j, (reason, rng, s, src_i) in enumerate(weak_plan):
        key = ("weak", j)
        if reason == "very_short_answer":
            b = built[sid[key]]
            turn = Turn("Describe this image.", SHORT_LABELS[b.kind], (SHORT_DESC,), (SCENE,))
            slots[key] = _Slot(b, [turn], reason)
        elif reason == "duplicate_conversation":
            src_turns = slots["item", src_i].turns
            slots[key] = _Slot(built[sid[key]], list(src_turns), reason, sid["item", src_i])
        else:
            source = slots["item", src_i]
            b = _near_duplicate(source.built, sid[key], s, out_dir)
            fresh = [t for t in b.candidates if not t.pixel_exact and t not in source.turns]
            fallback = [t for t in b.candidates if not t.pixel_exact]
            perturbation = {"brightness": 1.04, "format": "jpg", "quality": JPEG_QUALITY}
            slots[key] = _Slot(
                b,
                [rng.choice(fresh or fallback)],
                reason,
                sid["item", src_i],
                {"perturbation": perturbation},
            )
    lines = [json.dumps(_record(slots[key]), ensure_ascii=False) for key in keys]
    path = out_dir / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

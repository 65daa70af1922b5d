"""The ImgDiff pipeline: pairs -> pair similarity -> difference areas -> region captions ->
difference captions -> LLaVA-style samples, with every dropped pair recorded.

Stages (names used in ``dropped.jsonl``, ``summary.json`` and the CLI table):

1. ``pairs``: the pair source makes or finds pairs (``procedural``, ``mined``, ``diffusion``).
2. ``pair_similarity``: whole-image similarity in ``(similarity_lo, similarity_hi)``
   (ImgDiff: (0.9, 0.98)); on by default for mined and diffusion pairs, off for procedural
   pairs (they differ in exactly one object by construction; the similarity is still
   recorded).
3. ``difference_areas``: boxes from difference maps (:mod:`mmcurate.synth.boxes`); a pair
   with no box left is dropped.
4. ``region_captions``: both regions of each box are captioned; boxes whose captions do not
   differ (or, when the pair names its changed objects, do not mention them) are dropped; a
   pair with no box left is dropped, or is an error when a model call failed for one of
   its boxes (that box was never judged).
5. ``difference_caption``: the red-box side-by-side image and the difference question; a
   pair whose every answer failed (model errors) is an error.

Every input pair ends up as samples (``imgdiff.jsonl``), a ``dropped.jsonl`` line (stage and
reason) or an ``errors.jsonl`` line: ``n_pairs == kept + dropped + errored``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mmcurate.errors import ConfigError, ErrorRecord
from mmcurate.synth.boxes import Box, BoxParams, BoxResult, find_boxes, iou
from mmcurate.synth.procedural import BACKGROUND, CHANGES, ProceduralPair

if TYPE_CHECKING:
    from mmcurate.prompts import Prompt

Source = Literal["procedural", "mined", "diffusion"]
Captioner = Literal["auto", "vlm", "heuristic", "ground_truth"]
_CALL_COUNTERS = (
    "requests",
    "cache_hits",
    "model_calls",
    "failed",
    "prompt_tokens",
    "completion_tokens",
)
STAGES = ("pairs", "pair_similarity", "difference_areas", "region_captions", "difference_caption")


class CaptionParams(BaseModel):
    """Stage 3 settings.

    Attributes:
        captioner: ``auto`` (a configured VLM if any; else the procedural ground truth for
            procedural pairs, else the heuristic backend), ``vlm``, ``heuristic`` or
            ``ground_truth`` (procedural pairs only).
        region_max_words: Word limit asked of region captions.
        difference_max_words: Word limit asked of the difference sentence.
        crop_pad: Context added around a box before cropping (fraction of its size).
        max_caption_overlap: A box is kept only if its two region captions' word overlap
            (Jaccard) is below this (1.0: only identical captions are dropped).
        gt_match_iou: Ground-truth captioner: a box takes the captions of the changed object
            it overlaps at this IoU or more.
        max_samples_per_pair: At most this many boxes per pair become samples (best first).
        removal_variant: Also write the object-removal multiple-choice sample where one
            region holds an object and the other does not.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    captioner: Captioner = "auto"
    region_max_words: int = Field(default=12, ge=2, le=40)
    difference_max_words: int = Field(default=30, ge=5, le=60)
    crop_pad: float = Field(default=0.15, ge=0.0, le=1.0)
    max_caption_overlap: float = Field(default=1.0, gt=0.0, le=1.0)
    gt_match_iou: float = Field(default=0.5, gt=0.0, le=1.0)
    max_samples_per_pair: int = Field(default=3, ge=1)
    removal_variant: bool = True


class ProceduralParams(BaseModel):
    """Procedural pair source settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    changes: tuple[Literal["shape", "color", "text", "remove", "move"], ...] = CHANGES
    min_objects: int = Field(default=3, ge=2, le=8)
    max_objects: int = Field(default=6, ge=2, le=8)
    image_format: Literal["jpg", "png"] = "jpg"


class MinedParams(BaseModel):
    """Mined pair source settings.

    Attributes:
        data: The image pool: any dataset mmcurate reads (its samples' images are used).
        k: Neighbours searched per image (FAISS inner product).
        one_pair_per_image: Use each image in at most one pair (greedy, most similar first).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: Path | None = None
    k: int = Field(default=8, ge=2)
    one_pair_per_image: bool = True


class ImgDiffParams(BaseModel):
    """Everything ``curate synth imgdiff`` runs with (published ImgDiff defaults).

    Attributes:
        source: ``procedural``, ``mined`` or ``diffusion``.
        n: Pairs to make (procedural, diffusion) or at most to mine (mined).
        seed: Seed of every random choice.
        similarity_lo: Lower bound (exclusive) of whole-image similarity (ImgDiff: 0.9).
        similarity_hi: Upper bound (exclusive) (ImgDiff: 0.98).
        similarity_filter: ``auto`` (on for mined and diffusion, off for procedural), ``on``
            or ``off``.
        batch_size: Pairs per model batch.
        boxes: Difference-area thresholds.
        captions: Caption-stage settings.
        procedural: Procedural source settings.
        mined: Mined source settings.
        diffusion: Diffusion source settings (a dict validated by
            :class:`mmcurate.synth.diffusion.DiffusionParams`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source = "procedural"
    n: int = Field(default=200, ge=1)
    seed: int = 0
    similarity_lo: float = Field(default=0.9, ge=-1.0, le=1.0)
    similarity_hi: float = Field(default=0.98, ge=-1.0, le=1.0)
    similarity_filter: Literal["auto", "on", "off"] = "auto"
    batch_size: int = Field(default=16, ge=1)
    boxes: BoxParams = BoxParams()
    captions: CaptionParams = CaptionParams()
    procedural: ProceduralParams = ProceduralParams()
    mined: MinedParams = MinedParams()
    diffusion: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ImgDiffParams:
        if self.similarity_lo >= self.similarity_hi:
            raise ValueError("similarity_lo must be below similarity_hi")
        if self.procedural.min_objects > self.procedural.max_objects:
            raise ValueError("procedural.min_objects must not exceed procedural.max_objects")
        if self.captions.captioner == "ground_truth" and self.source != "procedural":
            raise ValueError("captioner=ground_truth needs --source procedural")
        return self

    def filter_similarity(self) -> bool:
        """Whether the pair-similarity window applies to this source."""
        if self.similarity_filter == "auto":
            return self.source != "procedural"
        return self.similarity_filter == "on"


@dataclass
class Pair:
    """One image pair on its way through the pipeline.

    Attributes:
        pair_id: Stable id.
        source: Where it came from.
        load: Returns ``(image_a, image_b)``.
        paths: Original image files (mined pairs).
        truth: The procedural ground truth.
        changed_objects: Object words the pair is known to change (diffusion swaps).
        similarity: Whole-image similarity, when already computed (mined, diffusion).
        info: Source facts recorded in meta (prompts, seeds, ...).
    """

    pair_id: str
    source: str
    load: Callable[[], tuple[Image.Image, Image.Image]]
    paths: tuple[str, str] | None = None
    truth: ProceduralPair | None = None
    changed_objects: list[str] = field(default_factory=list)
    similarity: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageCount:
    """Pairs into a stage and what became of them."""

    n_in: int = 0
    kept: int = 0
    dropped: int = 0
    errored: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON form."""
        return {
            "in": self.n_in,
            "kept": self.kept,
            "dropped": self.dropped,
            "errored": self.errored,
        }


@dataclass
class ImgDiffSummary:
    """A finished run: counts per stage, samples written, where the files are."""

    out: Path
    source: str
    caption_source: str
    n_pairs: int = 0
    kept: int = 0
    dropped: int = 0
    errored: int = 0
    samples: dict[str, int] = field(default_factory=lambda: {"difference": 0, "removal": 0})
    stages: dict[str, StageCount] = field(default_factory=lambda: {s: StageCount() for s in STAGES})
    source_info: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        """``n_pairs == kept + dropped + errored``."""
        return self.n_pairs == self.kept + self.dropped + self.errored

    def as_dict(self) -> dict[str, Any]:
        """JSON form (``summary.json``)."""
        return {
            "source": self.source,
            "caption_source": self.caption_source,
            "n_pairs": self.n_pairs,
            "kept": self.kept,
            "dropped": self.dropped,
            "errored": self.errored,
            "balanced": self.balanced,
            "samples": self.samples,
            "stages": {k: v.as_dict() for k, v in self.stages.items()},
            "source_info": self.source_info,
            "model": self.model,
            "seconds": round(self.seconds, 2),
        }


class _Writer:
    """Output files of one run."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.images = out / "images"
        self.images.mkdir(parents=True, exist_ok=True)
        self.dropped = (out / "dropped.jsonl").open("w", encoding="utf-8")
        self.errors = (out / "errors.jsonl").open("w", encoding="utf-8")
        self.boxes = (out / "boxes.jsonl").open("w", encoding="utf-8")
        self.samples: list[dict[str, Any]] = []

    def save(self, img: Image.Image, name: str) -> str:
        path = self.images / name
        if name.endswith(".png"):
            img.save(path)
        else:
            img.convert("RGB").save(path, quality=92)
        return f"images/{name}"

    def drop(self, pair_id: str, stage: str, reason: str, **details: Any) -> None:
        rec = {"pair_id": pair_id, "stage": stage, "reason": reason, **details}
        self.dropped.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")

    def error(self, pair_id: str, stage: str, reason: str) -> None:
        rec = ErrorRecord(sample_id=pair_id, op=f"imgdiff:{stage}", reason=reason)
        self.errors.write(rec.model_dump_json(exclude_none=True) + "\n")

    def close(self) -> None:
        for f in (self.dropped, self.errors, self.boxes):
            f.close()


@dataclass
class _Work:
    """A pair between stages."""

    pair: Pair
    img_a: Image.Image | None = None
    img_b: Image.Image | None = None
    boxes: BoxResult | None = None
    regions: list[dict[str, Any]] = field(default_factory=list)


def _procedural_pairs(params: ImgDiffParams) -> tuple[Iterator[Pair], dict[str, Any]]:
    from mmcurate.synth.procedural import make_pair

    pp = params.procedural

    def loader(t: ProceduralPair) -> Callable[[], tuple[Image.Image, Image.Image]]:
        return lambda: (t.image_a, t.image_b)

    def gen() -> Iterator[Pair]:
        for i in range(params.n):
            truth = make_pair(params.seed, i, pp.changes, (pp.min_objects, pp.max_objects))
            yield Pair(
                pair_id=truth.pair_id,
                source="procedural",
                load=loader(truth),
                truth=truth,
            )

    return gen(), {"generated": params.n}


def pair_source(
    params: ImgDiffParams, client: Any = None, diffusion_pipe: Any = None
) -> tuple[Iterator[Pair], dict[str, Any]]:
    """The pairs of ``params.source`` and facts about how they were made.

    Args:
        params: Run parameters.
        client: Model client (the diffusion source's object swap).
        diffusion_pipe: A ready diffusers pipeline (else loaded from ``diffusion.model``).

    Raises:
        ConfigError: Missing or unusable source settings (e.g. no ``mined.data``).
    """
    if params.source == "procedural":
        return _procedural_pairs(params)
    if params.source == "mined":
        from mmcurate.synth.mined import mine_pairs

        if params.mined.data is None:
            raise ConfigError("--source mined needs --data POOL (a dataset with images)")
        pairs, info = mine_pairs(
            params.mined.data,
            n=params.n,
            lo=params.similarity_lo,
            hi=params.similarity_hi,
            k=params.mined.k,
            one_pair_per_image=params.mined.one_pair_per_image,
        )
        return iter(pairs), info
    from mmcurate.synth.diffusion import DiffusionParams, diffusion_pairs

    dp = DiffusionParams.model_validate(params.diffusion)
    return diffusion_pairs(dp, n=params.n, seed=params.seed, client=client, pipe=diffusion_pipe)


def resolve_captioner(params: ImgDiffParams, backend: str) -> str:
    """The caption source this run uses (``vlm``, ``heuristic`` or ``procedural_ground_truth``).

    Raises:
        ConfigError: ``vlm`` asked for while the model backend is ``heuristic``.
    """
    want = params.captions.captioner
    if want == "ground_truth":
        return "procedural_ground_truth"
    if want == "vlm":
        if backend == "heuristic":
            raise ConfigError(
                "--captioner vlm needs a model backend: give --url (vLLM server) or --backend "
                "transformers --model DIR (or set MMCURATE_VLM_URL)"
            )
        return "vlm"
    if want == "heuristic":
        return "heuristic"
    if backend != "heuristic":
        return "vlm"
    return "procedural_ground_truth" if params.source == "procedural" else "heuristic"


class ImgDiffPipeline:
    """Runs the stages over pairs and writes samples, drops, errors and a summary.

    Args:
        params: Run parameters.
        out: Output folder (``imgdiff.jsonl``, ``images/``, ``dropped.jsonl``,
            ``errors.jsonl``, ``boxes.jsonl``, ``summary.json``).
        client: The model client (default: :func:`mmcurate.models.default_client`).
        diffusion_pipe: A ready diffusers pipeline for ``source="diffusion"`` (tests; else
            it is loaded from ``diffusion.model`` on first use).
    """

    def __init__(
        self, params: ImgDiffParams, out: Path, client: Any = None, diffusion_pipe: Any = None
    ) -> None:
        from mmcurate.models import default_client

        self.diffusion_pipe = diffusion_pipe
        self.params = params
        self.out = Path(out)
        self.client = client or default_client()
        self.caption_source = resolve_captioner(params, self.client.config.backend)
        self.rng = np.random.default_rng(params.seed)
        self.distractors: list[str] = []

    # -- model calls -------------------------------------------------------------------------

    def _generate(self, reqs: list[Any], prompt: Prompt, summary: ImgDiffSummary) -> list[Any]:
        """Run requests of ``prompt`` with the output schema its file names (``output_schema``)
        through the model client, and count them in the summary.

        ``summary.model`` gets ``backend``, ``model`` and counters in ``total`` and per prompt
        (``prompts["<id>.v<N>"]``):
        ``requests``, ``cache_hits``, ``model_calls`` (sent to the backend: not cached,
        re-asks included), ``failed``, ``prompt_tokens`` and ``completion_tokens`` (tokens
        the model processed in this run; cache hits cost none).
        """
        from mmcurate.models import generate

        results = generate(reqs, schema=prompt.output_schema_model(), client=self.client)
        m = summary.model
        m.setdefault("backend", self.client.config.backend)
        for res in results:
            if res.model and not m.get("model"):
                m["model"] = res.model
            per_prompt = m.setdefault("prompts", {})
            ref = f"{res.prompt_id}.v{res.prompt_version}"
            for c in (
                m.setdefault("total", dict.fromkeys(_CALL_COUNTERS, 0)),
                per_prompt.setdefault(ref, dict.fromkeys(_CALL_COUNTERS, 0)),
            ):
                c["requests"] += 1
                if res.cached:
                    c["cache_hits"] += 1
                    continue
                c["model_calls"] += res.attempts
                c["failed"] += 0 if res.ok else 1
                c["prompt_tokens"] += res.prompt_tokens or 0
                c["completion_tokens"] += res.completion_tokens or 0
        return results

    # -- stages ------------------------------------------------------------------------------

    def _similarity(self, work: _Work, summary: ImgDiffSummary, w: _Writer) -> bool:
        from mmcurate.synth.features import similarity

        st = summary.stages["pair_similarity"]
        st.n_in += 1
        pair = work.pair
        assert work.img_a is not None and work.img_b is not None
        if pair.similarity is None:
            pair.similarity = similarity(work.img_a, work.img_b)
        lo, hi = self.params.similarity_lo, self.params.similarity_hi
        if self.params.filter_similarity() and not lo < pair.similarity < hi:
            st.dropped += 1
            w.drop(
                pair.pair_id,
                "pair_similarity",
                f"whole-image similarity {pair.similarity:.3f} outside ({lo}, {hi})",
                similarity=round(pair.similarity, 4),
            )
            return False
        st.kept += 1
        return True

    def _boxes(self, work: _Work, summary: ImgDiffSummary, w: _Writer) -> bool:
        st = summary.stages["difference_areas"]
        st.n_in += 1
        assert work.img_a is not None and work.img_b is not None
        res = find_boxes(work.img_a, work.img_b, self.params.boxes)
        work.boxes = res
        w.boxes.write(
            json.dumps(
                {
                    "pair_id": work.pair.pair_id,
                    "boxes": [list(b) for b in res.boxes],
                    "candidates": [c.as_dict() for c in res.candidates],
                    "truth": [list(b) for b in work.pair.truth.gt_boxes]
                    if work.pair.truth
                    else None,
                }
            )
            + "\n"
        )
        if not res.boxes:
            st.dropped += 1
            w.drop(
                work.pair.pair_id,
                "difference_areas",
                f"no difference box left ({res.drop_summary()})",
                candidates=[c.as_dict() for c in res.candidates],
            )
            return False
        st.kept += 1
        return True

    def _region_captions(
        self, works: list[_Work], summary: ImgDiffSummary, w: _Writer
    ) -> list[_Work]:
        from mmcurate.synth.captions import (
            EMPTY,
            caption_overlap,
            mentions,
            region_crops,
            region_requests,
        )

        st = summary.stages["region_captions"]
        cp = self.params.captions
        # one entry per box: (work, box index, box, crops or gt captions)
        entries: list[tuple[_Work, int, Box]] = []
        for work in works:
            st.n_in += 1
            assert work.boxes is not None
            for k, box in enumerate(work.boxes.boxes):
                entries.append((work, k, box))
        answers: dict[tuple[str, int], dict[str, Any]] = {}
        box_drops: dict[str, list[str]] = {}
        box_failures: dict[str, list[str]] = {}  # model failures: the box was never judged
        if self.caption_source == "procedural_ground_truth":
            for work, k, box in entries:
                truth = work.pair.truth
                assert truth is not None
                overlaps = [iou(box, g) for g in truth.gt_boxes]
                j = int(np.argmax(overlaps))
                if overlaps[j] < cp.gt_match_iou:
                    box_drops.setdefault(work.pair.pair_id, []).append(
                        f"box {k}: overlaps no changed object (best IoU {overlaps[j]:.2f} < "
                        f"{cp.gt_match_iou})"
                    )
                    continue
                ca, cb = truth.region_captions[j]
                answers[(work.pair.pair_id, k)] = {
                    "a": ca,
                    "b": cb,
                    "has_a": ca != BACKGROUND,
                    "has_b": cb != BACKGROUND,
                    "provenance": {"source": "procedural_ground_truth", "gt_index": j},
                }
        else:
            from mmcurate.prompts import load_prompt
            from mmcurate.synth.captions import REGION_PROMPT

            reqs = []
            for work, k, box in entries:
                assert work.img_a is not None and work.img_b is not None
                ca_img, cb_img = region_crops(work.img_a, work.img_b, box, cp.crop_pad)
                reqs += region_requests(
                    f"{work.pair.pair_id}#{k}", ca_img, cb_img, cp.region_max_words
                )
            results = self._generate(reqs, load_prompt(REGION_PROMPT), summary)
            for (work, k, _), ra, rb in zip(entries, results[::2], results[1::2], strict=True):
                if not (ra.ok and rb.ok):
                    box_failures.setdefault(work.pair.pair_id, []).append(
                        f"box {k}: region caption failed: {ra.error or rb.error}"
                    )
                    continue
                pa, pb = ra.parsed, rb.parsed
                answers[(work.pair.pair_id, k)] = {
                    "a": pa.caption,
                    "b": pb.caption,
                    "has_a": pa.has_object,
                    "has_b": pb.has_object,
                    "provenance": ra.provenance(),
                }
        kept = []
        for work in works:
            pid = work.pair.pair_id
            assert work.boxes is not None
            for k, box in enumerate(work.boxes.boxes):
                ans = answers.get((pid, k))
                if ans is None:
                    continue
                overlap = caption_overlap(ans["a"], ans["b"])
                if overlap >= cp.max_caption_overlap:
                    box_drops.setdefault(pid, []).append(
                        f"box {k}: region captions do not differ (word overlap {overlap:.2f})"
                    )
                    continue
                objs = work.pair.changed_objects
                if objs and not (mentions(ans["a"], objs) or mentions(ans["b"], objs)):
                    box_drops.setdefault(pid, []).append(
                        f"box {k}: region captions mention none of the changed objects {objs}"
                    )
                    continue
                ans.update(box=box, index=k, overlap=overlap)
                work.regions.append(ans)
                if len(work.regions) >= cp.max_samples_per_pair:
                    break
            if work.regions:
                st.kept += 1
                kept.append(work)
                for r in work.regions:
                    for side, has in (("a", r["has_a"]), ("b", r["has_b"])):
                        if has and r[side] != EMPTY:
                            self.distractors.append(r[side])
            elif pid in box_failures:
                # a box whose captions failed might have been kept: an error, not a drop
                st.errored += 1
                w.error(
                    pid,
                    "region_captions",
                    "no box captioned: " + "; ".join(box_failures[pid] + box_drops.get(pid, [])),
                )
            else:
                st.dropped += 1
                w.drop(
                    pid,
                    "region_captions",
                    "no box with differing region captions: " + "; ".join(box_drops.get(pid, [])),
                )
        return kept

    def _differences(self, works: list[_Work], summary: ImgDiffSummary, w: _Writer) -> None:
        from mmcurate.synth.captions import (
            difference_messages,
            difference_request,
            removal_messages,
            side_by_side,
        )

        st = summary.stages["difference_caption"]
        cp = self.params.captions
        sbs_images: list[tuple[_Work, dict[str, Any], Image.Image]] = []
        for work in works:
            st.n_in += 1
            assert work.img_a is not None and work.img_b is not None
            for r in work.regions:
                sbs_images.append((work, r, side_by_side(work.img_a, work.img_b, r["box"])))
        if self.caption_source == "procedural_ground_truth":
            diffs: list[tuple[str | None, dict[str, Any] | str]] = []
            for work, _r, _ in sbs_images:
                truth = work.pair.truth
                assert truth is not None
                diffs.append((truth.difference, {"source": "procedural_ground_truth"}))
        else:
            from mmcurate.prompts import load_prompt
            from mmcurate.synth.captions import DIFFERENCE_PROMPT

            reqs = [
                difference_request(
                    f"{work.pair.pair_id}#{r['index']}",
                    img,
                    r["a"],
                    r["b"],
                    cp.difference_max_words,
                )
                for work, r, img in sbs_images
            ]
            results = self._generate(reqs, load_prompt(DIFFERENCE_PROMPT), summary)
            diffs = [
                (res.parsed.difference, res.provenance()) if res.ok else (None, str(res.error))
                for res in results
            ]
        by_pair: dict[str, list[tuple[dict[str, Any], Image.Image, str, Any]]] = {}
        failures: dict[str, list[str]] = {}
        for (work, r, img), (text, prov) in zip(sbs_images, diffs, strict=True):
            if text is None:
                failures.setdefault(work.pair.pair_id, []).append(f"box {r['index']}: {prov}")
                continue
            by_pair.setdefault(work.pair.pair_id, []).append((r, img, text, prov))
        for work in works:
            pid = work.pair.pair_id
            items = by_pair.get(pid)
            if not items:  # every difference request of the pair failed: an error
                st.errored += 1
                w.error(
                    pid,
                    "difference_caption",
                    "no difference caption: " + "; ".join(failures.get(pid, [])),
                )
                continue
            st.kept += 1
            self._write_samples(work, items, w, summary, difference_messages, removal_messages)

    def _write_samples(
        self,
        work: _Work,
        items: list[tuple[dict[str, Any], Image.Image, str, Any]],
        w: _Writer,
        summary: ImgDiffSummary,
        difference_messages: Callable[[str], list[dict[str, str]]],
        removal_messages: Callable[..., tuple[list[dict[str, str]], dict[str, Any]]],
    ) -> None:
        pair = work.pair
        assert work.img_a is not None and work.img_b is not None
        ext = (
            "png"
            if pair.source == "procedural" and self.params.procedural.image_format == "png"
            else "jpg"
        )
        path_a = w.save(work.img_a, f"{pair.pair_id}_a.{ext}")
        path_b = w.save(work.img_b, f"{pair.pair_id}_b.{ext}")
        wa, ha = work.img_a.size
        base: dict[str, Any] = {
            "pair_id": pair.pair_id,
            "source": pair.source,
            "pair": {"image_a": path_a, "image_b": path_b},
            "image_size": [wa, ha],
            "similarity": None if pair.similarity is None else round(pair.similarity, 4),
            "similarity_feature": "heuristic-thumb-hsv-hog-v1",
            "caption_source": self.caption_source,
        }
        if pair.paths:
            base["original_images"] = list(pair.paths)
        if pair.truth is not None:
            base["truth"] = pair.truth.truth()
        if pair.changed_objects:
            base["changed_objects"] = pair.changed_objects
        if pair.info:
            base["source_info"] = pair.info
        for r, img, text, prov in items:
            k = r["index"]
            box = r["box"]
            box_meta = {
                **base,
                "box_index": k,
                "bbox": list(box),
                "bbox_norm": [
                    round(box[0] / wa, 4),
                    round(box[1] / ha, 4),
                    round(box[2] / wa, 4),
                    round(box[3] / ha, 4),
                ],
                "region_caption_a": r["a"],
                "region_caption_b": r["b"],
                "region_caption_provenance": r["provenance"],
            }
            sbs = w.save(img, f"{pair.pair_id}_box{k}_sbs.jpg")
            w.samples.append(
                {
                    "id": f"{pair.pair_id}-box{k}",
                    "images": [sbs],
                    "messages": difference_messages(text),
                    "meta": {
                        "source": f"imgdiff:{pair.source}",
                        "imgdiff": {
                            **box_meta,
                            "variant": "difference",
                            "difference_provenance": prov,
                        },
                    },
                }
            )
            summary.samples["difference"] += 1
            if not self.params.captions.removal_variant or r["has_a"] == r["has_b"]:
                continue
            removed = r["a"] if r["has_a"] else r["b"]
            images = [path_a, path_b] if r["has_a"] else [path_b, path_a]
            pool = list(pair.truth.objects_a) if pair.truth is not None else []
            pool = [o for o in pool if o != removed]
            others = [d for d in self.distractors if d != removed]
            if others:
                pool += [others[i] for i in self.rng.permutation(len(others))[:6]]
            if not pool:
                continue
            msgs, answer = removal_messages(removed, pool, self.rng)
            w.samples.append(
                {
                    "id": f"{pair.pair_id}-box{k}-removal",
                    "images": images,
                    "messages": msgs,
                    "meta": {
                        "source": f"imgdiff:{pair.source}",
                        "imgdiff": {**box_meta, "variant": "removal", **answer},
                    },
                }
            )
            summary.samples["removal"] += 1

    # -- driver ------------------------------------------------------------------------------

    def run(self, progress: Callable[[int], None] | None = None) -> ImgDiffSummary:
        """Run every stage and write the outputs (see the class docstring)."""
        t0 = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        summary = ImgDiffSummary(self.out, self.params.source, self.caption_source)
        pairs, info = pair_source(self.params, self.client, self.diffusion_pipe)
        summary.source_info = info
        w = _Writer(self.out)
        try:
            batch: list[Pair] = []
            for pair in pairs:
                batch.append(pair)
                if len(batch) >= self.params.batch_size:
                    self._run_batch(batch, summary, w)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._run_batch(batch, summary, w)
                if progress:
                    progress(len(batch))
            for dropped in info.get("dropped_pairs", []):
                summary.n_pairs += 1
                summary.stages["pairs"].n_in += 1
                summary.stages["pairs"].dropped += 1
                summary.dropped += 1
                w.drop(dropped["pair_id"], "pairs", dropped["reason"])
        finally:
            w.close()
        info.pop("dropped_pairs", None)
        self._export(w.samples)
        summary.seconds = time.perf_counter() - t0
        (self.out / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
        return summary

    def _run_batch(self, pairs: Sequence[Pair], summary: ImgDiffSummary, w: _Writer) -> None:
        works: list[_Work] = []
        for pair in pairs:
            summary.n_pairs += 1
            st = summary.stages["pairs"]
            st.n_in += 1
            try:
                img_a, img_b = pair.load()
            except (OSError, ValueError) as err:
                st.errored += 1
                summary.errored += 1
                w.error(pair.pair_id, "pairs", f"cannot load the pair's images: {err}")
                continue
            st.kept += 1
            works.append(_Work(pair, img_a, img_b))
        alive: list[_Work] = []
        for work in works:
            stage = "pair_similarity"
            try:
                if not self._similarity(work, summary, w):
                    summary.dropped += 1
                    continue
                stage = "difference_areas"
                if not self._boxes(work, summary, w):
                    summary.dropped += 1
                    continue
            except Exception as err:  # noqa: BLE001 - one pair's failure is an error record
                summary.stages[stage].errored += 1
                summary.errored += 1
                w.error(work.pair.pair_id, stage, f"{type(err).__name__}: {err}")
                continue
            alive.append(work)
        later = [summary.stages[s] for s in ("region_captions", "difference_caption")]
        before = [(st.dropped, st.errored) for st in later]
        alive = self._region_captions(alive, summary, w)
        kept_before = summary.stages["difference_caption"].kept
        self._differences(alive, summary, w)
        for st, (d0, e0) in zip(later, before, strict=True):
            summary.dropped += st.dropped - d0
            summary.errored += st.errored - e0
        summary.kept += summary.stages["difference_caption"].kept - kept_before

    def _export(self, samples: list[dict[str, Any]]) -> Path:
        from mmcurate.io import write_dataset
        from mmcurate.sample import Message, Sample, to_dataset

        rows = [
            Sample(
                id=s["id"],
                images=s["images"],
                messages=[Message(**m) for m in s["messages"]],
                meta=s["meta"],
            )
            for s in samples
        ]
        path = self.out / "imgdiff.jsonl"
        if not rows:
            path.write_text("")
            return path
        return write_dataset(to_dataset(rows), path, "llava", root=self.out)


def run_imgdiff(
    params: ImgDiffParams,
    out: Path,
    client: Any = None,
    progress: Callable[[int], None] | None = None,
    diffusion_pipe: Any = None,
) -> ImgDiffSummary:
    """Run the ImgDiff pipeline (see the module docstring); returns the summary."""
    return ImgDiffPipeline(params, out, client=client, diffusion_pipe=diffusion_pipe).run(progress)

"""Lite perception: image statistics, OCR where there is text, and a text embedding.

:class:`Perceiver` turns samples into the scalar stats of ``lite_perception_mapper`` and
the sample's text embedding. Per picture (an image, or a frame sampled from a video):

1. read the file's bytes and hash them (BLAKE2b); a cached result for (hash, settings)
   is returned as is;
2. decode a reduced copy (JPEG DCT scaling) and compute the pixel statistics on a 256 px
   thumbnail and the text-region ratio on a 512 px gray image (:mod:`.imagestats`);
3. OCR the full image only when ``ocr="always"``, or ``ocr="auto"`` and the text-region
   ratio is at least ``text_region_threshold``;
4. cache the result (on disk under the run's work dir, shared by the worker processes).

Sample-level stats aggregate a sample's pictures (documented per key in :data:`STAT_DOCS`):
counts and OCR words are summed, ratios and cues take the maximum (the most text-like or
chart-like picture decides), and the other statistics are means. A text-only sample gets
``images = 0`` and zeros for the pixel statistics.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image
from pydantic import Field

from mmcurate.io.media import is_uri, resolve_media
from mmcurate.ops.base import Params, SampleError
from mmcurate.sample import Sample, StatValue, strip_placeholders
from mmcurate.scorers.lite import imagestats
from mmcurate.scorers.lite.cache import DiskCache
from mmcurate.scorers.lite.embed import DEFAULT_MODEL, Device, DType, TextEncoder
from mmcurate.scorers.lite.ocr import OcrEngine, TesseractOcr

#: Bump when per-picture results change meaning (invalidates cached entries).
PERCEPTION_VERSION = 3

OcrMode = Literal["auto", "always", "never"]

#: Local stat name -> python type (stored as ``lite_perception_mapper.<name>``).
STAT_TYPES: dict[str, Any] = {
    "images": int,
    "ocr_images": int,
    "ocr_words": int,
    "ocr_text": str,
    "text_area_ratio": float,
    "text_region_ratio": float,
    "edge_density": float,
    "colorfulness": float,
    "entropy": float,
    "white_fraction": float,
    "palette_fraction": float,
    "long_lines": int,
    "chart_cue": float,
    "text_embedding": list[float],
}

#: What each stat means and how a multi-picture sample aggregates it.
STAT_DOCS: dict[str, str] = {
    "images": "pictures analysed: images plus frames sampled from videos (sum)",
    "ocr_images": "pictures OCR ran on (sum)",
    "ocr_words": "words OCR read with confidence >= min_conf (sum)",
    "ocr_text": "OCR text, pictures separated by a blank line, cut at max_ocr_chars",
    "text_area_ratio": "OCR word-box area / picture area (max)",
    "text_region_ratio": "text-region detector's box area / picture area (max)",
    "edge_density": "share of pixels on a strong edge, 256 px thumbnail (mean)",
    "colorfulness": "Hasler-Suesstrunk colourfulness (mean)",
    "entropy": "gray-histogram entropy in bits (mean)",
    "white_fraction": "share of near-white pixels (max)",
    "palette_fraction": "share of pixels in the 8 most common quantised colours (max)",
    "long_lines": "long horizontal/vertical edge lines (max)",
    "chart_cue": "chart/diagram/document cue in [0, 1] (max)",
    "text_embedding": "L2-normalised MiniLM embedding of the conversation text",
}


class PerceptionParams(Params):
    """Parameters of ``lite_perception_mapper`` (also nested in ``lite_capability_scorer``)."""

    ocr: OcrMode = Field(
        "auto",
        description="auto: OCR pictures whose text-region ratio >= text_region_threshold; "
        "always; never.",
    )
    text_region_threshold: float = Field(
        0.004, ge=0, le=1, description="Text-region ratio from which `auto` runs OCR."
    )
    ocr_lang: str = Field("eng", description="Tesseract language(s), e.g. eng or eng+deu.")
    ocr_engine: OcrEngine = Field(
        "auto",
        description="api: tesserocr in process (fast); cli: a tesseract process per image; "
        "auto: api when tesserocr is installed.",
    )
    ocr_psm: int = Field(3, ge=0, le=13, description="Tesseract page segmentation mode.")
    ocr_min_conf: float = Field(50.0, ge=0, le=100, description="Minimum word confidence.")
    ocr_max_side: int = Field(2000, ge=64, description="Downscale larger images before OCR.")
    max_ocr_chars: int = Field(2000, ge=0, description="OCR text kept in the stat (chars).")
    threads: int = Field(
        2,
        ge=1,
        le=32,
        description="Samples analysed concurrently per worker process (OCR releases the "
        "GIL, so threads overlap it).",
    )
    video_frames: int = Field(3, ge=1, le=32, description="Frames analysed per video.")
    embed: bool = Field(True, description="Compute the text embedding stat.")
    embed_model: str = Field(
        DEFAULT_MODEL, description="all-MiniLM-L6-v2 (bundled) or a local model folder."
    )
    embed_device: Device = Field("auto", description="auto, cpu or cuda.")
    embed_dtype: DType = Field("auto", description="auto (bf16 on bf16-capable CPUs), ...")
    embed_max_tokens: int = Field(128, ge=8, le=512, description="Text truncation (tokens).")
    embed_batch_size: int = Field(64, ge=1, description="Texts per encoder forward pass.")
    embedding_decimals: int = Field(
        3, ge=1, le=8, description="Decimals kept in the stored embedding (smaller exports)."
    )
    cache: bool = Field(True, description="Cache per-image results and embeddings on disk.")
    cache_dir: str | None = Field(
        None,
        description="Cache folder shared across runs and pools (keys are content hashes "
        "plus these settings); default: the run's work dir.",
    )


@dataclass(frozen=True)
class PictureStats:
    """Perception of one picture (cached as JSON by content hash)."""

    edge_density: float
    colorfulness: float
    entropy: float
    white_fraction: float
    palette_fraction: float
    long_lines: int
    chart_cue: float
    text_region_ratio: float
    ocr_ran: bool
    ocr_words: int
    ocr_text: str
    text_area_ratio: float


def analyse_picture(
    img: Image.Image,
    ocr: TesseractOcr | None,
    mode: OcrMode,
    threshold: float,
    full: Callable[[], Image.Image] | None = None,
) -> PictureStats:
    """Pixel statistics, text regions and (when due) OCR of one decoded picture.

    Args:
        img: The picture (RGB; may be a reduced decode, at least 512 px on its long side
            when the original is).
        ocr: The OCR engine (``None`` with ``mode="never"``).
        mode: ``auto``, ``always`` or ``never``.
        threshold: Text-region ratio from which ``auto`` runs OCR.
        full: Returns the full-resolution picture for OCR (default: ``img``).
    """
    rgb = imagestats.downscale(img, imagestats.STATS_SIDE, "RGB")
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    cues = imagestats.chart_cues(rgb, gray)
    regions = imagestats.text_regions(imagestats.downscale(img, imagestats.DETECT_SIDE, "L"))
    run = ocr is not None and (mode == "always" or (mode == "auto" and regions.ratio >= threshold))
    words, text, area = 0, "", 0.0
    if run:
        assert ocr is not None
        res = ocr.read(full() if full is not None else img)
        words, text, area = res.words, res.text, res.area_ratio
    return PictureStats(
        edge_density=imagestats.edge_density(gray),
        colorfulness=imagestats.colorfulness(rgb),
        entropy=imagestats.gray_entropy(gray),
        white_fraction=cues.white_fraction,
        palette_fraction=cues.palette_fraction,
        long_lines=cues.long_lines,
        chart_cue=cues.chart_cue,
        text_region_ratio=regions.ratio,
        ocr_ran=run,
        ocr_words=words,
        ocr_text=text,
        text_area_ratio=area,
    )


def aggregate(pictures: Sequence[PictureStats], max_ocr_chars: int) -> dict[str, StatValue]:
    """Sample-level stats from its pictures (see :data:`STAT_DOCS`)."""
    n = len(pictures)

    def mean(name: str) -> float:
        return float(np.mean([getattr(p, name) for p in pictures])) if n else 0.0

    def top(name: str) -> float:
        return float(max(getattr(p, name) for p in pictures)) if n else 0.0

    text = "\n\n".join(p.ocr_text for p in pictures if p.ocr_text)
    return {
        "images": n,
        "ocr_images": sum(p.ocr_ran for p in pictures),
        "ocr_words": sum(p.ocr_words for p in pictures),
        "ocr_text": text[:max_ocr_chars],
        "text_area_ratio": top("text_area_ratio"),
        "text_region_ratio": top("text_region_ratio"),
        "edge_density": mean("edge_density"),
        "colorfulness": mean("colorfulness"),
        "entropy": mean("entropy"),
        "white_fraction": top("white_fraction"),
        "palette_fraction": top("palette_fraction"),
        "long_lines": int(top("long_lines")),
        "chart_cue": top("chart_cue"),
    }


def conversation_text(sample: Sample) -> str:
    """The text that is embedded: each message's content without media placeholders, in
    order, one per line (system prompts included)."""
    parts = [strip_placeholders(m.content).strip() for m in sample.messages]
    return "\n".join(p for p in parts if p)


@dataclass
class _Prefetch:
    """A batch's image bytes with their cache keys, and the cached results found."""

    refs: dict[str, tuple[bytes, str]]
    found: dict[str, bytes]


@dataclass
class PerceptionCounters:
    """Monotonic counters (exposed as op metrics)."""

    pictures: int = 0
    picture_cache_hits: int = 0
    ocr_runs: int = 0
    ocr_skipped: int = 0
    ocr_seconds: float = 0.0


class Perceiver:
    """Computes lite perception stats for samples (one instance per worker process).

    Args:
        params: The perception settings.
        root: Folder relative media paths resolve against.
        cache_dir: Where the on-disk cache lives (``None``: in memory for this process).
    """

    def __init__(self, params: PerceptionParams, root: Path, cache_dir: Path | None) -> None:
        self.params = params
        self.root = root
        cache_path = cache_dir / "lite_perception.sqlite" if cache_dir and params.cache else None
        self.cache = DiskCache(cache_path)
        self.ocr = (
            TesseractOcr(
                lang=params.ocr_lang,
                psm=params.ocr_psm,
                min_conf=params.ocr_min_conf,
                max_side=params.ocr_max_side,
                engine=params.ocr_engine,
            )
            if params.ocr != "never"
            else None
        )
        self.encoder = TextEncoder(
            model=params.embed_model,
            device=params.embed_device,
            dtype=params.embed_dtype,
            max_tokens=params.embed_max_tokens,
            batch_size=params.embed_batch_size,
            cache=self.cache if params.cache else None,
        )
        self.counters = PerceptionCounters()
        self._settings: str | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = -1

    def settings_key(self) -> str:
        """The settings part of a picture's cache key."""
        if self._settings is None:
            p = self.params
            ocr_sig = self.ocr.signature if self.ocr is not None else "no-ocr"
            self._settings = (
                f"v{PERCEPTION_VERSION}|{p.ocr}|{p.text_region_threshold}|{ocr_sig}"
                f"|frames={p.video_frames}"
            )
        return self._settings

    # ----------------------------------------------------------------- pictures
    def _picture_keys(self, data: bytes, n: int) -> list[str]:
        digest = hashlib.blake2b(data, digest_size=20).hexdigest()
        return [f"pic:{digest}:{i}:{self.settings_key()}" for i in range(n)]

    def _count(self, **deltas: float) -> None:
        with self._lock:
            for name, value in deltas.items():
                setattr(self.counters, name, getattr(self.counters, name) + value)

    def _analyse(
        self, img: Image.Image, full: Callable[[], Image.Image] | None = None
    ) -> PictureStats:
        t0 = time.perf_counter()
        p = self.params
        stats = analyse_picture(img, self.ocr, p.ocr, p.text_region_threshold, full)
        if stats.ocr_ran:
            self._count(ocr_runs=1, ocr_seconds=time.perf_counter() - t0)
        elif self.params.ocr == "auto":
            self._count(ocr_skipped=1)
        return stats

    def _image(self, field: str, ref: str, batch: _Prefetch | None = None) -> list[PictureStats]:
        if batch is not None and ref in batch.refs:
            data, key = batch.refs[ref]
            cached = batch.found.get(key)
        else:
            data = _read_bytes(field, ref, self.root)
            (key,) = self._picture_keys(data, 1)
            cached = self.cache.get_many([key]).get(key)
        self._count(pictures=1)
        if cached is not None:
            self._count(picture_cache_hits=1)
            return [PictureStats(**json.loads(cached))]

        def decode(reduced: bool) -> Image.Image:
            try:
                with Image.open(io.BytesIO(data)) as im:
                    if reduced:  # JPEG: DCT-domain downscale while decoding
                        im.draft("RGB", (imagestats.DETECT_SIDE, imagestats.DETECT_SIDE))
                    return _flatten(im)
            except Exception as err:  # noqa: BLE001 - any decoder failure is this sample's
                raise SampleError(f"{field}: cannot decode image {ref!r}: {err}") from err

        try:
            stats = self._analyse(decode(True), lambda: decode(False))
        except RuntimeError as err:  # tesseract failed or timed out on this image
            raise SampleError(f"{field}: OCR failed on {ref!r}: {err}") from err
        self.cache.put_many({key: json.dumps(asdict(stats)).encode()})
        return [stats]

    def _video(self, field: str, ref: str) -> list[PictureStats]:
        from mmcurate.models.video import sample_frames

        data = _read_bytes(field, ref, self.root)
        keys = self._picture_keys(data, self.params.video_frames + 1)
        found = self.cache.get_many(keys)
        marker = found.get(keys[0])
        if marker is not None:
            n = json.loads(marker)["frames"]
            if all(k in found for k in keys[1 : n + 1]):
                self._count(pictures=n, picture_cache_hits=n)
                return [PictureStats(**json.loads(found[k])) for k in keys[1 : n + 1]]
        path = resolve_media(self.root, ref)
        try:
            frames = sample_frames(path, fps=1.0, max_frames=self.params.video_frames).frames
        except Exception as err:  # noqa: BLE001
            raise SampleError(f"{field}: cannot decode video {ref!r}: {err}") from err
        out = [self._analyse(f.convert("RGB")) for f in frames]
        self._count(pictures=len(out))
        entries = {keys[0]: json.dumps({"frames": len(out)}).encode()}
        entries.update({keys[i + 1]: json.dumps(asdict(s)).encode() for i, s in enumerate(out)})
        self.cache.put_many(entries)
        return out

    def prefetch(self, samples: Sequence[Sample]) -> _Prefetch:
        """Read and hash a batch's images and look their results up in one query (files
        that cannot be read are left out: they fail, with their field, when analysed)."""
        refs: dict[str, tuple[bytes, str]] = {}
        for s in samples:
            for i, ref in enumerate(s.images):
                if ref not in refs:
                    try:
                        data = _read_bytes(f"images[{i}]", ref, self.root)
                    except SampleError:
                        continue
                    refs[ref] = (data, self._picture_keys(data, 1)[0])
        found = self.cache.get_many(key for _, key in refs.values())
        return _Prefetch(refs, found)

    def picture_stats(self, sample: Sample, batch: _Prefetch | None = None) -> list[PictureStats]:
        """Per-picture stats of a sample's images, then its videos' sampled frames.

        Raises:
            SampleError: naming ``images[i]`` / ``videos[i]`` for unreadable media.
        """
        out: list[PictureStats] = []
        for i, ref in enumerate(sample.images):
            out += self._image(f"images[{i}]", ref, batch)
        for i, ref in enumerate(sample.videos):
            out += self._video(f"videos[{i}]", ref)
        return out

    def close(self) -> None:
        """End the perception threads (their OCR engines go with them). The perceiver still
        works afterwards: threads start again on the next batch."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _thread_pool(self) -> ThreadPoolExecutor:
        """The perception threads, kept for the perceiver's life: each thread holds its own
        loaded OCR engine (0.1-0.4 s to load), so they must outlive a batch."""
        if self._pool is None or self._pool_pid != os.getpid():
            self._pool = ThreadPoolExecutor(self.params.threads, thread_name_prefix="perceive")
            self._pool_pid = os.getpid()
        return self._pool

    # ------------------------------------------------------------------ samples
    def stats(self, sample: Sample, batch: _Prefetch | None = None) -> dict[str, StatValue]:
        """Scalar stats of one sample (no embedding)."""
        return aggregate(self.picture_stats(sample, batch), self.params.max_ocr_chars)

    def perceive(self, samples: Sequence[Sample]) -> list[dict[str, StatValue] | Exception]:
        """Stats of a batch, embeddings included (one encoder call for the batch).

        Returns:
            Per sample, its local stats (see :data:`STAT_TYPES`) or the exception that
            makes it an error record.
        """

        batch = self.prefetch(samples)

        def one(sample: Sample) -> tuple[dict[str, StatValue], str]:
            text = conversation_text(sample)
            if not text:
                raise SampleError("messages: no text to score (every turn is empty)")
            return self.stats(sample, batch), text

        out: list[dict[str, StatValue] | Exception] = []
        texts: dict[int, str] = {}
        misses = sum(key not in batch.found for _, key in batch.refs.values())
        has_video = any(s.videos for s in samples)
        threads = min(self.params.threads, len(samples)) if misses or has_video else 1
        if threads > 1:
            pool = self._thread_pool()
            futures = [pool.submit(one, s) for s in samples]
            results = [f.exception() or f.result() for f in futures]
        else:
            results = []
            for s in samples:
                try:
                    results.append(one(s))
                except Exception as err:  # noqa: BLE001 - isolated per sample by design
                    results.append(err)
        for i, res in enumerate(results):
            if isinstance(res, BaseException):
                out.append(res if isinstance(res, Exception) else RuntimeError(str(res)))
            else:
                out.append(res[0])
                texts[i] = res[1]
        if self.params.embed and texts:
            vecs = self.encoder.encode(list(texts.values()))
            rounded = np.round(vecs.astype(np.float64), self.params.embedding_decimals)
            for i, v in zip(texts, rounded, strict=True):
                entry = out[i]
                assert isinstance(entry, dict)
                entry["text_embedding"] = v.tolist()
        return out


def _read_bytes(field: str, ref: str, root: Path) -> bytes:
    if is_uri(ref) and not ref.startswith("file://"):
        raise SampleError(f"{field}: {ref!r} is a URI; lite perception reads local files only")
    path = resolve_media(root, ref.removeprefix("file://"))
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise SampleError(f"{field}: cannot read {ref!r}: {err.strerror or err}") from err
    if not data:
        raise SampleError(f"{field}: {ref!r} is empty")
    return data


def _flatten(im: Image.Image) -> Image.Image:
    """RGB copy of ``im``; transparent areas composited on white (as they are displayed)."""
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return im.convert("RGB")

"""OCR engines for lite perception: Tesseract (process per image / in process) vs RapidOCR.

Generates demo data (or reads ``--data``), takes the images with rendered text (documents,
signs and charts: ``meta.demo.kind``), and OCRs each full-resolution image with every engine
configuration, in the same process, engines interleaved per image (so a busy machine slows
them alike). Per configuration it prints the seconds per image (wall and CPU; Tesseract's CPU
includes its subprocess), the word recall against the ground-truth words and the words found.

Ground truth: the strings the demo renderers draw, taken from ``meta.demo`` (titles, lines,
form labels/values, receipt items/prices, table cells, sign text, chart titles/labels/
values/axis labels). Chart tick labels and other un-recorded text are not in it, so recall
is measured against a subset of the visible words (words found may exceed it). Words are
lower-cased alphanumeric tokens (punctuation split off); recall counts each ground-truth
word at most as often as the OCR output has it (multiset), summed over all images.

RapidOCR (``rapidocr-onnxruntime``, PP-OCRv4 det/rec ONNX models shipped in the wheel, no
download) is a bench-only dependency: ``.venv/bin/pip install rapidocr-onnxruntime``. Its
wrapper lives here, not in :mod:`mmcurate.scorers.lite.ocr`, because on 2 CPU cores it was
2-5x slower per text image than Tesseract with lower word recall (issue 5 gate: >= 5x
faster at comparable recall), so lite perception keeps Tesseract.

Usage (repo root)::

    nice -n 15 .venv/bin/python bench/ocr_engines.py                 # 60 text images
    nice -n 15 .venv/bin/python bench/ocr_engines.py --n 120 --limit 30
    .venv/bin/python bench/ocr_engines.py --no-rapid   # the two Tesseract engines only
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
TEXT_KINDS = ("document", "sign", "chart")
_TOKEN = re.compile(r"[^\W_]+")
_HAS_ALNUM = re.compile(r"[^\W_]")


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens of ``text``."""
    return _TOKEN.findall(text.lower())


def truth_strings(demo: dict[str, Any]) -> list[str]:
    """The strings a demo image renders, from its ``meta.demo`` (see the module docstring)."""
    kind, variant = demo["kind"], demo["variant"]
    out: list[str] = []
    if kind == "sign":
        out += demo["lines"]
    elif kind == "chart":
        out.append(demo["title"])
        if variant == "scatter":
            out += [demo["x_label"], demo["y_label"]]
        else:
            out += demo["labels"]
            out += [str(v) for v in demo["values"]]
            if variant in ("bar", "line"):
                out.append(demo["unit"])
    elif variant == "paragraph":
        out.append(demo["text"])
    elif variant == "timeline":
        out += [demo["title"], *demo["lines"]]
    elif variant == "form":
        out.append(demo["title"])
        out += [f"{k}: {v}" for k, v in demo["fields"].items()]
        out += list(demo["checkboxes"])
    elif variant == "receipt":
        out += [demo["store"], f"Date: {demo['date']}"]
        out += [f"{it['name']} {it['price']}" for it in demo["items"]]
        out += ["TOTAL", demo["total"], "Thank you!"]
    elif variant == "table":
        out += [demo["title"], *demo["header"]]
        out += [c for row in demo["rows"] for c in row]
    else:
        raise ValueError(f"no ground truth for demo kind {kind!r} variant {variant!r}")
    return out


def recall_hits(found: list[str], truth: list[str]) -> int:
    """Ground-truth tokens matched by found tokens (multiset intersection size)."""
    return sum((Counter(found) & Counter(truth)).values())


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# ------------------------------------------------------------------ RapidOCR
def _rapidocr() -> Any:
    try:
        import rapidocr_onnxruntime
    except ImportError as err:
        raise SystemExit(
            "this benchmark needs rapidocr-onnxruntime: .venv/bin/pip install rapidocr-onnxruntime"
        ) from err
    return rapidocr_onnxruntime


@functools.cache
def rapidocr_version() -> str:
    """Versions of ``rapidocr-onnxruntime`` and ``onnxruntime`` (their models ship inside)."""
    _rapidocr()
    return (
        f"rapidocr-onnxruntime {metadata.version('rapidocr-onnxruntime')} "
        f"onnxruntime {metadata.version('onnxruntime')}"
    )


class RapidOcr:  # a bench-only wrapper; see the module docstring
    """RapidOCR (PP-OCRv4 det + rec on onnxruntime, in-process) text reader.

    Detection finds text lines, recognition reads each line with one confidence (0-1). Lines
    with confidence >= ``min_conf`` / 100 are kept; their words are the whitespace-separated
    tokens with a letter or a digit. Lines whose vertical centres lie within half a line
    height of each other are joined left to right into one output line (Tesseract's lines).
    ``area_ratio`` is the kept lines' box area over the image area, so it runs somewhat
    higher than Tesseract's word-box area for the same text.

    Args:
        min_conf: Minimum line confidence (0-100) to keep a line.
        max_side: Images whose long side is larger are downscaled to it first.
        det_side: The detector's input long side (smaller images are not upscaled).
        use_cls: Run the 180-degree text-orientation classifier (upside-down text).
        threads: onnxruntime intra-op threads per model (1: lite perception's worker
            processes and threads already keep the cores busy).
    """

    def __init__(
        self,
        min_conf: float = 50.0,
        max_side: int = 2000,
        det_side: int = 960,
        use_cls: bool = False,
        threads: int = 1,
        rec_batch: int = 6,
    ) -> None:
        self.min_conf = min_conf
        self.max_side = max_side
        self.det_side = det_side
        self.use_cls = use_cls
        self.threads = threads
        self.rec_batch = rec_batch
        self._local = threading.local()

    @property
    def signature(self) -> str:
        """Everything that changes a result (part of cache keys)."""
        return (
            f"{rapidocr_version()} conf={self.min_conf} side={self.max_side} "
            f"det={self.det_side} cls={self.use_cls}"
        )

    def _engine(self) -> Any:
        # One engine per thread: RapidOCR keeps per-call state on the instance.
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = _rapidocr().RapidOCR(
                text_score=self.min_conf / 100.0,
                max_side_len=self.max_side,
                use_cls=self.use_cls,
                det_limit_side_len=self.det_side,
                det_limit_type="max",
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
                rec_batch_num=self.rec_batch,
            )
            self._local.engine = engine
        return engine

    def read(self, img: Image.Image) -> Any:
        """OCR one image.

        Raises:
            RuntimeError: RapidOCR failed on this image.
        """
        engine = self._engine()
        rgb = img.convert("RGB")
        try:
            result, _ = engine(rgb, use_cls=self.use_cls)
        except Exception as err:  # noqa: BLE001 - any engine failure is this image's
            raise RuntimeError(f"rapidocr failed: {err}") from err
        rows: list[tuple[float, float, float, list[str]]] = []  # (cy, h, x0, words)
        area = 0.0
        confs: list[float] = []
        for box, line, score in result or []:
            conf = float(score) * 100.0
            words = [w for w in str(line).split() if _HAS_ALNUM.search(w)]
            if conf < self.min_conf or not words:
                continue
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            area += _polygon_area(xs, ys)
            confs.extend([conf] * len(words))
            rows.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), words))
        lines: list[list[tuple[float, list[str]]]] = []
        last_cy, last_h = -1e9, 0.0
        for cy, h, x0, words in sorted(rows):
            if lines and abs(cy - last_cy) <= max(h, last_h) / 2:
                lines[-1].append((x0, words))
            else:
                lines.append([(x0, words)])
                last_cy, last_h = cy, h
        text = "\n".join(" ".join(w for _, ws in sorted(line) for w in ws) for line in lines)
        from mmcurate.scorers.lite.ocr import OcrResult

        return OcrResult(
            words=len(confs),
            text=text,
            area_ratio=min(1.0, area / float(rgb.width * rgb.height)),
            mean_conf=sum(confs) / len(confs) if confs else 0.0,
        )


def _polygon_area(xs: list[float], ys: list[float]) -> float:
    """Shoelace area of a polygon."""
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def main() -> None:
    """Run the comparison and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="Demo data folder (data.jsonl).")
    ap.add_argument("--n", type=int, default=120, help="Demo samples to generate.")
    ap.add_argument("--limit", type=int, default=60, help="Text images measured (at most).")
    ap.add_argument("--det-sides", default="960,640", help="RapidOCR detector long sides.")
    ap.add_argument(
        "--rapid",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Include RapidOCR (needs rapidocr-onnxruntime in the venv).",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from mmcurate.scorers.lite import imagestats
    from mmcurate.scorers.lite.ocr import OcrResult, TesseractOcr, tesseract_version
    from mmcurate.scorers.lite.perception import PerceptionParams, _flatten

    data = args.data
    if data is None:
        from mmcurate.demodata import generate

        data = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
        generate(data, args.n)
    items: list[tuple[str, Any, list[str]]] = []  # (kind, image, ground-truth tokens)
    for line in (data / "data.jsonl").read_text().splitlines():
        rec = json.loads(line)
        demo = rec["meta"]["demo"]
        if demo["kind"] not in TEXT_KINDS or not isinstance(rec.get("image"), str):
            continue
        with Image.open(data / rec["image"]) as im:
            img = _flatten(im)
        items.append((demo["kind"], img, tokens(" ".join(truth_strings(demo)))))
        if len(items) >= args.limit:
            break
    threshold = PerceptionParams.model_fields["text_region_threshold"].default
    fires = sum(
        imagestats.text_regions(imagestats.downscale(img, imagestats.DETECT_SIDE, "L")).ratio
        >= threshold
        for _, img, _ in items
    )

    engines: dict[str, Callable[[Any], OcrResult]] = {
        "tesseract cli (a process per image, pytesseract)": TesseractOcr(engine="cli").read,
        "tesseract api (in process, tesserocr)": TesseractOcr(engine="api").read,
    }
    sides = [int(s) for s in args.det_sides.split(",")] if args.rapid else []
    for side in sides:
        for threads in (1, 2):
            engines[f"rapid det={side} cls=no threads={threads} rec_batch=6"] = RapidOcr(
                det_side=side, threads=threads
            ).read
    if sides:
        engines[f"rapid det={sides[0]} cls=no threads=1 rec_batch=1"] = RapidOcr(
            det_side=sides[0], threads=1, rec_batch=1
        ).read
        engines[f"rapid det={sides[0]} cls=yes threads=1 rec_batch=6"] = RapidOcr(
            det_side=sides[0], use_cls=True, threads=1
        ).read
    # warm-up (model loading, tesseract first start) outside the timings
    for read in engines.values():
        read(items[0][1])

    acc = {name: {"wall": 0.0, "cpu": 0.0, "hits": 0, "words": 0} for name in engines}
    names = list(engines)
    by_kind = {name: {k: [0, 0] for k in TEXT_KINDS} for name in engines}  # hits, truth
    for i, (kind, img, truth) in enumerate(items):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            c0, t0 = _cpu(), time.perf_counter()
            res = engines[name](img)
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            a = acc[name]
            a["wall"] += wall
            a["cpu"] += cpu
            hits = recall_hits(tokens(res.text), truth)
            a["hits"] += hits
            by_kind[name][kind][0] += hits
            by_kind[name][kind][1] += len(truth)
            a["words"] += res.words
    n = len(items)
    n_truth = sum(len(t) for _, _, t in items)
    rapid = rapidocr_version() if args.rapid else "RapidOCR not run (--no-rapid)"
    print(f"tesseract cli {tesseract_version('cli')}, api {tesseract_version('api')}; {rapid}")
    print(
        f"{n} text images ({', '.join(TEXT_KINDS)}) from {data}; text-region detector fires on "
        f"{fires}; {n_truth} ground-truth words"
    )
    print()
    base = acc[names[0]]
    print(
        "| engine | wall s/img | CPU s/img | speed-up (wall) | speed-up (CPU) | "
        "word recall % | words found |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        a = acc[name]
        print(
            f"| {name} | {a['wall'] / n:.3f} | {a['cpu'] / n:.3f} | "
            f"{base['wall'] / a['wall']:.1f}x | {base['cpu'] / max(a['cpu'], 1e-9):.1f}x | "
            f"{100 * a['hits'] / n_truth:.1f} | {int(a['words'])} |"
        )
    print()
    print("| engine | " + " | ".join(f"recall % {k} (images)" for k in TEXT_KINDS) + " |")
    print("|---|" + "---:|" * len(TEXT_KINDS))
    counts = Counter(kind for kind, _, _ in items)
    for name in names:
        cells = [f"{100 * h / max(t, 1):.1f} ({counts[k]})" for k, (h, t) in by_kind[name].items()]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

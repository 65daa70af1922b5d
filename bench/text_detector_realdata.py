"""Text-region detector vs OCR on real images: how often it sends a picture to OCR for nothing
(no word read), and how often it skips a picture OCR would have read words in.

Reads every image under ``../shared/data/realdata/images`` (OwlEval, LLaMA-Factory and
Data-Juicer demo images; not shipped with mmcurate), runs the detector, and runs Tesseract on
every image (``ocr: always``) to know which ones carry readable text (>= 1 word at
confidence >= 50). Prints the confusion counts, the OCR runs the gate saves and the CPU time
of both.

Usage (repo root)::

    .venv/bin/python bench/text_detector_realdata.py
    .venv/bin/python bench/text_detector_realdata.py --images DIR --threshold 0.004 -v
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "realdata" / "images"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    """Print the detector's confusion table on the real images."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=Path, default=DEFAULT, help="Folder of images (recursive).")
    ap.add_argument("--threshold", type=float, default=None, help="Default: the op's default.")
    ap.add_argument("-v", "--verbose", action="store_true", help="One line per image.")
    args = ap.parse_args()
    if not args.images.is_dir():
        sys.exit(f"{args.images} not found (the real images live in ../shared, not in mmcurate)")
    sys.path.insert(0, str(ROOT))
    from mmcurate.scorers.lite import imagestats
    from mmcurate.scorers.lite.ocr import TesseractOcr, tesseract_version
    from mmcurate.scorers.lite.perception import PerceptionParams, _flatten

    threshold = args.threshold
    if threshold is None:
        threshold = PerceptionParams.model_fields["text_region_threshold"].default
    ocr = TesseractOcr()
    counts = {"fires+words": 0, "fires+none": 0, "quiet+words": 0, "quiet+none": 0}
    detect_s = ocr_fired_s = ocr_all_s = 0.0
    n = 0
    for path in sorted(p for p in args.images.rglob("*") if p.is_file()):
        try:
            with Image.open(path) as im:
                img = _flatten(im)
        except OSError:
            continue
        n += 1
        c0 = _cpu()
        gray = imagestats.downscale(img, imagestats.DETECT_SIDE, "L")
        ratio = imagestats.text_regions(gray).ratio
        detect_s += _cpu() - c0
        c0 = _cpu()
        res = ocr.read(img)
        cost = _cpu() - c0
        ocr_all_s += cost
        fires = ratio >= threshold
        if fires:
            ocr_fired_s += cost
        key = ("fires" if fires else "quiet") + ("+words" if res.words else "+none")
        counts[key] += 1
        if args.verbose:
            text = res.text[:50].replace("\n", " | ")
            print(f"{key:12s} ratio={ratio:.4f} words={res.words:3d} {path.name}: {text}")
    with_text = counts["fires+words"] + counts["quiet+words"]
    fired = counts["fires+words"] + counts["fires+none"]
    print(f"tesseract {tesseract_version()} ({ocr.engine}); threshold {threshold}; {n} images")
    print()
    print("| | OCR reads words | OCR reads nothing |")
    print("| --- | ---: | ---: |")
    print(f"| detector fires | {counts['fires+words']} | {counts['fires+none']} |")
    print(f"| detector quiet | {counts['quiet+words']} | {counts['quiet+none']} |")
    print()
    print(
        f"recall (images with words the gate sends to OCR): {counts['fires+words']}/{with_text}; "
        f"precision: {counts['fires+words']}/{fired}; OCR runs {fired} instead of {n} "
        f"({100 * (1 - fired / max(1, n)):.0f}% saved)"
    )
    print(
        f"CPU: detector {1000 * detect_s / max(1, n):.1f} ms/image; OCR on fired images "
        f"{ocr_fired_s:.1f} s vs on every image {ocr_all_s:.1f} s"
    )


if __name__ == "__main__":
    main()

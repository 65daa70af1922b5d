"""Tesseract OCR on rendered text (real tesseract; no mocks)."""

from __future__ import annotations

from PIL import Image

from mmcurate.scorers.lite.ocr import TesseractOcr, tesseract_version
from tests.scorers.conftest import needs_tesseract, render_lines

pytestmark = needs_tesseract

LINES = [
    "Quarterly report for the northern region",
    "Revenue grew by 12 percent to 4.5 million",
    "Visitors: 12,480 in March and 9,310 in April",
]


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(read: str, truth: str) -> float:
    """Character error rate with whitespace normalised."""
    norm_read, norm_truth = " ".join(read.split()), " ".join(truth.split())
    return levenshtein(norm_read, norm_truth) / len(norm_truth)


def test_reads_rendered_text_with_low_character_error() -> None:
    res = TesseractOcr().read(render_lines(LINES))
    assert cer(res.text, "\n".join(LINES)) <= 0.03, res.text
    assert res.words == sum(len(line.split()) for line in LINES)
    assert res.text.count("\n") == len(LINES) - 1  # one output line per text line
    assert 0.05 < res.area_ratio < 0.6
    assert res.mean_conf > 80


def test_small_and_large_fonts() -> None:
    for size in (14, 40):
        res = TesseractOcr().read(render_lines(["SPEED LIMIT 30", "SCHOOL ZONE"], size=size))
        assert cer(res.text, "SPEED LIMIT 30\nSCHOOL ZONE") <= 0.05, (size, res.text)


def test_blank_image_reads_nothing() -> None:
    res = TesseractOcr().read(Image.new("RGB", (300, 200), "white"))
    assert (res.words, res.text, res.area_ratio, res.mean_conf) == (0, "", 0.0, 0.0)


def test_large_images_are_downscaled_first() -> None:
    big = render_lines(LINES, size=60, width=2400)
    res = TesseractOcr(max_side=1200).read(big)
    assert cer(res.text, "\n".join(LINES)) <= 0.05


def test_signature_names_version_and_settings() -> None:
    sig = TesseractOcr(lang="eng", psm=11).signature
    assert tesseract_version() in sig and "psm=11" in sig and "lang=eng" in sig

"""Tesseract OCR on rendered text (real tesseract, both engines; no mocks)."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from mmcurate.errors import MissingDependencyError
from mmcurate.scorers.lite import ocr as ocr_mod
from mmcurate.scorers.lite.ocr import TesseractOcr, tessdata_dir, tesseract_version
from tests.scorers.conftest import needs_tesseract, render_lines

pytestmark = needs_tesseract

ENGINES = [
    "cli",
    pytest.param(
        "api",
        marks=pytest.mark.skipif(
            ocr_mod._tesserocr() is None, reason="tesserocr (the `ocr` extra) is not installed"
        ),
    ),
]

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


@pytest.mark.parametrize("engine", ENGINES)
def test_reads_rendered_text_with_low_character_error(engine: str) -> None:
    res = TesseractOcr(engine=engine).read(render_lines(LINES))  # type: ignore[arg-type]
    assert cer(res.text, "\n".join(LINES)) <= 0.03, res.text
    assert res.words == sum(len(line.split()) for line in LINES)
    assert res.text.count("\n") == len(LINES) - 1  # one output line per text line
    assert 0.05 < res.area_ratio < 0.6
    assert res.mean_conf > 80


@pytest.mark.parametrize("engine", ENGINES)
def test_small_and_large_fonts(engine: str) -> None:
    for size in (14, 40):
        res = TesseractOcr(engine=engine).read(  # type: ignore[arg-type]
            render_lines(["SPEED LIMIT 30", "SCHOOL ZONE"], size=size)
        )
        assert cer(res.text, "SPEED LIMIT 30\nSCHOOL ZONE") <= 0.05, (size, res.text)


@pytest.mark.parametrize("engine", ENGINES)
def test_blank_image_reads_nothing(engine: str) -> None:
    res = TesseractOcr(engine=engine).read(  # type: ignore[arg-type]
        Image.new("RGB", (300, 200), "white")
    )
    assert (res.words, res.text, res.area_ratio, res.mean_conf) == (0, "", 0.0, 0.0)


def test_large_images_are_downscaled_first() -> None:
    big = render_lines(LINES, size=60, width=2400)
    res = TesseractOcr(max_side=1200).read(big)
    assert cer(res.text, "\n".join(LINES)) <= 0.05


@pytest.mark.parametrize("engine", ENGINES)
def test_signature_names_version_engine_and_settings(engine: str) -> None:
    sig = TesseractOcr(lang="eng", psm=11, engine=engine).signature  # type: ignore[arg-type]
    assert tesseract_version(engine) in sig  # type: ignore[arg-type]
    assert f"({engine})" in sig and "psm=11" in sig and "lang=eng" in sig


@pytest.mark.parametrize("engine", ENGINES)
def test_threads_share_one_reader(engine: str) -> None:
    """Perception threads call one TesseractOcr concurrently (per-thread engine state)."""
    reader = TesseractOcr(engine=engine)  # type: ignore[arg-type]
    texts = [["ALPHA BRAVO"], ["CHARLIE DELTA"], ["ECHO FOXTROT"], ["GOLF HOTEL"]]
    out: dict[int, str] = {}

    def work(i: int) -> None:
        out[i] = reader.read(render_lines(texts[i], size=32)).text

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [out[i] for i in range(len(texts))] == [t[0] for t in texts]


def test_engines_read_the_same_words() -> None:
    if ocr_mod._tesserocr() is None:
        pytest.skip("tesserocr (the `ocr` extra) is not installed")
    img = render_lines(LINES)
    api, cli = TesseractOcr(engine="api").read(img), TesseractOcr(engine="cli").read(img)
    assert api.text.split() == cli.text.split()
    assert api.words == cli.words
    assert abs(api.area_ratio - cli.area_ratio) < 0.02


def test_missing_language_data_is_a_clear_error() -> None:
    with pytest.raises(MissingDependencyError, match="language data for 'xx_none'"):
        tessdata_dir("xx_none")
    assert tessdata_dir("eng").endswith("/")


def test_api_engine_without_tesserocr_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr_mod, "_tesserocr", lambda: None)
    ocr_mod.resolve_engine.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="tesserocr is not installed"):
            TesseractOcr(engine="api")
        assert TesseractOcr(engine="auto").engine == "cli"
    finally:
        ocr_mod.resolve_engine.cache_clear()

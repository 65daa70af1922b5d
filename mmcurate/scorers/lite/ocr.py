"""OCR with Tesseract (``pytesseract``; the ``ocr`` extra plus the ``tesseract`` binary).

:class:`TesseractOcr` reads an image's words with their boxes and confidences
(``image_to_data``) and keeps words with confidence >= ``min_conf`` that contain a letter or
a digit. The result gives the word count, the text (Tesseract's lines, in reading order) and
the text area ratio (the kept words' box area over the image area).

Rendered text at 10-40 px letter height reads with about 1% character error; a call costs
roughly 0.1 s plus 0.1-0.2 s per line of text on one core, which is why lite perception runs
it only on images where the text-region detector fires, and caches the result.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

from mmcurate.errors import MissingDependencyError

_HAS_ALNUM = re.compile(r"[^\W_]")
OCR_HINT = (
    "OCR needs the `ocr` extra and the tesseract binary: pip install 'mmcurate[ocr]' and "
    "apt-get install tesseract-ocr (or run lite perception with ocr: never)"
)


@dataclass(frozen=True)
class OcrResult:
    """Words Tesseract read in one image.

    Attributes:
        words: Number of kept words.
        text: The kept words, space-joined per line, lines joined by newlines.
        area_ratio: Kept words' box area over the image area (0-1).
        mean_conf: Mean confidence (0-100) of the kept words; 0 without words.
    """

    words: int
    text: str
    area_ratio: float
    mean_conf: float


def _pytesseract() -> Any:
    try:
        import pytesseract
    except ImportError as err:
        raise MissingDependencyError(f"pytesseract is not installed. {OCR_HINT}") from err
    return pytesseract


@functools.cache
def tesseract_version() -> str:
    """The tesseract binary's version.

    Raises:
        MissingDependencyError: pytesseract or the tesseract binary is missing.
    """
    pt = _pytesseract()
    try:
        return str(pt.get_tesseract_version())
    except pt.TesseractNotFoundError as err:
        raise MissingDependencyError(f"the tesseract binary was not found. {OCR_HINT}") from err


class TesseractOcr:
    """Tesseract word reader.

    Args:
        lang: Tesseract language(s), e.g. ``"eng"`` or ``"eng+deu"``.
        psm: Page segmentation mode (3: automatic, 11: sparse text).
        min_conf: Minimum word confidence (0-100) to keep a word.
        max_side: Images whose long side is larger are downscaled to it first (speed).
        timeout: Seconds before one call is abandoned (an error for that image).
    """

    def __init__(
        self,
        lang: str = "eng",
        psm: int = 3,
        min_conf: float = 50.0,
        max_side: int = 2000,
        timeout: float = 60.0,
    ) -> None:
        self.lang = lang
        self.psm = psm
        self.min_conf = min_conf
        self.max_side = max_side
        self.timeout = timeout

    @property
    def signature(self) -> str:
        """Everything that changes a result (part of cache keys)."""
        return (
            f"tesseract {tesseract_version()} lang={self.lang} psm={self.psm} "
            f"conf={self.min_conf} side={self.max_side}"
        )

    def read(self, img: Image.Image) -> OcrResult:
        """OCR one image.

        Raises:
            MissingDependencyError: pytesseract or the tesseract binary is missing.
            RuntimeError: tesseract failed or timed out on this image.
        """
        pt = _pytesseract()
        gray = img.convert("L")
        scale = self.max_side / max(gray.size)
        if scale < 1:
            gray = gray.resize(
                (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                Image.Resampling.LANCZOS,
            )
        # One OpenMP thread per tesseract process: the runner's workers and the perception
        # threads already keep the cores busy. Set for the subprocess only (pytesseract
        # passes its module-level ``environ``): OMP_THREAD_LIMIT in this process would
        # break torch's OpenMP kernels if torch initialises after it.
        pt.pytesseract.environ = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            data = pt.image_to_data(
                gray,
                lang=self.lang,
                config=f"--oem 1 --psm {self.psm}",
                output_type=pt.Output.DICT,
                timeout=self.timeout,
            )
        except pt.TesseractNotFoundError as err:
            raise MissingDependencyError(f"the tesseract binary was not found. {OCR_HINT}") from err
        except (pt.TesseractError, RuntimeError) as err:
            raise RuntimeError(f"tesseract failed: {err}") from err
        lines: dict[tuple[int, int, int, int], list[str]] = {}
        area = 0
        confs: list[float] = []
        for i, word in enumerate(data["text"]):
            word = (word or "").strip()
            conf = float(data["conf"][i])
            if not word or conf < self.min_conf or not _HAS_ALNUM.search(word):
                continue
            key = (
                int(data["page_num"][i]),
                int(data["block_num"][i]),
                int(data["par_num"][i]),
                int(data["line_num"][i]),
            )
            lines.setdefault(key, []).append(word)
            area += int(data["width"][i]) * int(data["height"][i])
            confs.append(conf)
        text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
        return OcrResult(
            words=len(confs),
            text=text,
            area_ratio=min(1.0, area / float(gray.width * gray.height)),
            mean_conf=sum(confs) / len(confs) if confs else 0.0,
        )

"""OCR with Tesseract: in process through ``tesserocr``, or the ``tesseract`` binary through
``pytesseract`` (both in the ``ocr`` extra; the language data comes from the system's
``tesseract-ocr-<lang>`` package).

:class:`TesseractOcr` reads an image's words with their boxes and confidences (Tesseract's
TSV output, the same from both engines) and keeps words with confidence >= ``min_conf`` that
contain a letter or a digit. The result gives the word count, the text (Tesseract's lines,
in reading order) and the text area ratio (the kept words' box area over the image area).

Engines (``engine``):

- ``api``: ``tesserocr``'s in-process API (its wheel bundles libtesseract 5.5). One API
  object per thread keeps the language model loaded between images, and recognition
  releases the GIL, so perception threads OCR in parallel. On the demo text images it costs
  ~0.07 s CPU per image against ~0.25 s for ``cli`` (bench/ocr_engines.py), with the same
  word recall: most of ``cli``'s cost is starting a process and loading the model per image.
- ``cli``: one ``tesseract`` subprocess per image (``pytesseract``), for machines where
  ``tesserocr`` is not installed.
- ``auto`` (default): ``api`` when ``tesserocr`` imports, else ``cli``.

Rendered text at 10-40 px letter height reads with about 1% character error. Lite
perception runs OCR only on images where the text-region detector fires, and caches the
result; the engine and its version are part of the cache key.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from mmcurate.errors import MissingDependencyError

OcrEngine = Literal["auto", "api", "cli"]

_HAS_ALNUM = re.compile(r"[^\W_]")
OCR_HINT = (
    "OCR needs the `ocr` extra and Tesseract's language data: pip install 'mmcurate[ocr]' "
    "and apt-get install tesseract-ocr (or run lite perception with ocr: never)"
)
#: Where distributions put Tesseract's ``*.traineddata`` (searched after TESSDATA_PREFIX
#: and the tesseract binary's own answer).
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
    "/usr/local/share/tesseract-ocr/tessdata",
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


def _tesserocr() -> Any | None:
    try:
        import tesserocr
    except ImportError:
        return None
    return tesserocr


@functools.cache
def resolve_engine(engine: OcrEngine = "auto") -> Literal["api", "cli"]:
    """The engine ``engine`` stands for on this machine.

    Raises:
        MissingDependencyError: ``api`` without ``tesserocr``.
    """
    if engine == "cli":
        return "cli"
    if _tesserocr() is not None:
        return "api"
    if engine == "api":
        raise MissingDependencyError(f"tesserocr is not installed. {OCR_HINT}")
    return "cli"


@functools.cache
def tessdata_dir(lang: str = "eng") -> str:
    """The folder holding ``<lang>.traineddata`` for every language in ``lang`` ("eng+deu").

    Looks in ``$TESSDATA_PREFIX`` (and its ``tessdata/``), where the ``tesseract`` binary
    says its languages are, then :data:`TESSDATA_DIRS`.

    Raises:
        MissingDependencyError: no such folder.
    """
    names = [part for part in lang.split("+") if part]
    candidates: list[str] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [prefix, os.path.join(prefix, "tessdata")]
    binary = shutil.which("tesseract")
    if binary:
        try:
            out = subprocess.run(
                [binary, "--list-langs"], capture_output=True, text=True, timeout=30
            )
            # first line: List of available languages in "/usr/share/.../tessdata/" (N):
            found = re.search(r'"([^"]+)"', out.stdout + out.stderr)
            if found:
                candidates.append(found.group(1))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += TESSDATA_DIRS
    for folder in candidates:
        if all(Path(folder, f"{name}.traineddata").is_file() for name in names):
            return str(Path(folder)) + os.sep
    raise MissingDependencyError(
        f"Tesseract language data for {lang!r} was not found (looked in "
        f"{', '.join(dict.fromkeys(candidates))}; set TESSDATA_PREFIX). {OCR_HINT}"
    )


@functools.cache
def tesseract_version(engine: OcrEngine = "auto") -> str:
    """The version of the Tesseract that ``engine`` runs.

    Raises:
        MissingDependencyError: the engine (tesserocr, or pytesseract and the tesseract
            binary) is missing.
    """
    if resolve_engine(engine) == "api":
        tesserocr = _tesserocr()
        assert tesserocr is not None
        first = str(tesserocr.tesseract_version()).split("\n", 1)[0]  # "tesseract 5.5.4"
        return first.removeprefix("tesseract").strip()
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
        engine: ``auto``, ``api`` (tesserocr, in process) or ``cli`` (a tesseract process
            per image); see the module docstring.
    """

    def __init__(
        self,
        lang: str = "eng",
        psm: int = 3,
        min_conf: float = 50.0,
        max_side: int = 2000,
        timeout: float = 60.0,
        engine: OcrEngine = "auto",
    ) -> None:
        self.lang = lang
        self.psm = psm
        self.min_conf = min_conf
        self.max_side = max_side
        self.timeout = timeout
        self.engine = resolve_engine(engine)
        self._local = threading.local()

    @property
    def signature(self) -> str:
        """Everything that changes a result (part of cache keys)."""
        return (
            f"tesseract {tesseract_version(self.engine)} ({self.engine}) lang={self.lang} "
            f"psm={self.psm} conf={self.min_conf} side={self.max_side}"
        )

    def check(self) -> None:
        """Fail now, not on the first text image, when the engine or the language data is
        missing.

        Raises:
            MissingDependencyError: naming what to install.
        """
        tesseract_version(self.engine)
        if self.engine == "api":
            tessdata_dir(self.lang)

    def read(self, img: Image.Image) -> OcrResult:
        """OCR one image (thread-safe: each thread gets its own engine state).

        Raises:
            MissingDependencyError: the engine or the language data is missing.
            RuntimeError: tesseract failed or timed out on this image.
        """
        gray = img.convert("L")
        scale = self.max_side / max(gray.size)
        if scale < 1:
            gray = gray.resize(
                (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                Image.Resampling.LANCZOS,
            )
        tsv = self._tsv_api(gray) if self.engine == "api" else self._tsv_cli(gray)
        return self._parse(tsv, gray.width * gray.height)

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            tesserocr = _tesserocr()
            assert tesserocr is not None
            try:
                api = tesserocr.PyTessBaseAPI(
                    path=tessdata_dir(self.lang),
                    lang=self.lang,
                    psm=self.psm,
                    oem=tesserocr.OEM.LSTM_ONLY,
                )
            except RuntimeError as err:
                raise MissingDependencyError(
                    f"tesserocr could not load {self.lang!r}: {err}. {OCR_HINT}"
                ) from err
            self._local.api = api
        return api

    def _tsv_api(self, gray: Image.Image) -> str:
        api = self._api()
        api.SetImage(gray)
        if not api.Recognize(timeout=max(1, round(self.timeout * 1000))):
            api.Clear()
            raise RuntimeError(f"tesseract failed or timed out after {self.timeout:g} s")
        tsv = str(api.GetTSVText(0))
        api.Clear()
        return tsv

    def _tsv_cli(self, gray: Image.Image) -> str:
        pt = _pytesseract()
        # One OpenMP thread per tesseract process: the runner's workers and the perception
        # threads already keep the cores busy. Set for the subprocess only (pytesseract
        # passes its module-level ``environ``): OMP_THREAD_LIMIT in this process would
        # break torch's OpenMP kernels if torch initialises after it.
        pt.pytesseract.environ = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            return str(
                pt.image_to_data(
                    gray,
                    lang=self.lang,
                    config=f"--oem 1 --psm {self.psm}",
                    timeout=self.timeout,
                )
            )
        except pt.TesseractNotFoundError as err:
            raise MissingDependencyError(f"the tesseract binary was not found. {OCR_HINT}") from err
        except (pt.TesseractError, RuntimeError) as err:
            raise RuntimeError(f"tesseract failed: {err}") from err

    def _parse(self, tsv: str, pixels: int) -> OcrResult:
        """Kept words of Tesseract's TSV (``level page block par line word left top width
        height conf text``; the CLI's has a header line)."""
        lines: dict[tuple[int, int, int, int], list[str]] = {}
        area = 0
        confs: list[float] = []
        for row in tsv.splitlines():
            cols = row.split("\t")
            if len(cols) < 12 or cols[0] != "5":  # word rows only (level 5); skips header
                continue
            word = cols[11].strip()
            conf = float(cols[10])
            if not word or conf < self.min_conf or not _HAS_ALNUM.search(word):
                continue
            key = (int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4]))
            lines.setdefault(key, []).append(word)
            area += int(cols[8]) * int(cols[9])
            confs.append(conf)
        text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
        return OcrResult(
            words=len(confs),
            text=text,
            area_ratio=min(1.0, area / float(max(1, pixels))),
            mean_conf=sum(confs) / len(confs) if confs else 0.0,
        )

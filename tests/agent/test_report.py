"""report.html renders in real headless Chromium: screenshot size and non-blank content."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing (Debian package `chromium`; scripts/setup_system.sh)")
        pytest.skip("chromium is not installed (Debian package `chromium`)")
    return exe


def test_report_is_self_contained(finished: dict[str, Any]) -> None:
    html = (finished["out"] / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3  # capability, style, score plots
    assert html.count("data:image/jpeg;base64,") >= 1  # sample thumbnails
    assert "Accounting" in html and "balanced" in html and "score_filter" in html
    assert not re.search(r"""(src|href)=['"](?!data:)""", html)  # nothing loaded from outside


def test_report_renders_in_headless_chromium(finished: dict[str, Any], tmp_path: Path) -> None:
    exe = _chromium()
    shot = tmp_path / "report.png"
    report = (finished["out"] / "report.html").resolve()
    proc = subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--screenshot={shot}", "--window-size=1280,2000",
         f"--user-data-dir={tmp_path / 'profile'}", report.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert shot.is_file(), proc.stderr[-2000:]
    assert shot.stat().st_size > 20_000
    img = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert img.shape == (2000, 1280)
    assert img.std() > 10  # not blank: text, plots and thumbnails
    assert (img < 128).mean() > 0.01  # some dark pixels (text, bars)

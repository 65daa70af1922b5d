"""Fixtures for the io tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.io.util import make_media


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A dataset folder holding real images and stand-in video/audio files."""
    return make_media(tmp_path / "data")


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """A cache folder for Arrow files and extracted media."""
    return tmp_path / "cache"

"""The registered format names."""

from __future__ import annotations

from mmcurate.io import FORMATS, WRITABLE_FORMATS
from mmcurate.io.formats import CODECS, valid_formats


def test_names() -> None:
    assert FORMATS == ("llava", "sharegpt", "messages", "dj", "hf", "parquet", "folder")
    assert WRITABLE_FORMATS == ("llava", "sharegpt", "messages", "dj", "hf", "parquet")
    assert set(CODECS) == {"llava", "sharegpt", "messages", "dj"}
    assert all(codec.name == name for name, codec in CODECS.items())
    assert valid_formats().endswith("folder")
    assert valid_formats(writable=True).startswith("valid --format values for writing: llava")

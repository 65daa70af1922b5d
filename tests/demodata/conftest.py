"""One n=300 demo dataset shared by the tests of this package (built once per session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest

from mmcurate.demodata import generate
from tests.demodata.util import read_jsonl


class Demo(NamedTuple):
    root: Path
    rows: list[dict[str, Any]]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("demo")
    path = generate(root, n=300, seed=0, videos=6)
    assert path == root / "data.jsonl"
    return Demo(root, read_jsonl(path))

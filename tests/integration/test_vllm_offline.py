"""The ``vllm-offline`` backend for real: ``vllm.LLM`` in the vLLM venv with the tiny model.

vLLM lives in its own venv (.venv-vllm, which also has mmcurate installed), so the backend
runs in a subprocess of that interpreter (tests/integration/offline_worker.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import SERVER_ENV, VLLM_PYTHON, require_vllm_venv
from tests.tiny_vlm import REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def test_vllm_llm_batch_generation_validates_and_caches(
    tiny_vlm: Path, image_file: Path, tmp_path: Path
) -> None:
    require_vllm_venv()
    out = subprocess.run(
        [str(VLLM_PYTHON), "-m", "tests.integration.offline_worker", str(tiny_vlm),
         str(image_file), str(tmp_path / "cache")],
        cwd=REPO, capture_output=True, text=True, timeout=540,
        env={**os.environ, **SERVER_ENV, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-4000:]
    [line] = [ln for ln in out.stdout.splitlines() if ln.startswith('{"first"')]
    result = json.loads(line)
    for r in result["first"]:
        assert r["error"] is None and r["valid"], r
        assert r["backend"] == "vllm-offline" and r["prompt_id"] == "describe_image"
        assert r["prompt_tokens"] > 10 and r["completion_tokens"] > 0
    [free] = result["free"]
    assert free["error"] is None and free["text"]
    assert result["again_cached"] == [True, True, True]
    assert result["cache"] == {"hits": 3, "misses": 4}
    assert result["model_calls"] == 4

"""The agent graph against a REAL vLLM OpenAI server (CPU) serving the tiny random Qwen2.5-VL.

The tiny model's answers are schema-valid (structured outputs) but meaningless: the graph
must clamp them to known names, fall back where they are unusable, stay within
max_iterations, and still write a valid recipe, the selection and the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mmcurate.agent import graph
from mmcurate.agent.context import AgentSettings
from mmcurate.models.server import VllmServer, free_port, server_command
from mmcurate.ops import registry
from mmcurate.recipes import load_recipe
from tests.integration.conftest import SERVER_ENV, VLLM_PYTHON, require_vllm_venv
from tests.tiny_vlm import SERVED_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]


@pytest.fixture(scope="module")
def server_4k(tiny_vlm: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny model with a 4096-token context (the role prompts carry JSON statistics)."""
    require_vllm_venv()
    port = free_port()
    cmd = server_command(
        str(VLLM_PYTHON), str(tiny_vlm), port=port, max_model_len=4096,
        served_model_name=SERVED_NAME,
    )  # fmt: skip
    log = tmp_path_factory.mktemp("vllm-agent") / "server.log"
    server = VllmServer(cmd, host="127.0.0.1", port=port, log_path=log, env=SERVER_ENV)
    server.start()
    try:
        server.wait_healthy(timeout_s=600)
        yield server.url
    finally:
        server.stop()


def test_graph_with_the_tiny_vlm_stays_bounded_and_writes_valid_outputs(
    server_4k: str, tmp_path: Path
) -> None:
    from mmcurate.demodata.generate import generate

    data = generate(tmp_path / "data", n=10, videos=0)
    out = tmp_path / "out"
    settings = AgentSettings(
        data=str(data), out=str(out), budget=4, vlm_url=server_4k, model=SERVED_NAME,
        max_iterations=3, np=1, extract_samples=2, report_samples=4,
        cache_dir=str(tmp_path / "cache"),
    )  # fmt: skip
    result = graph.start(settings, "find diverse OCR-heavy samples")
    assert 1 <= len(result["history"]) <= 3
    roles = [t for t in result["transcript"] if t["role"] != "tool"]
    assert roles and all(f"VLM at {server_4k}" in t["text"] for t in roles)
    recipe_path = Path(result["outputs"]["recipe"])
    recipe = yaml.safe_load(recipe_path.read_text())
    for step in recipe["process"]:
        [(name, params)] = step.items()
        registry.get(name).validate_params(params)
    load_recipe(recipe_path)  # the written file validates as a recipe
    selected = Path(result["outputs"]["selected"]).read_text().splitlines()
    assert len(selected) <= 4
    assert result["result"]["run"]["balanced"]
    assert (out / "report.html").stat().st_size > 10_000
    assert (tmp_path / "cache" / "requests.sqlite").is_file()  # the roles went through models

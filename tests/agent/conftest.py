"""Agent fixtures: one real session (deterministic planner, lite scores) shared by tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def demo_pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 generated demo samples (LLaVA jsonl with images; ground truth in meta.demo)."""
    from mmcurate.demodata.generate import generate

    return generate(tmp_path_factory.mktemp("agent-demo"), n=30, videos=0)


@pytest.fixture(scope="session")
def finished(demo_pool: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A finished session: "find diverse OCR-heavy samples", budget 6."""
    from mmcurate.agent import graph
    from mmcurate.agent.context import AgentSettings

    out = tmp_path_factory.mktemp("agent-out") / "session"
    settings = AgentSettings(
        data=str(demo_pool), out=str(out), budget=6, np=1, extract_samples=3, report_samples=8
    )
    result = graph.start(settings, "find diverse OCR-heavy samples")
    return {"settings": settings, "out": out, "result": result}

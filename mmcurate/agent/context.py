"""The agent's settings: data, output folder, model, prompt ids, bounds.

Settings travel inside the graph state (``state["settings"]``), so a checkpointed session
resumes with exactly the settings it started with (``curate --resume OUT``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Prompt id of each VLM role (``mmcurate/prompts/<id>.v<N>.yaml``, latest version).
PROMPTS: dict[str, str] = {
    "navigator": "agent_navigator",
    "extractor": "agent_extractor",
    "analyzer": "agent_analyzer",
    "visualizer": "agent_visualizer",
}

#: What the deterministic planner says about itself in every answer.
DETERMINISTIC = "deterministic planner (no VLM configured)"

ScoreBackend = Literal["lite", "vlm"]


class AgentSettings(BaseModel):
    """One session's settings.

    Attributes:
        data: The input dataset (file or folder, any readable format).
        out: The output folder: selected data, recipe.yaml, report.html, transcript,
            session.sqlite and the runs' work dirs. The agent writes nowhere else.
        budget: Rows to select (``None``: from the request, else :attr:`default_budget`).
        default_budget: Budget when neither ``--budget`` nor the request gives one.
        vlm_url: An OpenAI-compatible vLLM server: the roles call it through
            :mod:`mmcurate.models` (``None``: the deterministic planner plays them).
        model: Served model name (``None``: the server's only model).
        score_backend: ``lite`` (heuristic scores, CPU, cheap) or ``vlm`` (the VLM scores
            every sample: expensive, asks for confirmation when interactive).
        max_iterations: Upper bound on propose -> run -> analyze rounds.
        np: Worker processes for the runs.
        seed: Seed of every selector (same seed, same selection).
        extract_samples: Samples the extractor looks at.
        report_samples: Samples shown in the report's grid.
        cache_dir: Model request cache (``None``: ``OUT/work/model-cache``).
    """

    model_config = ConfigDict(extra="forbid")

    data: str
    out: str
    budget: int | None = Field(default=None, ge=1)
    default_budget: int = Field(default=100, ge=1)
    vlm_url: str | None = None
    model: str | None = None
    score_backend: ScoreBackend = "lite"
    max_iterations: int = Field(default=4, ge=1, le=20)
    np: int = Field(default=2, ge=1)
    seed: int = 0
    extract_samples: int = Field(default=6, ge=0, le=64)
    report_samples: int = Field(default=24, ge=0, le=200)
    cache_dir: str | None = None

    @property
    def out_dir(self) -> Path:
        """The output folder as a path."""
        return Path(self.out)

    @property
    def work_dir(self) -> Path:
        """Where the agent's runs keep their work dirs (inside :attr:`out_dir`)."""
        return Path(self.out) / "work"

    @property
    def uses_vlm(self) -> bool:
        """Whether the roles call a VLM server."""
        return self.vlm_url is not None

"""``curate boost`` configuration (one YAML file, validated before any work starts).

Example (the CPU test configuration; docs/boost.md has the GPU one)::

    pool: data/pool.jsonl
    heldout: qa/qa.jsonl
    base_model: .cache/tiny-qwen2.5-vl-XXXX
    rounds: 2
    scorer: {round0: base}
    selector: {method: mmssr, budget: 8}
    trainer: {kind: lora, lora: {max_steps: 4}}
    serve: {mode: transformers}
    model: {device: cpu}
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmcurate.errors import ConfigError
from mmcurate.train.external import ExternalParams
from mmcurate.train.lora import LoraParams


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScorerConfig(_Strict):
    """How the pool is scored each round.

    Attributes:
        round0: Scorer of round 0: ``base`` (the base model through the VLM scorer ops) or
            ``heuristic`` (lite perception + heuristics, no model). Later rounds always
            use the base model with the previous round's adapter.
        mode: VLM scoring mode (``one_pass``: all capabilities in one request).
        capabilities: Capability keys to score (``None``: all 14).
        styler: ``vlm`` (the ``vlm_styler`` op with the same model) or ``rules`` (the
            ``rule_styler`` op, no model: styles do not change between rounds).
        max_text_chars: Conversation characters shown to the scorer.
        np: Scoring worker processes (each loads the model: keep 1 on one GPU).
    """

    round0: Literal["base", "heuristic"] = "base"
    mode: Literal["one_pass", "per_capability"] = "one_pass"
    capabilities: list[str] | None = None
    styler: Literal["vlm", "rules"] = "vlm"
    max_text_chars: int = Field(default=4000, ge=200)
    np: int = Field(default=1, ge=1)


class SelectorConfig(_Strict):
    """The selector run on the scored pool each round.

    Attributes:
        method: A selection method (``mmssr``, ``topk``, ``random``, ...; see
            ``curate select --help``).
        budget: Rows (``8``), a ratio (``"10%"``) or tokens (``"2M tokens"``).
        params: Other parameters of ``<method>_selector``.
    """

    method: str = "mmssr"
    budget: int | str = 1000
    params: dict[str, Any] = Field(default_factory=dict)


class TrainerConfig(_Strict):
    """The training step.

    Attributes:
        kind: ``lora`` (built in: transformers + peft) or ``external`` (a command).
        lora: Built-in trainer settings.
        external: External trainer command and settings (needed for ``kind: external``).
    """

    kind: Literal["lora", "external"] = "lora"
    lora: LoraParams = Field(default_factory=LoraParams)
    external: ExternalParams | None = None

    @model_validator(mode="after")
    def _external_needs_command(self) -> TrainerConfig:
        if self.kind == "external" and self.external is None:
            raise ValueError("trainer.kind 'external' needs trainer.external.command")
        return self


class ServeConfig(_Strict):
    """How the model of a round is served for scoring and evaluation.

    Attributes:
        mode: ``transformers`` (in process: base + adapter through peft) or ``vllm``
            (``vllm serve BASE --enable-lora --lora-modules round_k-<digest>=ADAPTER``, then
            the ``vllm-server`` backend with that LoRA name as the model).
        python: Python of the environment that has vLLM (default: found like
            ``curate serve`` does).
        max_model_len: vLLM ``--max-model-len``.
        gpu_memory_utilization: vLLM ``--gpu-memory-utilization``.
        max_lora_rank: vLLM ``--max-lora-rank`` (at least the trained rank).
        extra_args: More vLLM arguments.
        env: Extra environment for the server (e.g. ``VLLM_CPU_KVCACHE_SPACE``).
        startup_timeout_s: Seconds to wait for ``/health``.
    """

    mode: Literal["transformers", "vllm"] = "transformers"
    python: str | None = None
    max_model_len: int | None = Field(default=None, ge=16)
    gpu_memory_utilization: float | None = Field(default=None, gt=0, le=1)
    max_lora_rank: int = Field(default=16, ge=1)
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    startup_timeout_s: float = Field(default=900.0, gt=0)


class JudgeConfig(_Strict):
    """A judge model for open QA items (any backend of the model interface)."""

    backend: Literal["vllm-server", "transformers", "vllm-offline"] = "vllm-server"
    url: str | None = None
    model: str | None = None


class EvalConfig(_Strict):
    """Evaluation settings.

    Attributes:
        metric: The report field the loop follows (``accuracy``, ``mc_accuracy``,
            ``exact_match``, ``judge_accuracy``).
        judge: Judge model for open items (``None``: normalised exact match).
        max_tokens: Generated-token bound of open answers.
        baseline: Evaluate the base model once before round 0 (it counts as the first
            value the rounds must improve on).
    """

    metric: Literal["accuracy", "mc_accuracy", "exact_match", "judge_accuracy"] = "accuracy"
    judge: JudgeConfig | None = None
    max_tokens: int = Field(default=32, ge=1)
    baseline: bool = True


class ModelSettings(_Strict):
    """In-process model settings (transformers backend) for scoring and evaluation."""

    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = Field(default=4, ge=1)
    cache: bool = True


class BoostConfig(_Strict):
    """The whole ``curate boost`` configuration.

    Attributes:
        pool: The training pool (any readable dataset; media next to it).
        heldout: Held-out QA jsonl (``mmcurate.eval.qa``); relative media paths resolve
            against its folder. Make one with ``curate eval make-heldout``.
        base_model: The base model (local folder or hub id; Qwen2-VL / Qwen2.5-VL).
        rounds: Round budget.
        patience: Stop after this many rounds without an improvement of ``min_delta``.
        min_delta: Smallest metric gain that counts as an improvement.
        scorer: Scoring settings.
        selector: Selection settings.
        trainer: Training settings.
        serve: Serving settings.
        eval: Evaluation settings.
        model: In-process model settings.
    """

    pool: Path
    heldout: Path
    base_model: str
    rounds: int = Field(default=3, ge=1)
    patience: int = Field(default=1, ge=1)
    min_delta: float = Field(default=0.0, ge=0)
    scorer: ScorerConfig = Field(default_factory=ScorerConfig)
    selector: SelectorConfig = Field(default_factory=SelectorConfig)
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    model: ModelSettings = Field(default_factory=ModelSettings)

    def fingerprint(self) -> str:
        """Hash of everything that changes a round's results (the stopping rule and the
        round budget excluded, so ``--resume`` may extend a finished loop)."""
        data = self.model_dump(mode="json", exclude={"rounds", "patience", "min_delta"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def load_boost_config(path: Path) -> BoostConfig:
    """Read and validate a boost YAML; relative paths resolve against its folder.

    Raises:
        ConfigError: Missing file, bad YAML, or invalid keys/values (each named).
    """
    if not path.is_file():
        raise ConfigError(f"boost config not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_boost_config(raw, base_dir=path.parent, source=str(path))


def parse_boost_config(
    raw: dict[str, Any], base_dir: Path = Path("."), source: str = "config"
) -> BoostConfig:
    """Validate a config mapping (see :func:`load_boost_config`).

    Raises:
        ConfigError: Invalid keys or values (each named, with the valid choices), or a
            pool / held-out file that does not exist.
    """
    try:
        cfg = BoostConfig.model_validate(raw)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(map(str, e["loc"])) or "config"
            problems.append(f"{loc}: {e['msg']}")
        raise ConfigError(f"{source}: invalid boost config: " + "; ".join(problems)) from err
    updates: dict[str, Any] = {}
    for key in ("pool", "heldout"):
        p = getattr(cfg, key)
        if not p.is_absolute():
            p = (base_dir / p).resolve()
        if not p.exists():
            raise ConfigError(f"{source}: {key} not found: {p}")
        updates[key] = p
    base = Path(cfg.base_model)
    if not base.is_absolute() and (base_dir / base).exists():
        updates["base_model"] = str((base_dir / base).resolve())
    return cfg.model_copy(update=updates)

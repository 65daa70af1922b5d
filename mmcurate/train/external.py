"""Hook for an external trainer (LLaMA-Factory, ms-swift, your own script).

The command is user configuration: a list of arguments run with :func:`subprocess.run`
(no shell), where these placeholders are replaced in each argument:

==================  ===============================================================
``{data}``          the exported ShareGPT file (``train.json``)
``{data_dir}``      its folder (holds LLaMA-Factory's ``dataset_info.json``)
``{dataset}``       the dataset name in ``dataset_info.json``
``{output_dir}``    where the trainer must write the adapter
``{base_model}``    the base model path or hub id
``{config}``        a LLaMA-Factory LoRA SFT config written for this run
                    (:func:`llamafactory_config`; ``llamafactory_args`` adds keys)
==================  ===============================================================

Example (LLaMA-Factory)::

    command: [llamafactory-cli, train, "{config}"]

Example (ms-swift)::

    command: [swift, sft, --model, "{base_model}", --train_type, lora,
              --dataset, "{data}", --output_dir, "{output_dir}"]

After the command exits 0, the adapter is the newest folder under ``{output_dir}`` (itself
included) holding ``adapter_config.json``; the trainer's output goes to
``{output_dir}/trainer.log``.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from mmcurate.errors import ConfigError, MmcurateError
from mmcurate.train.lora import TrainResult

PLACEHOLDERS = ("data", "data_dir", "dataset", "output_dir", "base_model", "config")


class ExternalParams(BaseModel):
    """Settings of the external-trainer hook.

    Attributes:
        command: Program and arguments, with placeholders (see the module docstring).
        env: Extra environment variables for the command.
        cwd: Working directory (default: the round's folder).
        timeout_s: Seconds before the command is stopped (``None``: no limit).
        template: LLaMA-Factory chat template for ``{config}`` (``qwen2_vl`` for Qwen2-VL
            and Qwen2.5-VL).
        llamafactory_args: Extra keys for the ``{config}`` file (e.g. ``num_train_epochs``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    template: str = "qwen2_vl"
    llamafactory_args: dict[str, Any] = Field(default_factory=dict)


class TrainerCommandError(MmcurateError):
    """The external trainer failed or wrote no adapter."""


def llamafactory_config(
    path: Path,
    *,
    base_model: str,
    data_dir: Path,
    dataset: str,
    output_dir: Path,
    template: str = "qwen2_vl",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a LLaMA-Factory LoRA SFT config (``llamafactory-cli train CONFIG``)."""
    cfg: dict[str, Any] = {
        "model_name_or_path": base_model,
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "lora",
        "lora_target": "all",
        "lora_rank": 8,
        "dataset_dir": str(data_dir),
        "dataset": dataset,
        "template": template,
        "cutoff_len": 4096,
        "output_dir": str(output_dir),
        "overwrite_output_dir": True,
        "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 8,
        "learning_rate": 1e-4,
        "num_train_epochs": 1.0,
        "lr_scheduler_type": "cosine",
        "bf16": True,
        "logging_steps": 10,
        "save_strategy": "no",
        "report_to": "none",
        **(extra or {}),
    }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), "utf-8")
    return path


def fill(command: list[str], values: dict[str, str]) -> list[str]:
    """Replace ``{placeholder}`` in each argument.

    Raises:
        ConfigError: An unknown placeholder (the message lists the valid ones).
    """
    out = []
    for arg in command:
        try:
            out.append(arg.format_map(values))
        except (KeyError, IndexError, ValueError) as err:
            raise ConfigError(
                f"trainer command argument {arg!r}: unknown placeholder {err}; valid: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            ) from err
    return out


def find_adapter(output_dir: Path) -> Path | None:
    """The newest folder under ``output_dir`` (itself included) with ``adapter_config.json``."""
    found = [p.parent for p in output_dir.rglob("adapter_config.json")]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def run_external(
    params: ExternalParams,
    *,
    base_model: str,
    data_file: Path,
    dataset: str,
    output_dir: Path,
) -> TrainResult:
    """Run the trainer command and locate the adapter it wrote.

    Raises:
        TrainerCommandError: Non-zero exit, timeout, missing program, or no adapter.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    config = llamafactory_config(
        output_dir.parent / "llamafactory.yaml",
        base_model=base_model,
        data_dir=data_file.parent,
        dataset=dataset,
        output_dir=output_dir,
        template=params.template,
        extra=params.llamafactory_args,
    )
    values = {
        "data": str(data_file),
        "data_dir": str(data_file.parent),
        "dataset": dataset,
        "output_dir": str(output_dir),
        "base_model": base_model,
        "config": str(config),
    }
    args = fill(params.command, values)
    log = output_dir / "trainer.log"
    t0 = time.perf_counter()
    try:
        with log.open("w", encoding="utf-8") as f:
            proc = subprocess.run(
                args,
                stdout=f,
                stderr=subprocess.STDOUT,
                cwd=params.cwd or str(output_dir.parent),
                env={**os.environ, **params.env},
                timeout=params.timeout_s,
                check=False,
            )
    except FileNotFoundError as err:
        raise TrainerCommandError(f"trainer command not found: {args[0]} ({err})") from err
    except subprocess.TimeoutExpired as err:
        raise TrainerCommandError(
            f"trainer command timed out after {params.timeout_s}s (log: {log})"
        ) from err
    if proc.returncode != 0:
        tail = log.read_text("utf-8", errors="replace")[-600:]
        raise TrainerCommandError(
            f"trainer command exited {proc.returncode}: {' '.join(args)} (log: {log})\n{tail}"
        )
    adapter = find_adapter(output_dir)
    if adapter is None:
        raise TrainerCommandError(
            f"trainer command succeeded but no adapter_config.json under {output_dir} (log: {log})"
        )
    return TrainResult(
        adapter_dir=str(adapter),
        base_model=base_model,
        steps=0,
        examples=len(json.loads(data_file.read_text("utf-8"))),
        seconds=round(time.perf_counter() - t0, 3),
        trainer="external",
    )

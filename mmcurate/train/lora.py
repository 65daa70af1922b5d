"""LoRA supervised fine-tuning of a Qwen2-VL / Qwen2.5-VL model with transformers + peft.

The trainer reads the ShareGPT file written by :func:`mmcurate.train.export.export_sharegpt`
(so it trains on exactly what was exported), builds each example with the model's own
processor (chat template, images, video frames), masks the labels of everything except the
assistant turns, and runs a plain PyTorch loop (AdamW, gradient accumulation, fixed number
of optimizer steps). The adapter is saved with ``save_pretrained``: ``adapter_config.json``
(whose ``base_model_name_or_path`` is the base model) and ``adapter_model.safetensors``, which
the ``transformers`` model backend loads as a model (docs/models.md) and vLLM serves with
``--enable-lora``. ``train_log.json`` beside them records the losses and settings.

On CPU this runs with the tiny random Qwen2.5-VL of the tests in seconds; on a GPU it is a
plain single-device LoRA run (use an external trainer for multi-GPU, see
:mod:`mmcurate.train.external`).
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mmcurate.errors import ConfigError, require_module
from mmcurate.train.export import read_records

#: LoRA on the language model's attention and MLP projections (not the vision tower).
DEFAULT_TARGETS = (
    r".*(language_model|model\.layers).*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
)
_PLACEHOLDER = re.compile(r"(<image>|<video>)")


class LoraParams(BaseModel):
    """Settings of the built-in LoRA trainer.

    Attributes:
        rank: LoRA rank ``r``.
        alpha: LoRA scaling ``alpha``.
        dropout: Dropout on the LoRA input.
        target_modules: Regex of module names that get adapters (default: the language
            model's attention and MLP projections).
        learning_rate: AdamW learning rate.
        weight_decay: AdamW weight decay.
        max_steps: Optimizer steps.
        batch_size: Examples per forward pass (examples are padded to the longest).
        grad_accum: Forward passes per optimizer step.
        max_length: Examples longer than this (tokens) are skipped, with the reason logged.
        seed: Shuffling and initialisation seed.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``auto`` (float32 on CPU, bfloat16 on GPU), ``float32``, ``bfloat16``.
        gradient_checkpointing: Trade compute for memory (large models on a GPU).
        video_fps: Frames sampled per second of video.
        video_max_frames: Upper bound on frames per video.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank: int = Field(default=8, ge=1)
    alpha: float = Field(default=16.0, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: str = DEFAULT_TARGETS
    learning_rate: float = Field(default=2e-4, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    max_steps: int = Field(default=100, ge=1)
    batch_size: int = Field(default=1, ge=1)
    grad_accum: int = Field(default=1, ge=1)
    max_length: int = Field(default=4096, ge=16)
    seed: int = 0
    device: str = "auto"
    dtype: str = "auto"
    gradient_checkpointing: bool = False
    video_fps: float = Field(default=2.0, gt=0)
    video_max_frames: int = Field(default=8, ge=1)


class TrainResult(BaseModel):
    """What a training run wrote and how it went.

    Attributes:
        adapter_dir: The saved adapter folder.
        base_model: The base model the adapter applies to.
        steps: Optimizer steps run.
        examples: Examples trained on (after skips).
        skipped: ``{"id", "reason"}`` for records that could not be used.
        losses: Loss of each optimizer step (mean over its accumulated passes).
        seconds: Wall time of the run.
        trainable_params: Parameters trained (the LoRA weights).
        trainer: ``lora`` (built in) or ``external``.
    """

    model_config = ConfigDict(extra="forbid")

    adapter_dir: str
    base_model: str
    steps: int
    examples: int
    skipped: list[dict[str, str]] = Field(default_factory=list)
    losses: list[float] = Field(default_factory=list)
    seconds: float = 0.0
    trainable_params: int = 0
    trainer: str = "lora"


def _require(module: str) -> Any:
    return require_module(module, "LoRA training", "train")


def _content(text: str, media: dict[str, list[Any]], counters: dict[str, int]) -> list[Any]:
    """A turn's text as processor content parts, media at their placeholders."""
    parts: list[dict[str, Any]] = []
    for piece in _PLACEHOLDER.split(text):
        if piece == "<image>":
            parts.append({"type": "image", "image": media["image"][counters["image"]]})
            counters["image"] += 1
        elif piece == "<video>":
            frames, fps = media["video"][counters["video"]]
            parts.append({"type": "video", "video": frames, "sample_fps": fps})
            counters["video"] += 1
        elif piece.strip():
            parts.append({"type": "text", "text": piece.strip("\n")})
    return parts


class Example:
    """One tokenised training example (input ids, labels, vision tensors)."""

    def __init__(self, sample_id: str, tensors: dict[str, Any]) -> None:
        """Keep the processor output (``labels`` included)."""
        self.id = sample_id
        self.tensors = tensors

    @property
    def length(self) -> int:
        """Number of tokens."""
        return int(self.tensors["input_ids"].shape[1])


def assistant_mask(input_ids: list[int], prefix: list[int], end_id: int) -> list[bool]:
    """Which tokens are trained on: each assistant reply after ``prefix`` (the tokens of
    ``<|im_start|>assistant\\n``) up to and including its ``end_id`` (``<|im_end|>``).

    Args:
        input_ids: The example's tokens.
        prefix: Token ids that open an assistant turn.
        end_id: Token id that closes a turn.

    Returns:
        One flag per token.
    """
    mask = [False] * len(input_ids)
    n, k = len(input_ids), len(prefix)
    i = 0
    while i <= n - k:
        if input_ids[i : i + k] == prefix:
            j = i + k
            while j < n:
                mask[j] = True
                if input_ids[j] == end_id:
                    break
                j += 1
            i = j + 1
        else:
            i += 1
    return mask


class LoraTrainer:
    """Builds examples with the base model's processor and trains a LoRA adapter."""

    def __init__(self, base_model: str, params: LoraParams | None = None) -> None:
        """Check the dependencies; nothing heavy loads until :meth:`train`.

        Args:
            base_model: A local model folder or hub id (Qwen2-VL / Qwen2.5-VL family).
            params: Trainer settings.
        """
        self.base_model = base_model
        self.params = params or LoraParams()
        self.torch = _require("torch")
        self.tf = _require("transformers")
        self.peft = _require("peft")
        self.processor: Any = None

    def _device(self) -> str:
        if self.params.device != "auto":
            return self.params.device
        return "cuda" if self.torch.cuda.is_available() else "cpu"

    def _dtype(self, device: str) -> Any:
        if self.params.dtype != "auto":
            return getattr(self.torch, self.params.dtype)
        return self.torch.float32 if device == "cpu" else self.torch.bfloat16

    def example(self, record: dict[str, Any]) -> Example:
        """Tokenise one exported record (labels: assistant turns only).

        Raises:
            ValueError: The record cannot be used (no trainable token, too long, bad media).
        """
        from mmcurate.models.media import load_image, video_frames
        from mmcurate.models.types import VideoPart

        proc = self.processor
        p = self.params
        media: dict[str, list[Any]] = {
            "image": [load_image(path) for path in record.get("images", [])],
            "video": [
                video_frames(VideoPart(video=path), p.video_fps, p.video_max_frames)
                for path in record.get("videos", [])
            ],
        }
        counters = {"image": 0, "video": 0}
        msgs = [
            {"role": m["role"], "content": _content(m["content"], media, counters)}
            for m in record["messages"]
        ]
        text = proc.apply_chat_template(msgs, tokenize=False, add_generation_prompt=False)
        images = media["image"] or None
        videos = [frames for frames, _ in media["video"]] or None
        kwargs: dict[str, Any] = {}
        if videos:
            kwargs["do_sample_frames"] = False
            kwargs["fps"] = float(media["video"][0][1])
        enc = proc(
            text=[text], images=images, videos=videos, return_tensors="pt", padding=False, **kwargs
        )
        ids = enc["input_ids"][0].tolist()
        if len(ids) > p.max_length:
            raise ValueError(f"{len(ids)} tokens > max_length {p.max_length}")
        tok = proc.tokenizer
        prefix = tok("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
        end_id = tok.convert_tokens_to_ids("<|im_end|>")
        mask = assistant_mask(ids, prefix, end_id)
        if not any(mask):
            raise ValueError("no assistant tokens to train on after the chat template")
        labels = self.torch.tensor([[t if m else -100 for t, m in zip(ids, mask, strict=True)]])
        tensors = dict(enc)
        tensors["labels"] = labels
        return Example(str(record.get("id", "")), tensors)

    def _collate(self, batch: list[Example]) -> dict[str, Any]:
        """Right-pad a batch; vision tensors are concatenated (Qwen's flat patch layout)."""
        torch = self.torch
        if len(batch) == 1:
            return dict(batch[0].tensors)
        pad = self.processor.tokenizer.pad_token_id or 0
        width = max(e.length for e in batch)
        out: dict[str, Any] = {}
        for key, fill in (("input_ids", pad), ("attention_mask", 0), ("labels", -100)):
            rows = []
            for e in batch:
                t = e.tensors[key]
                rows.append(torch.nn.functional.pad(t, (0, width - t.shape[1]), value=fill))
            out[key] = torch.cat(rows)
        for key in batch[0].tensors:
            if key in out:
                continue
            parts = [e.tensors[key] for e in batch if key in e.tensors]
            out[key] = torch.cat(parts)
        return out

    def train(self, data_file: Path, out_dir: Path) -> TrainResult:
        """Train on an exported ``train.json`` and save the adapter to ``out_dir``.

        Raises:
            ConfigError: No usable example in the data file.
        """
        torch, tf, peft = self.torch, self.tf, self.peft
        p = self.params
        t0 = time.perf_counter()
        torch.manual_seed(p.seed)
        device = self._device()
        self.processor = tf.AutoProcessor.from_pretrained(self.base_model)
        examples: list[Example] = []
        skipped: list[dict[str, str]] = []
        for rec in read_records(data_file):
            try:
                examples.append(self.example(rec))
            except (ValueError, OSError) as err:
                skipped.append({"id": str(rec.get("id", "")), "reason": str(err)})
        if not examples:
            raise ConfigError(
                f"{data_file}: no usable training example ({len(skipped)} skipped: {skipped[:3]})"
            )
        model = tf.AutoModelForImageTextToText.from_pretrained(
            self.base_model, dtype=self._dtype(device)
        )
        if p.gradient_checkpointing:
            model.gradient_checkpointing_enable()
            model.enable_input_require_grads()
        config = peft.LoraConfig(
            r=p.rank,
            lora_alpha=p.alpha,
            lora_dropout=p.dropout,
            target_modules=p.target_modules,
        )
        model = peft.get_peft_model(model, config).to(device)
        model.train()
        trainable = [q for q in model.parameters() if q.requires_grad]
        n_trainable = sum(q.numel() for q in trainable)
        if not n_trainable:
            raise ConfigError(f"target_modules {p.target_modules!r} matched no module")
        opt = torch.optim.AdamW(trainable, lr=p.learning_rate, weight_decay=p.weight_decay)
        rng = random.Random(p.seed)
        order: list[int] = []
        losses: list[float] = []
        for _ in range(p.max_steps):
            opt.zero_grad(set_to_none=True)
            step_loss = 0.0
            for _ in range(p.grad_accum):
                batch = []
                for _ in range(p.batch_size):
                    if not order:
                        order = list(range(len(examples)))
                        rng.shuffle(order)
                    batch.append(examples[order.pop()])
                inputs = {k: v.to(device) for k, v in self._collate(batch).items()}
                loss = model(**inputs).loss / p.grad_accum
                loss.backward()
                step_loss += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            opt.step()
            losses.append(round(step_loss, 6))
        if not all(math.isfinite(v) for v in losses):
            raise ConfigError(f"training diverged (non-finite loss): {losses[-5:]}")
        out_dir.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out_dir))
        result = TrainResult(
            adapter_dir=str(out_dir),
            base_model=self.base_model,
            steps=p.max_steps,
            examples=len(examples),
            skipped=skipped,
            losses=losses,
            seconds=round(time.perf_counter() - t0, 3),
            trainable_params=int(n_trainable),
        )
        log = {**result.model_dump(), "params": p.model_dump(), "data_file": str(data_file)}
        (out_dir / "train_log.json").write_text(json.dumps(log, indent=1), "utf-8")
        return result


def train_lora(
    base_model: str, data_file: Path, out_dir: Path, params: LoraParams | None = None
) -> TrainResult:
    """Train a LoRA adapter on an exported ``train.json`` (see :class:`LoraTrainer`)."""
    return LoraTrainer(base_model, params).train(data_file, out_dir)

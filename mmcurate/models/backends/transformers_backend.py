"""The ``transformers`` backend: in-process Hugging Face ``generate``, CPU or GPU.

Qwen2-VL / Qwen2.5-VL / Qwen3-VL go the canonical way: ``AutoProcessor`` + chat template +
``qwen_vl_utils.process_vision_info``; any other ``AutoModelForImageTextToText`` gets its
processor's own image handling. For a schema, decoding is constrained to the JSON schema by an
xgrammar logits processor (transformers has no JSON-schema decoding of its own); without
xgrammar the output is generated freely and validated (and re-asked) by the client.

A LoRA adapter folder (``save_pretrained`` of a ``peft`` model: ``adapter_config.json`` +
weights) is a valid ``model``: the base model named in its ``base_model_name_or_path`` is
loaded, the adapter applied with ``peft`` and merged for inference. The model identity in
provenance and cache keys is then ``<adapter dir>@lora:<sha256 of the weights, 12 hex>``, so
a retrained adapter at the same path never replays cached outputs of the old one.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mmcurate.errors import ConfigError, require_module
from mmcurate.models.backends.base import Backend, describe_error
from mmcurate.models.config import ModelConfig
from mmcurate.models.media import load_image, video_frames
from mmcurate.models.types import (
    GenerationConfig,
    ImagePart,
    RawOutput,
    Request,
    TextPart,
    VideoPart,
)

_QWEN_TYPES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe")


def _require(module: str) -> Any:
    return require_module(module, "the transformers backend", "ml")


ADAPTER_CONFIG = "adapter_config.json"


def adapter_base(model: str | None) -> str | None:
    """The base model of a LoRA adapter folder, or ``None`` when ``model`` is not one.

    Raises:
        ConfigError: An adapter config without ``base_model_name_or_path``.
    """
    if not model:
        return None
    cfg = Path(model) / ADAPTER_CONFIG
    if not cfg.is_file():
        return None
    base = json.loads(cfg.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise ConfigError(f"{cfg}: no base_model_name_or_path; cannot tell which model to load")
    return str(base)


def adapter_digest(adapter_dir: str | Path) -> str:
    """sha256 (12 hex) of an adapter folder's config and weight files."""
    h = hashlib.sha256()
    folder = Path(adapter_dir)
    for f in sorted(folder.iterdir()):
        if f.is_file() and (f.name == ADAPTER_CONFIG or f.name.startswith("adapter_model")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


class TransformersBackend(Backend):
    """Batched ``model.generate`` with an ``AutoModelForImageTextToText`` (loaded on first use)."""

    name = "transformers"

    def __init__(self, config: ModelConfig) -> None:
        """Check that torch and transformers import; the model loads on the first batch."""
        super().__init__(config)
        self._torch = _require("torch")
        self._transformers = _require("transformers")
        self._model: Any = None
        self._processor: Any = None
        self._qwen = False
        self._grammars: dict[str, Any] = {}
        self._compiler: Any = None
        self._lock = threading.Lock()
        self._base = adapter_base(config.model)
        self._identity = (
            f"{config.model}@lora:{adapter_digest(config.model)}"
            if self._base is not None and config.model
            else config.model
        )

    @property
    def model_name(self) -> str | None:
        """The model path, or ``<adapter dir>@lora:<digest>`` for a LoRA adapter folder."""
        return self._identity

    @property
    def base_model(self) -> str | None:
        """The base model a LoRA adapter is applied to (``None``: ``model`` is no adapter)."""
        return self._base

    # -- loading -------------------------------------------------------------------------

    def _device(self) -> str:
        if self.config.device != "auto":
            return self.config.device
        return "cuda" if self._torch.cuda.is_available() else "cpu"

    def _load(self) -> None:
        if self._model is not None:
            return
        tf, torch = self._transformers, self._torch
        device = self._device()
        if self.config.dtype != "auto":
            dtype: Any = getattr(torch, self.config.dtype)
        else:
            dtype = torch.float32 if device == "cpu" else "auto"
        source = self._base or self.config.model
        self._processor = tf.AutoProcessor.from_pretrained(source)
        model = tf.AutoModelForImageTextToText.from_pretrained(source, dtype=dtype)
        if self._base is not None:
            peft = _require("peft")
            model = peft.PeftModel.from_pretrained(model, self.config.model).merge_and_unload()
        self._model = model.to(device).eval()
        tok = self._processor.tokenizer
        tok.padding_side = "left"
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        self._qwen = getattr(model.config, "model_type", "") in _QWEN_TYPES

    # -- inputs --------------------------------------------------------------------------

    def _messages(self, request: Request) -> tuple[list[dict[str, Any]], list[Any]]:
        """Chat messages in the processor's form, and the images in order (generic path)."""
        msgs: list[dict[str, Any]] = []
        images: list[Any] = []
        for m in request.messages:
            if isinstance(m.content, str):
                msgs.append({"role": m.role, "content": [{"type": "text", "text": m.content}]})
                continue
            content: list[dict[str, Any]] = []
            for p in m.content:
                if isinstance(p, TextPart):
                    content.append({"type": "text", "text": p.text})
                elif isinstance(p, ImagePart):
                    img = load_image(p.image)
                    images.append(img)
                    content.append({"type": "image", "image": img})
                elif isinstance(p, VideoPart):
                    frames, fps = video_frames(
                        p, self.config.video_fps, self.config.video_max_frames
                    )
                    content.append({"type": "video", "video": frames, "sample_fps": fps})
            msgs.append({"role": m.role, "content": content})
        return msgs, images

    def _inputs(self, convs: list[tuple[list[dict[str, Any]], list[Any]]]) -> Any:
        proc = self._processor
        texts = [
            proc.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            for msgs, _ in convs
        ]
        if self._qwen:
            from qwen_vl_utils import process_vision_info

            images, videos, video_kwargs = process_vision_info(
                [msgs for msgs, _ in convs], return_video_kwargs=True
            )
            kwargs: dict[str, Any] = {}
            if videos:
                # frames were sampled already (PyAV, client-side): the processor must not
                # sample again; it needs their rate for the temporal position ids.
                kwargs["do_sample_frames"] = False
                fps = (video_kwargs or {}).get("fps") or []
                if fps:  # requests with videos run one per batch: one rate
                    kwargs["fps"] = float(fps[0])
            return proc(
                text=texts,
                images=images,
                videos=videos,
                padding=True,
                return_tensors="pt",
                **kwargs,
            )
        images = [im for _, ims in convs for im in ims] or None
        return proc(text=texts, images=images, padding=True, return_tensors="pt")

    # -- constrained decoding ------------------------------------------------------------

    def _grammar(self, json_schema: dict[str, Any]) -> Any:
        try:
            import xgrammar as xgr
        except ImportError:
            return None
        key = json.dumps(json_schema, sort_keys=True)
        if key not in self._grammars:
            if self._compiler is None:
                vocab = self._model.get_output_embeddings().weight.shape[0]
                eos = self._model.generation_config.eos_token_id
                stops = eos if isinstance(eos, list) else [eos] if eos is not None else None
                info = xgr.TokenizerInfo.from_huggingface(
                    self._processor.tokenizer, vocab_size=vocab, stop_token_ids=stops
                )
                self._compiler = xgr.GrammarCompiler(info)
            self._grammars[key] = self._compiler.compile_json_schema(key, any_whitespace=False)
        return self._grammars[key]

    # -- generation ----------------------------------------------------------------------

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        """Generate in batches of ``batch_size`` (left padding); one output per request."""
        with self._lock:
            self._load()
            outs: list[RawOutput | None] = [None] * len(requests)
            prepared: list[tuple[int, tuple[list[dict[str, Any]], list[Any]]]] = []
            for i, req in enumerate(requests):
                try:
                    prepared.append((i, self._messages(req)))
                except Exception as err:
                    outs[i] = RawOutput(
                        error="could not prepare the request: " + describe_error(err)
                    )
            for chunk in self._chunks(prepared):
                try:
                    results = self._run([c for _, c in chunk], json_schema, config)
                except Exception as err:
                    results = [RawOutput(error=describe_error(err)) for _ in chunk]
                for (i, _), out in zip(chunk, results, strict=True):
                    outs[i] = out
            return [o if o is not None else RawOutput(error="no output") for o in outs]

    def _chunks(
        self, prepared: list[tuple[int, tuple[list[dict[str, Any]], list[Any]]]]
    ) -> list[list[tuple[int, tuple[list[dict[str, Any]], list[Any]]]]]:
        """Batches of ``batch_size``; a request with a video runs alone (one frame rate)."""
        chunks: list[list[tuple[int, tuple[list[dict[str, Any]], list[Any]]]]] = []
        current: list[tuple[int, tuple[list[dict[str, Any]], list[Any]]]] = []
        for item in prepared:
            has_video = any(c.get("type") == "video" for m in item[1][0] for c in m["content"])
            if has_video:
                chunks.append([item])
                continue
            current.append(item)
            if len(current) == self.config.batch_size:
                chunks.append(current)
                current = []
        if current:
            chunks.append(current)
        return chunks

    def _run(
        self,
        convs: list[tuple[list[dict[str, Any]], list[Any]]],
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        torch = self._torch
        inputs = self._inputs(convs).to(self._model.device)
        kwargs: dict[str, Any] = {"max_new_tokens": config.max_tokens}
        if config.temperature > 0:
            kwargs.update(do_sample=True, temperature=config.temperature, top_p=config.top_p)
            if config.seed is not None:
                torch.manual_seed(config.seed)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=self._processor.tokenizer)
        if json_schema is not None:
            grammar = self._grammar(json_schema)
            if grammar is not None:
                from xgrammar.contrib.hf import LogitsProcessor

                kwargs["logits_processor"] = [LogitsProcessor([grammar] * len(convs))]
        with torch.inference_mode():
            out = self._model.generate(**inputs, **kwargs)
        new = out[:, inputs["input_ids"].shape[1] :]
        tok = self._processor.tokenizer
        eos = self._model.generation_config.eos_token_id
        stop_ids = set(eos if isinstance(eos, list) else [eos]) | {tok.pad_token_id}
        results = []
        for row, mask in zip(new.tolist(), inputs["attention_mask"], strict=True):
            n = next((k for k, t in enumerate(row) if t in stop_ids), len(row))
            text = tok.decode(row[:n], skip_special_tokens=True)
            results.append(RawOutput(text=text, prompt_tokens=int(mask.sum()), completion_tokens=n))
        return results

    def close(self) -> None:
        """Drop the model and processor."""
        self._model = None
        self._processor = None
        self._grammars.clear()
        self._compiler = None

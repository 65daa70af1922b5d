"""The ``vllm-offline`` backend: ``vllm.LLM`` in-process batch generation (GPU batch scoring).

Requests go through ``LLM.chat`` in OpenAI chat form (the same messages the server backend
sends), with per-request ``SamplingParams`` and, for a schema, vLLM structured outputs
(``StructuredOutputsParams(json=...)``; ``GuidedDecodingParams`` on vLLM < 0.11).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from mmcurate.errors import MissingDependencyError
from mmcurate.models.backends.base import Backend, describe_error, openai_messages
from mmcurate.models.config import ModelConfig
from mmcurate.models.types import GenerationConfig, RawOutput, Request

INSTALL_HINT = (
    "the vllm-offline backend needs vLLM in this Python environment: on a GPU machine "
    "`pip install 'mmcurate[vllm]'`; on a CPU machine use `bash scripts/setup_vllm_server.sh` "
    "and run mmcurate with .venv-vllm/bin/python"
)


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as err:
        raise MissingDependencyError(f"{INSTALL_HINT} ({err})") from err
    return vllm


class VllmOfflineBackend(Backend):
    """Batch generation with an in-process ``vllm.LLM`` (loaded on first use)."""

    name = "vllm-offline"

    def __init__(self, config: ModelConfig) -> None:
        """Check that vLLM imports; the engine starts on the first batch."""
        super().__init__(config)
        self._vllm = _import_vllm()
        self._llm: Any = None
        self._lock = threading.Lock()

    def _engine(self) -> Any:
        if self._llm is None:
            kwargs: dict[str, Any] = {
                "model": self.config.model,
                "seed": 0,
                # engine-wide in vLLM (a per-request flag is ignored): compact JSON, no
                # whitespace runs; the same setting `curate serve` passes to the server.
                "structured_outputs_config": {
                    "backend": "xgrammar",
                    "disable_any_whitespace": True,
                },
            }
            if self.config.max_model_len is not None:
                kwargs["max_model_len"] = self.config.max_model_len
            if self.config.gpu_memory_utilization is not None:
                kwargs["gpu_memory_utilization"] = self.config.gpu_memory_utilization
            if self.config.dtype != "auto":
                kwargs["dtype"] = self.config.dtype
            self._llm = self._vllm.LLM(**kwargs)
        return self._llm

    def _sampling(self, json_schema: dict[str, Any] | None, config: GenerationConfig) -> Any:
        params: dict[str, Any] = {
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "seed": config.seed,
            "stop": list(config.stop) or None,
        }
        if json_schema is not None:
            sp = importlib.import_module("vllm.sampling_params")
            if hasattr(sp, "StructuredOutputsParams"):
                params["structured_outputs"] = sp.StructuredOutputsParams(json=json_schema)
            else:  # vLLM < 0.11
                params["guided_decoding"] = sp.GuidedDecodingParams(json=json_schema)
        return self._vllm.SamplingParams(**params)

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        """One ``LLM.chat`` call for the batch; a failing batch is retried request by request."""
        outs: list[RawOutput | None] = [None] * len(requests)
        convs: list[list[dict[str, Any]]] = []
        idx: list[int] = []
        for i, req in enumerate(requests):
            try:
                convs.append(openai_messages(req, self.config))
                idx.append(i)
            except Exception as err:
                outs[i] = RawOutput(error="could not prepare the request: " + describe_error(err))
        if convs:
            sampling = self._sampling(json_schema, config)
            with self._lock:
                llm = self._engine()
                try:
                    done = llm.chat(convs, sampling_params=sampling, use_tqdm=False)
                    results = [self._convert(o) for o in done]
                except Exception:  # one bad request (e.g. too long) fails the whole call
                    results = []
                    for conv in convs:
                        try:
                            one = llm.chat([conv], sampling_params=sampling, use_tqdm=False)
                            results.append(self._convert(one[0]))
                        except Exception as err:
                            results.append(RawOutput(error=describe_error(err)))
            for i, out in zip(idx, results, strict=True):
                outs[i] = out
        return [o if o is not None else RawOutput(error="no output") for o in outs]

    @staticmethod
    def _convert(output: Any) -> RawOutput:
        completion = output.outputs[0]
        return RawOutput(
            text=completion.text,
            prompt_tokens=len(output.prompt_token_ids or []),
            completion_tokens=len(completion.token_ids),
        )

    def close(self) -> None:
        """Drop the engine (its memory is freed when nothing else holds it)."""
        self._llm = None

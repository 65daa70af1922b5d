"""The one model client interface (DESIGN.md "Models").

Every model call in mmcurate — scorers, styler, synthesis, agent roles — goes through
:func:`generate`::

    from mmcurate.models import Request, generate
    from mmcurate.prompts import load_prompt

    prompt = load_prompt("describe_image")
    reqs = [prompt.request({"max_words": 12}, images=[path], key=sid) for sid, path in items]
    for res in generate(reqs, schema=prompt.output_schema_model()):
        print(res.key, res.parsed if res.ok else res.error, res.provenance())

Backends (``MMCURATE_BACKEND`` / ``--backend`` / config file): ``vllm-server`` (HTTP to
``vllm serve``; chosen automatically when ``MMCURATE_VLM_URL`` is set), ``vllm-offline``
(in-process ``vllm.LLM``), ``transformers`` (in-process HF generate) and ``heuristic`` (no
model; the default). See docs/models.md.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from mmcurate.models.backends.heuristic import register_heuristic, unregister_heuristic
from mmcurate.models.cache import CacheStats
from mmcurate.models.client import ModelClient
from mmcurate.models.config import ModelConfig, resolve_config
from mmcurate.models.errors import ModelUnavailableError
from mmcurate.models.types import (
    ChatMessage,
    GenerationConfig,
    ImagePart,
    Request,
    Result,
    TextPart,
    VideoPart,
)

_default: dict[str, ModelClient] = {}
_default_lock = threading.Lock()


def get_client(config: ModelConfig | None = None, **overrides: Any) -> ModelClient:
    """A client for a configuration.

    Args:
        config: A resolved configuration; when ``None`` it is resolved from ``overrides``,
            environment variables and the config file (in that order of precedence).
        **overrides: :class:`ModelConfig` fields (``backend=``, ``url=``, ``model=``, ...);
            unknown names raise :class:`~mmcurate.errors.ConfigError`.

    Returns:
        A new client (callers that want one shared client keep it; :func:`generate` does).
    """
    if config is None:
        config = resolve_config(overrides)
    elif overrides:
        config = config.model_copy(update=overrides)
    return ModelClient(config)


def default_client() -> ModelClient:
    """The client :func:`generate` uses: one per distinct resolved configuration."""
    config = resolve_config()
    key = config.model_dump_json()
    with _default_lock:
        if key not in _default:
            _default[key] = ModelClient(config)
        return _default[key]


def generate(
    requests: Sequence[Request],
    schema: type[BaseModel] | None = None,
    config: GenerationConfig | None = None,
    *,
    client: ModelClient | None = None,
) -> list[Result]:
    """Run model requests and return one result per request, in order.

    Args:
        requests: The requests (messages with images and videos).
        schema: A pydantic model; when given, output is constrained to its JSON schema where
            the backend can, validated, and re-asked (``config.max_reasks``) when invalid.
        config: Sampling parameters (default :class:`GenerationConfig`).
        client: The client to use (default: :func:`default_client`, from env/config file).

    Returns:
        Results with ``text``, ``parsed`` (validated instance or ``None``), ``error`` (a
        per-request failure as a value), token counts and provenance (backend, model, prompt
        id+version, cached, heuristic).

    Raises:
        ModelUnavailableError: The backend cannot be used at all (e.g. server down).
        ConfigError: The configuration is invalid.
        MissingDependencyError: The backend's optional dependency is not installed.
    """
    return (client or default_client()).generate(requests, schema=schema, config=config)


__all__ = [
    "CacheStats",
    "ChatMessage",
    "GenerationConfig",
    "ImagePart",
    "ModelClient",
    "ModelConfig",
    "ModelUnavailableError",
    "Request",
    "Result",
    "TextPart",
    "VideoPart",
    "default_client",
    "generate",
    "get_client",
    "register_heuristic",
    "resolve_config",
    "unregister_heuristic",
]

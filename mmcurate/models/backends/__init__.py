"""Backends by name; each is imported only when chosen (vLLM and torch are optional)."""

from __future__ import annotations

import importlib

from mmcurate.errors import ConfigError
from mmcurate.models.backends.base import Backend
from mmcurate.models.config import ModelConfig
from mmcurate.models.types import BACKENDS

_CLASSES: dict[str, tuple[str, str]] = {
    "heuristic": ("mmcurate.models.backends.heuristic", "HeuristicBackend"),
    "vllm-server": ("mmcurate.models.backends.vllm_server", "VllmServerBackend"),
    "vllm-offline": ("mmcurate.models.backends.vllm_offline", "VllmOfflineBackend"),
    "transformers": ("mmcurate.models.backends.transformers_backend", "TransformersBackend"),
}
assert tuple(_CLASSES) == BACKENDS


def make_backend(config: ModelConfig) -> Backend:
    """Create the backend ``config.backend`` names.

    Raises:
        ConfigError: Unknown backend name.
        MissingDependencyError: The backend's optional dependency is not installed.
    """
    if config.backend not in _CLASSES:
        raise ConfigError(f"unknown backend {config.backend!r}; valid: {', '.join(BACKENDS)}")
    module, cls_name = _CLASSES[config.backend]
    cls: type[Backend] = getattr(importlib.import_module(module), cls_name)
    return cls(config)


__all__ = ["Backend", "make_backend"]

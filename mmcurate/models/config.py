"""Model configuration, resolved in one place.

Precedence, highest first: explicit arguments (CLI flags, ``get_client(...)`` keywords), then
environment variables (``MMCURATE_BACKEND``, ``MMCURATE_VLM_URL``, ``MMCURATE_MODEL``, ... see
:data:`ENV_VARS`), then the config file's ``models:`` section (``$MMCURATE_CONFIG`` or
``~/.config/mmcurate/config.yaml``), then the defaults of :class:`ModelConfig`.

When no backend is named anywhere, a configured URL selects ``vllm-server`` and otherwise the
embedded ``heuristic`` backend is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from mmcurate.errors import ConfigError
from mmcurate.models.types import BackendName


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mmcurate`` (``~/.cache/mmcurate`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mmcurate"


def default_config_file() -> Path:
    """``$XDG_CONFIG_HOME/mmcurate/config.yaml`` (``~/.config/...`` when unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "mmcurate" / "config.yaml"


class ModelConfig(BaseModel):
    """Where and how model calls run.

    Attributes:
        backend: ``heuristic``, ``vllm-server``, ``vllm-offline`` or ``transformers``.
        url: Base URL of an OpenAI-compatible vLLM server (``http://host:8000``; ``/v1`` is
            optional).
        model: Model name: the served name for ``vllm-server`` (``None``: the server's only
            model), a local directory or hub id for the in-process backends.
        api_key: Bearer token for servers started with ``--api-key``.
        concurrency: Requests in flight at once (``vllm-server``).
        timeout_s: Seconds before one HTTP request is abandoned and retried.
        max_retries: Retries of one request after a timeout, connection error or 5xx.
        backoff_s: First retry delay; doubles each retry (capped at 30 s).
        cache: Whether to use the on-disk request cache.
        cache_dir: Folder of the request cache (``requests.sqlite``).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (``transformers``).
        dtype: ``auto``, ``float32``, ``bfloat16`` or ``float16`` (in-process backends).
        batch_size: Requests per ``generate`` batch (in-process backends).
        max_model_len: Context length (``vllm-offline``).
        gpu_memory_utilization: Fraction of GPU memory vLLM may use (``vllm-offline``).
        video_fps: Frames sampled per second of video.
        video_max_frames: Upper bound on frames sampled from one video.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    backend: BackendName = "heuristic"
    url: str | None = None
    model: str | None = None
    api_key: str | None = None
    concurrency: int = Field(default=8, ge=1, le=1024)
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    backoff_s: float = Field(default=0.5, ge=0)
    cache: bool = True
    cache_dir: Path = Field(default_factory=default_cache_dir)
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = Field(default=4, ge=1)
    max_model_len: int | None = Field(default=None, ge=16)
    gpu_memory_utilization: float | None = Field(default=None, gt=0, le=1)
    video_fps: float = Field(default=2.0, gt=0)
    video_max_frames: int = Field(default=16, ge=1)

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _server_needs_url(self) -> ModelConfig:
        if self.backend == "vllm-server" and not self.url:
            raise ValueError(
                "backend 'vllm-server' needs a url: set MMCURATE_VLM_URL, pass --url, or put "
                "'url:' in the config file's models: section (start a server: curate serve)"
            )
        if self.backend in ("transformers", "vllm-offline") and not self.model:
            raise ValueError(
                f"backend '{self.backend}' needs a model (a local directory or hub id): set "
                "MMCURATE_MODEL, pass --model, or put 'model:' in the config file"
            )
        return self

    def source(self, field: str) -> str:
        """Where a value came from: ``argument``, ``env VAR``, ``file PATH`` or ``default``."""
        return self._sources.get(field, "default")

    def describe(self) -> list[tuple[str, str, str]]:
        """``(field, value, source)`` rows for display; the api key is masked."""
        rows = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            shown = "***" if name == "api_key" and value else str(value)
            rows.append((name, shown, self.source(name)))
        return rows


#: Environment variable for each config field.
ENV_VARS: dict[str, str] = {
    name: "MMCURATE_VLM_URL" if name == "url" else f"MMCURATE_{name.upper()}"
    for name in ModelConfig.model_fields
}

#: Environment variable naming the config file.
CONFIG_ENV = "MMCURATE_CONFIG"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    section = data.get("models", {})
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: 'models' must be a mapping")
    return section


def _check_keys(keys: Any, where: str) -> None:
    valid = set(ModelConfig.model_fields)
    unknown = sorted(set(keys) - valid)
    if unknown:
        raise ConfigError(
            f"{where}: unknown model setting(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(sorted(valid))}"
        )


def resolve_config(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> ModelConfig:
    """Resolve the model configuration from arguments, environment, config file and defaults.

    Args:
        overrides: Explicit values (flags, keyword arguments); ``None`` values are ignored so
            that an unset CLI option does not hide the environment.
        config_file: Config file to read instead of ``$MMCURATE_CONFIG`` or the default path.
        env: Environment to read (default ``os.environ``).

    Returns:
        The validated configuration; ``config.source(field)`` tells where each value came from.

    Raises:
        ConfigError: An unknown key, a bad value (naming its source) or a missing file that
            was asked for explicitly.
    """
    env = os.environ if env is None else env
    layers: list[tuple[str, dict[str, Any]]] = []

    path: Path | None
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
    elif env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} points to a missing file: {path}")
    else:
        path = default_config_file()
        path = path if path.is_file() else None
    if path is not None:
        section = _read_config_file(path)
        _check_keys(section, f"config file {path}")
        layers.append((f"file {path}", section))

    from_env = {name: env[var] for name, var in ENV_VARS.items() if env.get(var, "") != ""}
    layers.append(("env", from_env))

    explicit = {k: v for k, v in (overrides or {}).items() if v is not None}
    _check_keys(explicit, "arguments")
    layers.append(("argument", explicit))

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for label, layer in layers:
        for key, value in layer.items():
            values[key] = value
            sources[key] = f"env {ENV_VARS[key]}" if label == "env" else label
    if "backend" not in values:
        values["backend"] = "vllm-server" if values.get("url") else "heuristic"
        sources["backend"] = "default (url set)" if values.get("url") else "default"
    if isinstance(values.get("cache"), str):
        values["cache"] = values["cache"].strip().lower() not in ("0", "false", "no", "off", "")

    try:
        config = ModelConfig(**values)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            where = sources.get(field, "")
            name = f"{field} (from {where})" if where else field or "config"
            if field == "backend":
                choices = ", ".join(get_args(BackendName))
                problems.append(f"{name}: {e['msg']} (valid: {choices})")
            else:
                problems.append(f"{name}: {e['msg']}")
        raise ConfigError("invalid model configuration: " + "; ".join(problems)) from err
    config._sources = sources
    return config

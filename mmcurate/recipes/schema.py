"""Recipe schema: Data-Juicer's shape, validated before any work starts.

```yaml
dataset_path: data/pool.jsonl
export_path: out/curated.jsonl
np: 2
process:
  - whitespace_normalization_mapper:
  - text_length_filter: {min_len: 10, max_len: 10000}
```
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mmcurate.errors import ConfigError
from mmcurate.ops import registry

#: Data-Juicer global keys accepted for compatibility. They have no effect in mmcurate
#: (its tracer, cache and fusion are always on); the run summary lists the ones present.
DJ_IGNORED_KEYS = frozenset(
    {
        "project_name",
        "text_keys",
        "image_key",
        "image_special_token",
        "audio_key",
        "audio_special_token",
        "video_key",
        "video_special_token",
        "eoc_special_token",
        "open_tracer",
        "trace_num",
        "op_list_to_trace",
        "use_cache",
        "ds_cache_dir",
        "cache_compress",
        "use_checkpoint",
        "temp_dir",
        "op_fusion",
        "fusion_strategy",
        "keep_stats_in_res_ds",
        "keep_hashes_in_res_ds",
        "export_shard_size",
        "export_in_parallel",
        "suffixes",
        "add_suffix",
        "skip_op_error",
        "save_stats_in_one_file",
        "executor_type",
        "turbo",
        "open_monitor",
        "open_insight_mining",
        "debug",
        "percentiles",
        "export_original_dataset",
        "hpo_config",
        "data_probe_algo",
        "data_probe_ratio",
    }
)


#: Data-Juicer's per-op execution keys (its ``OP.__init__`` kwargs): scheduling hints that
#: mmcurate's runner decides itself (ops declare ``resources``). Accepted, reported, no effect.
DJ_OP_IGNORED_KEYS = frozenset(
    {
        "accelerator",
        "num_proc",
        "batch_size",
        "batch_mode",
        "adaptive_batching",
        "auto_op_parallelism",
        "cpu_required",
        "gpu_required",
        "mem_required",
        "num_cpus",
        "num_gpus",
        "memory",
        "runtime_env",
        "ray_execution_mode",
        "turbo",
        "skip_op_error",
        "work_dir",
        "stats_export_path",
        "index_key",
    }
)

#: Data-Juicer's per-op field keys and interval switches with the values mmcurate always
#: uses (its canonical sample; closed ``[min, max]`` ranges). Other values change what an
#: op reads or keeps, so they are an error rather than silently ignored.
DJ_OP_FIXED_KEYS: dict[str, Any] = {
    "text_key": "text",
    "image_key": "images",
    "audio_key": "audios",
    "video_key": "videos",
    "image_bytes_key": "image_bytes",
    "system_key": "system",
    "instruction_key": "instruction",
    "prompt_key": "prompt",
    "query_key": "query",
    "response_key": "response",
    "history_key": "history",
    "min_closed_interval": True,
    "max_closed_interval": True,
    "reversed_range": False,
}


def split_dj_op_keys(index: int, name: str, params: dict[str, Any]) -> tuple[dict, dict]:
    """Separate Data-Juicer's per-op execution/field keys from an op's own params.

    Keys the op itself declares stay params. Returns ``(params, ignored)``.

    Raises:
        ConfigError: a field key or interval switch with a value mmcurate does not support.
    """
    try:
        own = set(registry.get(name).Params.model_fields)
    except ConfigError:
        return params, {}  # unknown op: the step's validation names it
    kept: dict[str, Any] = {}
    ignored: dict[str, Any] = {}
    for key, value in params.items():
        if key in own:
            kept[key] = value
        elif key in DJ_OP_IGNORED_KEYS:
            ignored[key] = value
        elif key in DJ_OP_FIXED_KEYS:
            if value != DJ_OP_FIXED_KEYS[key]:
                raise ConfigError(
                    f"process[{index}] ({name}): {key}={value!r} is not supported; mmcurate "
                    f"ops read the canonical sample (messages, images, videos) with closed "
                    f"[min, max] ranges, i.e. {key}={DJ_OP_FIXED_KEYS[key]!r}. Map other "
                    "fields when loading (--format / `curate convert`)."
                )
            ignored[key] = value
        else:
            kept[key] = value
    return kept, ignored


class OpSpec(BaseModel):
    """One step of ``process``: a registered op name and its validated params."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    params: dict[str, Any] = Field(default_factory=dict)

    def to_yaml_item(self) -> dict[str, Any]:
        """The Data-Juicer-style list item ``{name: params}``."""
        return {self.name: dict(self.params) or None}


class Recipe(BaseModel):
    """A validated recipe.

    Attributes:
        dataset_path: Input dataset (file or folder); relative paths are relative to the
            current directory, as in Data-Juicer.
        export_path: Where the kept samples are written.
        format: Input format (auto-detected when omitted).
        export_format: Output format (defaults to the input's format).
        np: Worker processes for row-level ops.
        executor: ``local`` (processes on this machine) or ``ray`` (Ray Data; see
            docs/SCALING.md).
        ray_address: With ``executor: ray``, the cluster to join (``auto`` or
            ``HOST:PORT``); unset starts a local Ray with ``np`` CPUs.
        work_dir: Run directory for checkpoints, traces, errors and summary
            (default: ``<export stem>.work`` next to the export).
        trace_num: Changed-sample traces kept per op (counts are always exact).
        media_check: Check media files exist, open (headers) and are not truncated while
            loading.
        text_view: What text ops measure: ``plain`` (the conversation without media
            placeholders; the default) or ``dj`` (Data-Juicer's text, its special tokens
            counted as text, for kept sets identical to Data-Juicer's).
        process: The ops, in order.
        ignored: Data-Juicer keys present in the file that mmcurate does not use.
    """

    model_config = ConfigDict(extra="forbid")

    dataset_path: str
    export_path: str
    format: str | None = None
    export_format: str | None = None
    np: int = Field(1, ge=1)
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    work_dir: str | None = None
    trace_num: int = Field(100, ge=0)
    media_check: bool = True
    text_view: Literal["plain", "dj"] = "plain"
    process: list[OpSpec] = Field(default_factory=list)
    ignored: dict[str, Any] = Field(default_factory=dict)

    @field_validator("process", mode="before")
    @classmethod
    def _parse_process(cls, value: Any) -> list[OpSpec]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("process must be a list of `- op_name: {params}` items")
        return [_parse_step(i, item) for i, item in enumerate(value)]

    def to_dict(self) -> dict[str, Any]:
        """A plain dict in recipe-file shape (for writing YAML)."""
        out = self.model_dump(exclude={"process", "ignored"}, exclude_defaults=True)
        out["dataset_path"] = self.dataset_path
        out["export_path"] = self.export_path
        out["process"] = [s.to_yaml_item() for s in self.process]
        return out


def _parse_step(index: int, item: Any) -> OpSpec:
    if isinstance(item, OpSpec):
        spec = item
    elif isinstance(item, dict) and len(item) == 1:
        name, params = next(iter(item.items()))
        if params is not None and not isinstance(params, dict):
            raise ConfigError(
                f"process[{index}] ({name}): params must be a mapping, got {params!r}"
            )
        spec = OpSpec(name=str(name), params=params or {})
    else:
        raise ConfigError(
            f"process[{index}]: each step must be a single `op_name: {{params}}` mapping, "
            f"got {item!r}"
        )
    try:
        op_cls = registry.get(spec.name)
        validated = op_cls.validate_params(spec.params)
    except ConfigError as err:
        raise ConfigError(f"process[{index}]: {err}") from None
    # Store params as given (explicit keys only) so a recipe round-trips as written.
    explicit = validated.model_dump(include=set(spec.params))
    return OpSpec(name=spec.name, params=explicit)


def parse_recipe(data: dict[str, Any], source: str = "<recipe>") -> Recipe:
    """Validate a recipe mapping.

    Raises:
        ConfigError: unknown keys (with close matches and the valid keys), unknown ops or
            parameters (with the valid choices), or bad values.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a recipe must be a mapping, got {type(data).__name__}")
    known = set(Recipe.model_fields) - {"ignored"}
    ignored = {k: v for k, v in data.items() if k in DJ_IGNORED_KEYS and k not in known}
    unknown = [k for k in data if k not in known and k not in DJ_IGNORED_KEYS]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, sorted(known | DJ_IGNORED_KEYS), n=2)
            hints.append(f"'{k}'" + (f" (did you mean {' or '.join(close)}?)" if close else ""))
        raise ConfigError(
            f"{source}: unknown recipe key(s): {', '.join(hints)}. "
            f"Valid keys: {', '.join(sorted(known))}"
        )
    body = {k: v for k, v in data.items() if k in known}
    if isinstance(body.get("process"), list):
        steps = []
        for i, item in enumerate(body["process"]):
            if isinstance(item, dict) and len(item) == 1:
                name, params = next(iter(item.items()))
                if isinstance(params, dict):
                    params, dropped = split_dj_op_keys(i, str(name), params)
                    ignored.update({f"process.{i}.{name}.{k}": v for k, v in dropped.items()})
                    item = {name: params}
            steps.append(item)
        body["process"] = steps
    try:
        return Recipe.model_validate({**body, "ignored": ignored})
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"{source}: {problems}") from None

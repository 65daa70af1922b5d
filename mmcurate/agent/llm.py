"""VLM role calls through the one model interface (:mod:`mmcurate.models`).

Each role renders its versioned prompt (``mmcurate/prompts/agent_<role>.v1.yaml``) and asks
for the pydantic schema the prompt declares (``output_schema``, checked against the role's;
structured output, validation and re-asks are the client's). A failed or invalid answer is
a value (``None`` plus the error), never an exception: the node then falls back to the
deterministic planner's answer and records why in the transcript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from mmcurate.agent.context import PROMPTS, AgentSettings
from mmcurate.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

_clients: dict[tuple[str, str | None, str], Any] = {}


def client(settings: AgentSettings) -> Any:
    """A ``vllm-server`` client for the session (one per url/model/cache dir)."""
    from mmcurate.models import get_client

    assert settings.vlm_url is not None
    cache_dir = settings.cache_dir or str(settings.work_dir / "model-cache")
    key = (settings.vlm_url, settings.model, cache_dir)
    if key not in _clients:
        overrides: dict[str, Any] = {"backend": "vllm-server", "url": settings.vlm_url,
                                     "cache_dir": Path(cache_dir)}  # fmt: skip
        if settings.model:
            overrides["model"] = settings.model
        _clients[key] = get_client(**overrides)
    return _clients[key]


def ask(
    settings: AgentSettings,
    role: str,
    values: Mapping[str, Any],
    schema: type[M],
    images: Sequence[str | Path] = (),
    media_root: Path | None = None,
    max_tokens: int = 384,
) -> tuple[M | None, str | None, str]:
    """One structured request for ``role``.

    Returns:
        ``(answer, error, prompt ref)``: the validated answer, or ``None`` with the error
        (also for an answer that gives no field at all).
    """
    from mmcurate.models import GenerationConfig, generate
    from mmcurate.prompts import load_prompt

    prompt = load_prompt(PROMPTS[role])
    if prompt.output_schema_model() is not schema:
        raise ConfigError(
            f"prompt {prompt.ref} declares output_schema {prompt.output_schema!r}, but the "
            f"{role} role answers {schema.__name__}"
        )
    req = prompt.request(values, images=list(images), key=role, media_root=media_root)
    [res] = generate(
        [req],
        schema=schema,
        config=GenerationConfig(max_tokens=max_tokens, temperature=0.0),
        client=client(settings),
    )
    if res.ok and isinstance(res.parsed, schema):
        if not res.parsed.model_fields_set:  # ``{}`` is schema-valid but says nothing
            return None, "empty answer (no field given)", prompt.ref
        return res.parsed, None, prompt.ref
    return None, str(res.error or "no answer")[:300], prompt.ref

"""The ``heuristic`` backend: no model at all.

It cannot answer arbitrary prompts, and it does not pretend to. A request is answered only
when a handler is registered for its prompt id (``register_heuristic``); the handler computes
the answer deterministically (image statistics, OCR, embeddings, ...). Every result is marked
``heuristic=True``; a request without a handler is an error result that says so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from mmcurate.models.backends.base import Backend, describe_error
from mmcurate.models.types import GenerationConfig, RawOutput, Request

#: A handler: the request and the output schema (or ``None``) -> the answer, as a schema
#: instance, a dict (JSON object) or a string.
HeuristicHandler = Callable[[Request, type[BaseModel] | None], BaseModel | dict[str, Any] | str]

_handlers: dict[str, HeuristicHandler] = {}
_lock = threading.Lock()


def register_heuristic(prompt_id: str) -> Callable[[HeuristicHandler], HeuristicHandler]:
    """Register the heuristic answer for one prompt id (a decorator).

    Example::

        @register_heuristic("capability_scores")
        def lite_scores(request, schema):
            return schema(ocr=2.0, ...)

    Raises:
        ValueError: A handler is already registered for ``prompt_id``.
    """

    def deco(fn: HeuristicHandler) -> HeuristicHandler:
        with _lock:
            if prompt_id in _handlers and _handlers[prompt_id] is not fn:
                raise ValueError(f"a heuristic handler for prompt {prompt_id!r} already exists")
            _handlers[prompt_id] = fn
        return fn

    return deco


def unregister_heuristic(prompt_id: str) -> None:
    """Remove a handler (no error when there is none)."""
    with _lock:
        _handlers.pop(prompt_id, None)


def heuristic_prompt_ids() -> list[str]:
    """Prompt ids that have a heuristic handler, sorted."""
    with _lock:
        return sorted(_handlers)


class HeuristicBackend(Backend):
    """Answers from registered handlers; never calls a model."""

    name = "heuristic"
    heuristic = True
    cacheable = False  # cheap and deterministic; a cached copy would outlive handler fixes

    @property
    def model_name(self) -> str | None:
        """Heuristics have no model."""
        return None

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        """Answer each request with its prompt's handler, or an error naming what is missing."""
        outs = []
        for req in requests:
            with _lock:
                handler = _handlers.get(req.prompt_id) if req.prompt_id else None
            if handler is None:
                known = ", ".join(heuristic_prompt_ids()) or "none"
                outs.append(
                    RawOutput(
                        error=f"no heuristic for prompt {req.prompt_id!r} (heuristics exist for: "
                        f"{known}); configure a model backend, e.g. MMCURATE_VLM_URL=http://..."
                    )
                )
                continue
            try:
                answer = handler(req, schema)
            except Exception as err:  # a handler bug is one sample's error, not the batch's
                outs.append(
                    RawOutput(error=f"heuristic {req.prompt_id!r} failed: " + describe_error(err))
                )
                continue
            if isinstance(answer, BaseModel):
                outs.append(RawOutput(text=answer.model_dump_json(), parsed=answer))
            elif isinstance(answer, str):
                outs.append(RawOutput(text=answer))
            else:
                outs.append(RawOutput(text=json.dumps(answer, ensure_ascii=False)))
        return outs

"""The model client: cache, backend call, schema validation and bounded re-asks, in one place.

Every backend goes through :meth:`ModelClient.generate`, so all of them share the same
contract: one :class:`Result` per request, in order; per-request failures are values; with a
schema, ``parsed`` is a validated instance (never text scraped with a regex); a request whose
output fails validation is asked again, with the error, at most ``max_reasks`` times.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from mmcurate.models.backends import Backend, make_backend
from mmcurate.models.cache import CacheStats, RequestCache, request_key
from mmcurate.models.config import ModelConfig
from mmcurate.models.types import ChatMessage, GenerationConfig, RawOutput, Request, Result


def _decoder_friendly(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _decoder_friendly(v) for k, v in node.items()}
        if "pattern" in out:
            out.pop("minLength", None)
            out.pop("maxLength", None)
        return out
    if isinstance(node, list):
        return [_decoder_friendly(v) for v in node]
    return node


def json_schema_of(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema sent for structured output: pydantic's, made decoder-friendly.

    xgrammar (vLLM's default structured-output backend, and the transformers backend's)
    rejects a string with both a ``pattern`` and ``minLength``/``maxLength``; such strings
    keep only the pattern here (put the bound in the pattern, see
    :func:`mmcurate.prompts.schemas.printable`). Validation still applies every rule.
    """
    result: dict[str, Any] = _decoder_friendly(schema.model_json_schema())
    return result


def _short_validation_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        loc = ".".join(map(str, e["loc"])) or "output"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


class ModelClient:
    """Runs requests on one configured backend with the request cache.

    Create one with :func:`mmcurate.models.get_client`; it is thread-safe.
    """

    def __init__(self, config: ModelConfig, backend: Backend | None = None) -> None:
        """Set up the client; the backend is created (and its model loaded) on first use.

        Args:
            config: The resolved model configuration.
            backend: A ready backend (mostly for tests); default: the one ``config`` names.
        """
        self.config = config
        self._backend = backend
        self._lock = threading.Lock()
        self.cache: RequestCache | None = RequestCache(config.cache_dir) if config.cache else None
        self._calls = 0

    @property
    def backend(self) -> Backend:
        """The backend (created on first access)."""
        with self._lock:
            if self._backend is None:
                self._backend = make_backend(self.config)
            return self._backend

    @property
    def cache_stats(self) -> CacheStats:
        """Cache hits and misses of this client (zeros when the cache is off)."""
        return self.cache.stats if self.cache is not None else CacheStats(0, 0)

    @property
    def model_calls(self) -> int:
        """Requests sent to the backend so far (re-asks included, cache hits not)."""
        return self._calls

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None = None,
        config: GenerationConfig | None = None,
    ) -> list[Result]:
        """Run requests; see :func:`mmcurate.models.generate`."""
        requests = list(requests)
        if not requests:
            return []
        gen = config or GenerationConfig()
        backend = self.backend
        backend.check()
        js = json_schema_of(schema) if schema is not None else None
        model = backend.model_name
        results: list[Result | None] = [None] * len(requests)

        def base(req: Request) -> dict[str, Any]:
            return {
                "backend": backend.name,
                "model": model,
                "prompt_id": req.prompt_id,
                "prompt_version": req.prompt_version,
                "key": req.key,
                "heuristic": backend.heuristic,
            }

        keys: list[str | None] = [None] * len(requests)
        pending: list[int] = []
        use_cache = self.cache is not None and backend.cacheable
        for i, req in enumerate(requests):
            if not use_cache:
                pending.append(i)
                continue
            assert self.cache is not None
            try:
                keys[i] = request_key(
                    req,
                    backend=backend.name,
                    model=model,
                    config=gen,
                    schema=js,
                    video_fps=self.config.video_fps,
                    video_max_frames=self.config.video_max_frames,
                )
            except OSError as err:  # a media file that cannot be read
                results[i] = Result(**base(req), error=f"cannot read media: {err}")
                continue
            hit = self.cache.get(keys[i])  # type: ignore[arg-type]
            if hit is not None:
                parsed = None
                if schema is not None:
                    try:
                        parsed = schema.model_validate_json(hit.text)
                    except ValidationError:  # the schema changed its rules: ask again
                        pending.append(i)
                        continue
                results[i] = Result(
                    **base(req),
                    text=hit.text,
                    parsed=parsed,
                    cached=True,
                    prompt_tokens=hit.prompt_tokens,
                    completion_tokens=hit.completion_tokens,
                )
            else:
                pending.append(i)

        current = {i: requests[i] for i in pending}
        attempts = dict.fromkeys(pending, 0)
        for round_ in range(gen.max_reasks + 1):
            if not pending:
                break
            outs = backend.generate([current[i] for i in pending], schema, js, gen)
            with self._lock:
                self._calls += len(pending)
            again: list[int] = []
            for i, out in zip(pending, outs, strict=True):
                attempts[i] += 1
                res, retry = self._judge(out, schema, requests[i], base(requests[i]), attempts[i])
                if retry is not None and round_ < gen.max_reasks:
                    current[i] = current[i].with_turns(*self._reask(out.text or "", retry))
                    again.append(i)
                    continue
                results[i] = res
                if use_cache and res.error is None and res.text is not None:
                    assert self.cache is not None and keys[i] is not None
                    self.cache.put(
                        keys[i],  # type: ignore[arg-type]
                        res.text,
                        model=model,
                        prompt_tokens=res.prompt_tokens,
                        completion_tokens=res.completion_tokens,
                    )
            pending = again
        return [r for r in results if r is not None]

    @staticmethod
    def _judge(
        out: RawOutput,
        schema: type[BaseModel] | None,
        request: Request,
        base: dict[str, Any],
        attempts: int,
    ) -> tuple[Result, str | None]:
        """The result for one raw output, and the validation error when a re-ask may help."""
        common = {
            **base,
            "attempts": attempts,
            "prompt_tokens": out.prompt_tokens,
            "completion_tokens": out.completion_tokens,
        }
        if out.error is not None:
            return Result(**common, text=out.text, error=out.error), None
        if schema is None:
            return Result(**common, text=out.text), None
        try:
            parsed = schema.model_validate_json(out.text or "")
        except ValidationError as err:
            reason = _short_validation_error(err)
            msg = f"output failed {schema.__name__} validation after {attempts} attempt(s): "
            return Result(**common, text=out.text, error=msg + reason), reason
        return Result(**common, text=out.text, parsed=parsed), None

    @staticmethod
    def _reask(bad: str, reason: str) -> tuple[ChatMessage, ChatMessage]:
        from mmcurate.prompts import load_prompt

        _, user = load_prompt("reask", 1).render({"error": reason})
        return ChatMessage(role="assistant", content=bad), ChatMessage(role="user", content=user)

    def close(self) -> None:
        """Release the backend and the cache connection."""
        if self._backend is not None:
            self._backend.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> ModelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

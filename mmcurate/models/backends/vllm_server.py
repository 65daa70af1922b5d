"""The ``vllm-server`` backend: OpenAI-compatible HTTP to ``vllm serve``.

A thread pool of ``concurrency`` workers shares one ``httpx.Client`` (a connection pool of the
same size); threads rather than asyncio so callers need no event loop and the backend works
inside other frameworks' loops. Each request is retried with exponential backoff after a
timeout, a connection error, a 429 or a 5xx (``Retry-After`` is honoured); other 4xx are
final. Structured output uses ``response_format: json_schema`` (vLLM's structured outputs).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from pydantic import BaseModel

from mmcurate.errors import ConfigError
from mmcurate.models.backends.base import Backend, describe_error, openai_messages, schema_name
from mmcurate.models.config import ModelConfig
from mmcurate.models.errors import ModelUnavailableError
from mmcurate.models.types import GenerationConfig, RawOutput, Request

_MAX_BACKOFF_S = 30.0


def base_url(url: str) -> str:
    """The server root: trailing ``/`` and ``/v1`` removed (both spellings are accepted)."""
    url = url.strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def _server_message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:500]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:500]
        if body.get("message"):
            return str(body["message"])[:500]
    return resp.text[:500]


class ServerInfo(BaseModel):
    """What a server said about itself."""

    url: str
    healthy: bool
    models: list[str] = []
    max_model_len: dict[str, int] = {}
    error: str | None = None


def probe(url: str, api_key: str | None = None, timeout_s: float = 5.0) -> ServerInfo:
    """Ask a server for ``/health`` and ``/v1/models``; never raises.

    Args:
        url: The server URL (with or without ``/v1``).
        api_key: Bearer token, if the server needs one.
        timeout_s: Seconds per HTTP call.
    """
    root = base_url(url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        with httpx.Client(timeout=timeout_s, headers=headers) as client:
            health = client.get(root + "/health")
            if health.status_code != 200:
                return ServerInfo(
                    url=root, healthy=False, error=f"/health answered HTTP {health.status_code}"
                )
            resp = client.get(root + "/v1/models")
            if resp.status_code != 200:
                msg = f"/v1/models answered HTTP {resp.status_code}: {_server_message(resp)}"
                return ServerInfo(url=root, healthy=True, error=msg)
            data = resp.json().get("data", [])
    except httpx.HTTPError as err:
        return ServerInfo(url=root, healthy=False, error=describe_error(err))
    names = [str(m.get("id")) for m in data]
    lens = {str(m.get("id")): int(m["max_model_len"]) for m in data if m.get("max_model_len")}
    return ServerInfo(url=root, healthy=True, models=names, max_model_len=lens)


class VllmServerBackend(Backend):
    """Chat completions against a running vLLM OpenAI-compatible server."""

    name = "vllm-server"

    def __init__(self, config: ModelConfig) -> None:
        """Prepare the HTTP client (no request is made until the first batch)."""
        super().__init__(config)
        assert config.url is not None  # ModelConfig guarantees it for this backend
        self.root = base_url(config.url)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._http = httpx.Client(
            timeout=httpx.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s)),
            limits=httpx.Limits(
                max_connections=config.concurrency, max_keepalive_connections=config.concurrency
            ),
            headers=headers,
        )
        self._model = config.model
        self._lock = threading.Lock()
        #: Chat-completion POSTs sent (retries included), for tests and stats.
        self.http_calls = 0

    @property
    def model_name(self) -> str | None:
        """The served model name (asked of the server when not configured)."""
        if self._model is None:
            self.check()
        return self._model

    def check(self) -> None:
        """Fail fast, with the fix in the message, when the server is down or lacks the model."""
        info = probe(self.root, self.config.api_key, timeout_s=min(10.0, self.config.timeout_s))
        if not info.healthy or info.error:
            raise ModelUnavailableError(
                f"vLLM server at {self.root} is not usable ({info.error}). Start one with "
                "`curate serve --model MODEL` or point MMCURATE_VLM_URL / --url at a running one"
                " (`curate models check URL` tests it)."
            )
        if self._model is None:
            if len(info.models) != 1:
                raise ConfigError(
                    f"the server at {self.root} serves {len(info.models)} models "
                    f"({', '.join(info.models) or 'none'}); choose one with MMCURATE_MODEL/--model"
                )
            self._model = info.models[0]
        elif self._model not in info.models:
            raise ModelUnavailableError(
                f"the server at {self.root} does not serve model {self._model!r}; it serves: "
                f"{', '.join(info.models) or 'nothing'}"
            )

    def _body(
        self, request: Request, json_schema: dict[str, Any] | None, config: GenerationConfig
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": openai_messages(request, self.config),
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
        }
        if config.seed is not None:
            body["seed"] = config.seed
        if config.stop:
            body["stop"] = list(config.stop)
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name(json_schema),
                    "schema": json_schema,
                    "strict": True,
                },
            }
        return body

    def _delay(self, attempt: int, resp: httpx.Response | None) -> float:
        if resp is not None and resp.headers.get("retry-after"):
            try:
                return min(_MAX_BACKOFF_S, max(0.0, float(resp.headers["retry-after"])))
            except ValueError:
                pass
        base = self.config.backoff_s * (2**attempt)
        return min(_MAX_BACKOFF_S, base * (1 + 0.25 * random.random()))

    def _one(
        self, request: Request, json_schema: dict[str, Any] | None, config: GenerationConfig
    ) -> RawOutput:
        try:
            body = self._body(request, json_schema, config)
        except Exception as err:  # unreadable media: this request's error only
            return RawOutput(error="could not prepare the request: " + describe_error(err))
        url = self.root + "/v1/chat/completions"
        last = ""
        for attempt in range(self.config.max_retries + 1):
            resp: httpx.Response | None = None
            with self._lock:
                self.http_calls += 1
            try:
                resp = self._http.post(url, json=body)
            except httpx.TimeoutException as err:
                last = f"timed out after {self.config.timeout_s:g} s ({type(err).__name__})"
            except httpx.TransportError as err:
                last = "connection failed: " + describe_error(err)
            else:
                if resp.status_code == 200:
                    return self._parse(resp)
                last = f"HTTP {resp.status_code}: {_server_message(resp)}"
                if resp.status_code != 429 and resp.status_code < 500:
                    return RawOutput(error=f"server rejected the request: {last}")
            if attempt < self.config.max_retries:
                time.sleep(self._delay(attempt, resp))
        tries = self.config.max_retries + 1
        return RawOutput(error=f"vLLM server {self.root}: {last} (gave up after {tries} tries)")

    @staticmethod
    def _parse(resp: httpx.Response) -> RawOutput:
        try:
            data = resp.json()
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as err:
            return RawOutput(error="malformed server response: " + describe_error(err))
        usage = data.get("usage") or {}
        return RawOutput(
            text=text or "",
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
        )

    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        """Send the requests, at most ``concurrency`` at a time."""
        if not requests:
            return []
        if self._model is None:
            self.check()
        workers = min(self.config.concurrency, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vllm-http") as pool:
            return list(pool.map(lambda r: self._one(r, json_schema, config), requests))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

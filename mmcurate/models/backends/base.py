"""What every backend implements, and the OpenAI chat form shared by the vLLM backends."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from mmcurate.models.config import ModelConfig
from mmcurate.models.media import image_data_url, video_data_url, video_frames
from mmcurate.models.types import (
    GenerationConfig,
    ImagePart,
    RawOutput,
    Request,
    TextPart,
    VideoPart,
)


class Backend(ABC):
    """One way to run model calls. The client owns caching, validation and re-asks.

    A backend turns requests into raw outputs, one per request and in order; a request that
    fails becomes ``RawOutput(error=...)`` and never fails the others.
    """

    #: The backend's name in configuration.
    name: ClassVar[str]
    #: Whether outputs come from heuristics rather than a model.
    heuristic: ClassVar[bool] = False
    #: Whether outputs go into the request cache.
    cacheable: ClassVar[bool] = True

    def __init__(self, config: ModelConfig) -> None:
        """Keep the configuration; heavy resources load lazily on first use."""
        self.config = config

    @property
    def model_name(self) -> str | None:
        """The model identity used in provenance and cache keys."""
        return self.config.model

    def check(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Raise :class:`~mmcurate.models.errors.ModelUnavailableError` when unusable.

        Called by the client before each batch; the default does nothing.
        """

    @abstractmethod
    def generate(
        self,
        requests: Sequence[Request],
        schema: type[BaseModel] | None,
        json_schema: dict[str, Any] | None,
        config: GenerationConfig,
    ) -> list[RawOutput]:
        """Run the requests; one output per request, in order.

        Args:
            requests: The requests.
            schema: The output model, when structured output is wanted.
            json_schema: ``schema``'s JSON schema (what constrained decoding follows).
            config: Sampling parameters.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Release resources (connections, models); the default does nothing."""


def openai_messages(request: Request, config: ModelConfig) -> list[dict[str, Any]]:
    """A request as OpenAI chat messages: images and sampled videos as ``data:`` URLs.

    Videos are sampled here with PyAV (``video_fps`` / ``video_max_frames``) and sent as
    vLLM's ``data:video/jpeg;base64,<frame>,<frame>,...`` form, so every backend sees the
    same frames.
    """
    out: list[dict[str, Any]] = []
    for m in request.messages:
        if isinstance(m.content, str):
            out.append({"role": m.role, "content": m.content})
            continue
        content: list[dict[str, Any]] = []
        for p in m.content:
            if isinstance(p, TextPart):
                content.append({"type": "text", "text": p.text})
            elif isinstance(p, ImagePart):
                content.append({"type": "image_url", "image_url": {"url": image_data_url(p.image)}})
            elif isinstance(p, VideoPart):
                frames, _ = video_frames(p, config.video_fps, config.video_max_frames)
                content.append({"type": "video_url", "video_url": {"url": video_data_url(frames)}})
        out.append({"role": m.role, "content": content})
    return out


def schema_name(json_schema: dict[str, Any]) -> str:
    """A name for ``response_format.json_schema.name`` (letters, digits, ``_``, ``-``)."""
    title = str(json_schema.get("title") or "output")
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in title)
    return cleaned[:64] or "output"


def describe_error(err: BaseException) -> str:
    """``Type: message`` for an exception, for error values."""
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__

"""Requests, sampling parameters and results of the one model client interface.

A :class:`Request` is a chat: :class:`ChatMessage` turns whose content is text or a list of
parts (:class:`TextPart`, :class:`ImagePart`, :class:`VideoPart`). Every backend receives
the same requests and returns one :class:`Result` per request, in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeAlias

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: An image given to a model: a PIL image, a local path (``str``/``Path``, ``file://``),
#: a ``data:`` URL or an ``http(s)://`` URL (passed through to servers that fetch it).
ImageSource: TypeAlias = Image.Image | Path | str

BackendName = Literal["heuristic", "vllm-server", "vllm-offline", "transformers"]

#: Every backend name, in the order the docs list them.
BACKENDS: tuple[str, ...] = ("heuristic", "vllm-server", "vllm-offline", "transformers")


class TextPart(BaseModel):
    """A piece of text inside a message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An image inside a message (PIL image, path or URL)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    type: Literal["image"] = "image"
    image: ImageSource


class VideoPart(BaseModel):
    """A video inside a message: a file, sampled to frames with PyAV, or frames already sampled.

    Attributes:
        video: A local video file, or a list of frames (PIL images or image paths).
        fps: Frames per second to sample (``None``: the client's ``video_fps``).
        max_frames: Upper bound on sampled frames (``None``: the client's ``video_max_frames``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    type: Literal["video"] = "video"
    video: Path | str | list[ImageSource]
    fps: float | None = Field(default=None, gt=0)
    max_frames: int | None = Field(default=None, ge=1)


Part = TextPart | ImagePart | VideoPart


class ChatMessage(BaseModel):
    """One turn of a model request (not a dataset sample's :class:`mmcurate.sample.Message`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str | list[Part]

    def parts(self) -> list[Part]:
        """The content as a list of parts (a plain string is one text part)."""
        if isinstance(self.content, str):
            return [TextPart(text=self.content)]
        return list(self.content)


class Request(BaseModel):
    """One model call: a chat plus where its prompt came from.

    Build one from a versioned prompt with :meth:`mmcurate.prompts.Prompt.request`, which
    fills ``prompt_id``/``prompt_version`` (they go into provenance and the cache key).

    Attributes:
        messages: The conversation, ending with the turn the model answers.
        prompt_id: The prompt's id, or ``None`` for ad-hoc requests.
        prompt_version: The prompt's version.
        key: The caller's own label (e.g. a sample id), copied to the result.
        meta: Caller data for heuristic handlers (e.g. precomputed stats); part of the cache key.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: list[ChatMessage] = Field(min_length=1)
    prompt_id: str | None = None
    prompt_version: int | None = None
    key: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _version_needs_id(self) -> Request:
        if self.prompt_version is not None and self.prompt_id is None:
            raise ValueError("prompt_version given without prompt_id")
        return self

    @classmethod
    def user(
        cls,
        text: str,
        images: list[ImageSource] | None = None,
        videos: list[VideoPart] | None = None,
        system: str | None = None,
        **fields: Any,
    ) -> Request:
        """A one-turn request: media first, then the text (optionally after a system turn).

        Args:
            text: The user's text.
            images: Images placed before the text.
            videos: Videos placed before the text (after the images).
            system: Optional system message.
            **fields: Other :class:`Request` fields (``prompt_id``, ``key``, ...).
        """
        parts: list[Part] = [ImagePart(image=im) for im in images or []]
        parts += list(videos or [])
        parts.append(TextPart(text=text))
        msgs = [ChatMessage(role="system", content=system)] if system else []
        msgs.append(ChatMessage(role="user", content=parts))
        return cls(messages=msgs, **fields)

    def with_turns(self, *turns: ChatMessage) -> Request:
        """A copy with ``turns`` appended (used for re-asks)."""
        return self.model_copy(update={"messages": [*self.messages, *turns]})


class GenerationConfig(BaseModel):
    """Sampling parameters of one ``generate`` call (all of them are part of the cache key).

    Attributes:
        max_tokens: Upper bound on generated tokens.
        temperature: 0 means greedy decoding.
        top_p: Nucleus sampling mass.
        seed: Sampling seed (backends that support it).
        stop: Stop strings.
        max_reasks: How many times a request whose output fails schema validation is asked
            again (with the validation error) before it becomes an error result. Not part of
            the cache key: only validated outputs are stored.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(default=512, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int | None = 0
    stop: tuple[str, ...] = ()
    max_reasks: int = Field(default=1, ge=0)

    def sampling_key(self) -> dict[str, Any]:
        """The fields that change what a model generates (the cache key's sampling part)."""
        return self.model_dump(exclude={"max_reasks"}, mode="json")


class RawOutput(BaseModel):
    """What a backend returns for one request before validation."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    parsed: Any = None


class Result(BaseModel):
    """One request's outcome, with provenance.

    Per-request failures are values: ``error`` is set and ``parsed`` is ``None``; the
    batch never fails because one request did.

    Attributes:
        text: The model's raw output (``None`` when nothing came back).
        parsed: The validated schema instance when a schema was given and the output passed.
        error: Why the request failed (transport, server or validation), else ``None``.
        backend: The backend that produced it.
        model: The model name (served name, path or hub id); ``None`` for heuristics.
        prompt_id: The request's prompt id.
        prompt_version: The request's prompt version.
        key: The request's ``key``.
        cached: Whether it came from the request cache (no model call).
        heuristic: Whether it came from heuristics rather than a model.
        attempts: Model calls made for it (re-asks count; transport retries do not).
        prompt_tokens: Prompt tokens, when the backend reports them.
        completion_tokens: Generated tokens, when the backend reports them.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    text: str | None = None
    parsed: Any = None
    error: str | None = None
    backend: str
    model: str | None = None
    prompt_id: str | None = None
    prompt_version: int | None = None
    key: str | None = None
    cached: bool = False
    heuristic: bool = False
    attempts: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the request succeeded (no error)."""
        return self.error is None

    def provenance(self) -> dict[str, Any]:
        """The fields a sample records about where a model output came from."""
        return {
            "backend": self.backend,
            "model": self.model,
            "prompt_id": self.prompt_id,
            "prompt_version": self.prompt_version,
            "cached": self.cached,
            "heuristic": self.heuristic,
        }

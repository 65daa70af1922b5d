"""Builders shared by the text-op tests."""

from __future__ import annotations

from typing import Any, cast

from mmcurate.ops.base import Filter, Mapper, OpContext, TextView
from mmcurate.ops.registry import create
from mmcurate.sample import Message, Sample

#: The punctuation line Data-Juicer's unit tests use in most text-op tests.
DJ_PUNCT = "，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►"


def user(text: str, images: int = 0) -> Sample:
    """One user turn; ``images`` paths (put ``<image>`` placeholders in ``text`` yourself)."""
    return Sample(
        id="s",
        images=[f"{i}.png" for i in range(images)],
        messages=[Message(role="user", content=text)],
    )


def chat(*turns: str, images: int = 0) -> Sample:
    """Alternating user / assistant turns."""
    roles = ("user", "assistant")
    return Sample(
        id="c",
        images=[f"{i}.png" for i in range(images)],
        messages=[Message(role=roles[i % 2], content=t) for i, t in enumerate(turns)],
    )


def filt(name: str, params: dict[str, Any] | None = None, view: TextView = "plain") -> Filter:
    """The filter ``name`` bound to a run context with the given text view."""
    f = cast(Filter, create(name, params or {}))
    f.bind(OpContext(text_view=view))
    return f


def mapper(name: str, params: dict[str, Any] | None = None, view: TextView = "plain") -> Mapper:
    """The mapper ``name`` bound to a run context with the given text view."""
    m = cast(Mapper, create(name, params or {}))
    m.bind(OpContext(text_view=view))
    return m


def dj_kept(name: str, params: dict[str, Any], texts: list[str]) -> list[str]:
    """The texts a filter keeps, each read as a Data-Juicer ``text`` (dj view): the way
    Data-Juicer's unit tests run a filter over rows ``{"text": ...}``."""
    f = filt(name, params, view="dj")
    return [t for t in texts if f.drop_reason(f.compute_stats(user(t))) is None]


def dj_mapped(name: str, params: dict[str, Any], text: str) -> str:
    """A mapper's output for one Data-Juicer ``text`` (dj view)."""
    return mapper(name, params, view="dj").process(user(text)).messages[0].content

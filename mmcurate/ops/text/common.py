"""Shared pieces of the Data-Juicer text ops: filter range options and mapper text plumbing.

Filters: every Data-Juicer filter also takes ``min_closed_interval``,
``max_closed_interval`` and ``reversed_range`` (from its ``Filter`` base class); the text
filters here accept them through :class:`DJRangeParams` and decide with
:func:`dj_range_reason`, which is :func:`~mmcurate.ops.base.range_reason` for the default
closed interval.

Mappers: Data-Juicer rewrites the sample's whole ``text``. :func:`map_text` applies a
``str -> str`` rewrite the same way in the ``dj`` text view (to the Data-Juicer text, then
parsed back into turns) and to each turn's content in the ``plain`` view.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from mmcurate.io.dj import messages_to_text, text_to_messages
from mmcurate.ops.base import Op, Params, SampleError, _fmt, range_reason
from mmcurate.sample import PLACEHOLDERS, Message, Sample


class DJRangeParams(Params):
    """Data-Juicer's filter-base options, shared by the text filters."""

    min_closed_interval: bool = Field(
        True, description="Keep a stat equal to the minimum (closed lower bound)."
    )
    max_closed_interval: bool = Field(
        True, description="Keep a stat equal to the maximum (closed upper bound)."
    )
    reversed_range: bool = Field(
        False,
        description="Keep samples OUTSIDE the range instead (bounds' closedness flipped, "
        "as in Data-Juicer).",
    )


def dj_range_reason(
    stat: str,
    value: float,
    lo: float,
    hi: float,
    lo_name: str,
    hi_name: str,
    params: DJRangeParams,
) -> str | None:
    """Data-Juicer's ``get_keep_boolean`` as a drop reason (``None`` keeps).

    With the defaults (closed bounds, not reversed) this is
    :func:`~mmcurate.ops.base.range_reason`: keep ``lo <= value <= hi``.
    """
    lo_closed, hi_closed = params.min_closed_interval, params.max_closed_interval
    if not params.reversed_range and lo_closed and hi_closed:
        return range_reason(stat, value, lo, hi, lo_name, hi_name)
    if params.reversed_range:
        lo_closed, hi_closed = not lo_closed, not hi_closed
    above = value >= lo if lo_closed else value > lo
    below = value <= hi if hi_closed else value < hi
    inside = above and below
    if inside != params.reversed_range:
        return None
    v = _fmt(value)
    lb, hb = ("[" if lo_closed else "("), ("]" if hi_closed else ")")
    interval = f"{lb}{lo_name}={_fmt(lo)}, {hi_name}={_fmt(hi)}{hb}"
    if params.reversed_range:
        return f"{stat}={v} inside {interval} (reversed_range)"
    return f"{stat}={v} outside {interval}"


def map_text(op: Op, sample: Sample, fn: Callable[[str], str]) -> Sample:
    """Apply a text rewrite to a sample as the op's text view says.

    ``plain``: ``fn`` rewrites each turn's content. ``dj``: ``fn`` rewrites the text
    Data-Juicer holds for the sample (turn prefixes, special tokens), which is then parsed
    back into turns; this is exactly Data-Juicer's behaviour, including matches that span
    turns.

    Returns:
        ``sample`` itself when nothing changed, else a copy with new messages.

    Raises:
        SampleError: (dj view) the rewrite changed the turn roles or the media tokens.
    """
    if op.ctx.text_view == "dj":
        return _map_dj_text(op, sample, fn)
    new = [fn(m.content) for m in sample.messages]
    if all(n == m.content for n, m in zip(new, sample.messages, strict=True)):
        return sample
    return with_contents(sample, new)


def with_contents(sample: Sample, contents: list[str]) -> Sample:
    """A copy of ``sample`` whose messages have these contents (roles unchanged)."""
    messages = [
        Message.model_construct(role=m.role, content=c)
        for m, c in zip(sample.messages, contents, strict=True)
    ]
    return sample.model_copy(update={"messages": messages})


def _map_dj_text(op: Op, sample: Sample, fn: Callable[[str], str]) -> Sample:
    raw = [{"role": m.role, "content": m.content} for m in sample.messages]
    text = messages_to_text(raw)
    new_text = fn(text)
    if new_text == text:
        return sample
    new = text_to_messages(new_text)
    roles = [m["role"] for m in new]
    if roles != [m["role"] for m in raw]:
        raise SampleError(f"{op.name}: the rewrite changed the turns of the Data-Juicer text")
    for token in PLACEHOLDERS:
        before = sum(m["content"].count(token) for m in raw)
        if sum(m["content"].count(token) for m in new) != before:
            raise SampleError(f"{op.name}: the rewrite changed the {token} tokens")
    return with_contents(sample, [m["content"] for m in new])

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

from pydantic import Field, field_validator

from mmcurate.io.dj import from_dj, messages_to_text, text_to_messages
from mmcurate.ops.base import Op, Params, SampleError, range_reason
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
    v = _num(value)
    lb, hb = ("[" if lo_closed else "("), ("]" if hi_closed else ")")
    interval = f"{lb}{lo_name}={_num(lo)}, {hi_name}={_num(hi)}{hb}"
    if params.reversed_range:
        return f"{stat}={v} inside {interval} (reversed_range)"
    return f"{stat}={v} outside {interval}"


def _num(v: float) -> str:
    """Numbers as :func:`~mmcurate.ops.base.range_reason` writes them."""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def map_text(op: Op, sample: Sample, fn: Callable[[str], str]) -> Sample:
    """Apply a text rewrite to a sample as the op's text view says.

    ``plain``: ``fn`` rewrites each turn's content. ``dj``: ``fn`` rewrites the text
    Data-Juicer holds for the sample (turn prefixes, special tokens), which is then parsed
    back into turns, so a rewrite sees what Data-Juicer's sees (matches may span turns).

    Returns:
        ``sample`` itself when nothing changed, else a copy with new messages.

    Raises:
        SampleError: the rewrite added or removed media placeholders, or (dj view) changed
            the turns.
    """
    if op.ctx.text_view == "dj":
        return _map_dj_text(op, sample, fn)
    new = [fn(m.content) for m in sample.messages]
    changed = False
    for n, m in zip(new, sample.messages, strict=True):
        if n != m.content:
            changed = True
            _check_placeholders(op, m.content, n)
    return with_contents(sample, new) if changed else sample


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
    if len(raw) == 1 and raw[0]["role"] == "user":
        # One user turn is written as its content alone (no turn prefix to parse back).
        contents = [from_dj(new_text)]
    else:
        new = text_to_messages(new_text)
        if [m["role"] for m in new] != [m["role"] for m in raw]:
            raise SampleError(f"{op.name}: the rewrite changed the turns of the Data-Juicer text")
        contents = [m["content"] for m in new]
    _check_placeholders(op, "\n".join(m["content"] for m in raw), "\n".join(contents))
    return with_contents(sample, contents)


def _check_placeholders(op: Op, before: str, after: str) -> None:
    """A rewrite must keep the media placeholders (they pair with the media lists)."""
    for token in PLACEHOLDERS:
        if (token in before or token in after) and before.count(token) != after.count(token):
            raise SampleError(f"{op.name}: the rewrite changed the {token} placeholders")


def reject_tokenization(value: bool, model: str) -> bool:
    """Validator body for Data-Juicer's ``tokenization`` flag: only ``False`` is available.

    Raises:
        ValueError: for ``True`` (pydantic reports it; the op raises ``ConfigError``).
    """
    if value:
        raise ValueError(
            f"tokenization: true needs a model download ({model}), which is not available "
            "offline; use tokenization: false (words split on spaces, newlines and tabs)"
        )
    return value


class LangTokenizationParams(DJRangeParams):
    """``lang`` and ``tokenization``, as the word-based Data-Juicer filters take them."""

    lang: str = Field(
        "en",
        description="Sample language. Data-Juicer uses it only to pick a tokenizer model "
        "when tokenization is on; with whitespace splitting it has no effect.",
    )
    tokenization: bool = Field(
        False,
        description="Use Data-Juicer's sentencepiece tokenizer for `lang` instead of "
        "whitespace words. Needs a model download: only false is available.",
    )

    @field_validator("tokenization")
    @classmethod
    def _offline(cls, v: bool) -> bool:
        return reject_tokenization(v, "Data-Juicer's sentencepiece model for `lang`")

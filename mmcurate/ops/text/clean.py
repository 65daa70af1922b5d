"""Email and link removal (Data-Juicer ``clean_email_mapper`` / ``clean_links_mapper``
semantics).

Patterns are compiled with the ``regex`` package and ``DOTALL``, as in Data-Juicer (its
``\\w``, ``\\b`` and ``\\s`` follow the Unicode properties, unlike ``re``'s). A custom
``pattern`` written as ``r'...'`` or ``r"..."`` (the quotes inside the YAML string) has those
removed, as Data-Juicer does.
"""

from __future__ import annotations

import re
from typing import Any

import regex
from pydantic import Field, field_validator

from mmcurate.ops.base import Mapper, Params
from mmcurate.ops.registry import register
from mmcurate.ops.text.common import map_text
from mmcurate.sample import Sample

#: Data-Juicer's default email pattern.
EMAIL_PATTERN = r"[A-Za-z0-9.\-+_]+@[a-z0-9.\-+_]+\.[a-z]+"

#: Data-Juicer's default link pattern (after kallewesterling/CleanText): scheme links
#: (``http://``, ``ftp://``, ``mailto:x``...), ``www.`` hosts and ``host.tld/`` paths.
LINK_PATTERN = (
    r"(?i)\b("
    r"(?:[a-z][\w-]+:(?:\/{1,3}|"
    r"[a-z0-9%])|www\d{0,3}[.]|"
    r"[a-z0-9.\-]+[.][a-z]{2,4}\/)"
    r"(?:[^\s()<>]+|\(([^\s()<>]+|"
    r"(\([^\s()<>]+\)))*\))"
    r"+(?:\(([^\s()<>]+|(\([^\s()<>]+\)))*\)|"
    r"[^\s`!()\[\]{};:\'\".,<>?«»“”‘’])"
    r")"
)


def unquote_pattern(pattern: str) -> str:
    """Drop the ``r'...'`` / ``r"..."`` wrapping Data-Juicer strips from custom patterns."""
    if len(pattern) > 2 and (
        (pattern.startswith("r'") and pattern.endswith("'"))
        or (pattern.startswith('r"') and pattern.endswith('"'))
    ):
        return pattern[2:-1]
    return pattern


class CleanEmailParams(Params):
    """Parameters of ``clean_email_mapper``."""

    pattern: str | None = Field(
        None, description="Regular expression of what to remove (default: an email pattern)."
    )
    repl: str = Field("", description="Replacement string (backreferences allowed).")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        return check_pattern(v)


@register("clean_email_mapper")
class CleanEmailMapper(Mapper[CleanEmailParams]):
    """Remove email addresses (or replace them by `repl`)."""

    Params = CleanEmailParams

    def __init__(self, params: CleanEmailParams | dict[str, Any] | None = None) -> None:
        super().__init__(params)
        self._regex = compile_pattern(self.params.pattern, EMAIL_PATTERN)

    def process(self, sample: Sample) -> Sample:
        return map_text(self, sample, self.clean)

    def clean(self, text: str) -> str:
        """``text`` with every match replaced by ``repl``."""
        return self._regex.sub(self.params.repl, text)


class CleanLinksParams(Params):
    """Parameters of ``clean_links_mapper``."""

    pattern: str | None = Field(
        None, description="Regular expression of what to remove (default: a link pattern)."
    )
    repl: str = Field("", description="Replacement string (backreferences allowed).")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        return check_pattern(v)


@register("clean_links_mapper")
class CleanLinksMapper(Mapper[CleanLinksParams]):
    """Remove links: http/https/ftp and other scheme URLs, www. hosts (or replace by `repl`)."""

    Params = CleanLinksParams

    def __init__(self, params: CleanLinksParams | dict[str, Any] | None = None) -> None:
        super().__init__(params)
        self._regex = compile_pattern(self.params.pattern, LINK_PATTERN)
        self._default = self.params.pattern is None

    def process(self, sample: Sample) -> Sample:
        return map_text(self, sample, self.clean)

    def clean(self, text: str) -> str:
        """``text`` with every match replaced by ``repl``."""
        if self._default and not could_hold_link(text):
            return text
        return self._regex.sub(self.params.repl, text)


#: ``:`` then a character ``(?i)[a-z0-9%/]`` can match under the ``regex`` package's case
#: folding (which adds U+0130, U+017F and U+212A).
_SCHEME_COLON = re.compile(":[/A-Za-z0-9%\u0130\u017f\u212a]")


def could_hold_link(text: str) -> bool:
    """Whether :data:`LINK_PATTERN` can match (a cheap test before the costly pattern).

    Each of its three forms needs one of: a scheme colon followed by ``/`` or an
    alphanumeric or ``%``; ``www`` in any case; a ``/`` (``host.tld/``).
    """
    return "/" in text or _SCHEME_COLON.search(text) is not None or "www" in text.lower()


def check_pattern(pattern: str | None) -> str | None:
    """Validator body: a custom pattern must compile.

    Raises:
        ValueError: naming the regex error (pydantic reports it; the op a ``ConfigError``).
    """
    if pattern is not None:
        try:
            regex.compile(unquote_pattern(pattern), regex.DOTALL)
        except regex.error as err:
            raise ValueError(f"not a valid regular expression: {err}") from None
    return pattern


def compile_pattern(pattern: str | None, default: str) -> regex.Pattern[str]:
    """The compiled custom ``pattern``, or ``default`` (``DOTALL``, as Data-Juicer)."""
    return regex.compile(default if pattern is None else unquote_pattern(pattern), regex.DOTALL)

"""Errors: values at the sample level, exceptions at the run level.

A bad sample becomes an :class:`ErrorRecord` (its id, the op or stage, the file, the reason)
and the run goes on. A bad recipe, config or input file raises a :class:`MmcurateError`
subclass before any work starts; the CLI prints its message without a traceback.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorRecord(BaseModel):
    """One sample that could not be processed.

    Attributes:
        sample_id: The sample's id (for unparseable input, ``<file>:<line>``).
        op: The op name, or ``"load"`` for reading/validating input.
        reason: Human-readable cause, naming the field or media file when known.
        file: The input or media file concerned, when known.
        line: 1-based line number in the input file, when known.
    """

    model_config = ConfigDict(extra="forbid")

    sample_id: str
    op: str
    reason: str
    file: str | None = None
    line: int | None = None


class MmcurateError(Exception):
    """A run-level error with a message meant for the user (no traceback needed)."""


class ConfigError(MmcurateError):
    """Invalid recipe, parameter, option or configuration."""


class FormatError(MmcurateError):
    """An input file whose format is unknown, ambiguous or unreadable as a whole."""


class MissingDependencyError(MmcurateError):
    """An optional dependency is not installed; the message names the extra to install."""


def require_module(module: str, needed_for: str, extra: str) -> Any:
    """Import an optional dependency, or fail naming the extra that provides it.

    Raises:
        MissingDependencyError: ``module`` is not installed.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingDependencyError(
            f"{needed_for} needs {module}: pip install 'mmcurate[{extra}]' ({err})"
        ) from err

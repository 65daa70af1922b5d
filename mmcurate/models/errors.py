"""Run-level errors of the model layer (per-request failures are values on the result)."""

from __future__ import annotations

from mmcurate.errors import MmcurateError


class ModelUnavailableError(MmcurateError):
    """The configured model cannot be used at all (server unreachable, model not served)."""

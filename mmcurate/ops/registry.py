"""The op registry: stable names -> op classes.

Ops register with the :func:`register` decorator; the kind comes from the base class.
Recipes refer to ops by name only, so refactors never break a user's YAML.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from mmcurate.errors import ConfigError
from mmcurate.ops.base import Op

_REGISTRY: dict[str, type[Op]] = {}
_LOADED = False

T = TypeVar("T", bound=type[Op])


def register(name: str) -> Callable[[T], T]:
    """Class decorator registering an op under a stable ``name``.

    Raises:
        ValueError: if the name is taken or the class is not a concrete op kind.
    """

    def deco(cls: T) -> T:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"op name '{name}' is already registered by {_REGISTRY[name]!r}")
        if not hasattr(cls, "kind"):
            raise ValueError(f"{cls!r} must subclass Mapper, Filter, Deduplicator or Selector")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_builtins() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        import mmcurate.ops.builtin  # noqa: F401  (registers the built-in ops)


def names() -> list[str]:
    """All registered op names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def get(name: str) -> type[Op]:
    """The op class registered as ``name``.

    Raises:
        ConfigError: unknown name; the message lists close matches and where to see all.
    """
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"unknown op '{name}'.{hint} Valid ops: {', '.join(sorted(_REGISTRY))} "
            "(`curate ops list` describes them)"
        ) from None


def create(name: str, params: dict[str, Any] | None = None) -> Op:
    """Instantiate the op ``name`` with validated ``params``."""
    return get(name)(params)

"""Output schemas that prompt files refer to by name (``output_schema: <name>``).

Names, not import paths, so a prompt file survives refactors (CONVENTIONS point 5).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from mmcurate.errors import ConfigError

_schemas: dict[str, type[BaseModel]] = {}


#: Longest bound :func:`printable` allows: xgrammar 0.2.8 (vLLM 0.32's default structured
#: output backend) fails to compile ``{1,n}`` repeats with n > 128 ("per_rule_fsm_hashes").
MAX_PATTERN_REPEAT = 128


def printable(max_len: int) -> str:
    """A ``pattern`` for 1..max_len characters, none a control character, ``\\`` or ``"``.

    Under constrained decoding (xgrammar, in vLLM and in the transformers backend) a bare
    string admits raw control characters, which no JSON parser accepts, and ``maxLength``
    next to a ``pattern`` is not supported; this pattern carries both rules. Use it for short
    free-text fields of output schemas.

    Raises:
        ValueError: ``max_len`` is outside 1..:data:`MAX_PATTERN_REPEAT`.
    """
    if not 1 <= max_len <= MAX_PATTERN_REPEAT:
        raise ValueError(f"max_len must be 1..{MAX_PATTERN_REPEAT} (xgrammar limit), not {max_len}")
    return rf'^[^\x00-\x1f\\"]{{1,{max_len}}}$'


def register_output_schema(name: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Register a pydantic model as the output schema ``name`` (a class decorator).

    Raises:
        ValueError: ``name`` is already registered to another class.
    """

    def deco(cls: type[BaseModel]) -> type[BaseModel]:
        if name in _schemas and _schemas[name] is not cls:
            raise ValueError(f"output schema {name!r} is already registered")
        _schemas[name] = cls
        return cls

    return deco


def get_output_schema(name: str) -> type[BaseModel]:
    """The model registered as ``name``.

    Raises:
        ConfigError: No such schema (the message lists the registered ones).
    """
    try:
        return _schemas[name]
    except KeyError:
        valid = ", ".join(sorted(_schemas)) or "none"
        raise ConfigError(f"unknown output schema {name!r}; registered: {valid}") from None


def output_schema_names() -> list[str]:
    """Registered schema names, sorted."""
    return sorted(_schemas)


@register_output_schema("image_description")
class ImageDescription(BaseModel):
    """Answer of ``describe_image``: a caption and two checkable facts."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field(min_length=1, max_length=120, pattern=printable(120))
    has_text: bool
    num_objects: int = Field(ge=0, le=9)

"""Versioned prompts: ``mmcurate/prompts/<id>.v<N>.yaml`` behind one loader.

A prompt file holds ``id``, ``version``, ``description``, ``system`` (optional), ``user``
(with ``{placeholders}``; ``{{``/``}}`` for literal braces), ``variables`` (exactly the
placeholders used) and an optional ``output_schema`` name (see
:mod:`mmcurate.prompts.schemas`). The loader checks all of it when the file is read, and the
prompt id+version travel with every request into provenance and the request cache key.

Example::

    prompt = load_prompt("describe_image")          # latest version
    req = prompt.request({"max_words": 12}, images=["photo.jpg"], key="sample-1")
    [res] = generate([req], schema=prompt.output_schema())
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmcurate.errors import ConfigError
from mmcurate.models.types import (
    ChatMessage,
    ImagePart,
    ImageSource,
    Part,
    Request,
    TextPart,
    VideoPart,
)
from mmcurate.prompts.schemas import get_output_schema

PROMPT_DIR = Path(__file__).parent
_FILE_RE = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.yaml$")


def placeholders(template: str) -> set[str]:
    """The ``{name}`` placeholders of a template.

    Raises:
        ValueError: A malformed template, or a placeholder that is not a plain name
            (``{a.b}``, ``{a[0]}``, ``{}``, ``{a!r}``).
    """
    names = set()
    for _, field, spec, conv in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier() or spec or conv:
            raise ValueError(f"placeholder {{{field}}} must be a plain name like {{max_words}}")
        names.add(field)
    return names


class Prompt(BaseModel):
    """One versioned prompt (see the module docstring for the file format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    description: str = ""
    system: str | None = None
    user: str
    variables: list[str] = Field(default_factory=list)
    output_schema: str | None = None

    @model_validator(mode="after")
    def _variables_match_placeholders(self) -> Prompt:
        used = placeholders(self.user) | placeholders(self.system or "")
        declared = set(self.variables)
        if len(declared) != len(self.variables):
            raise ValueError("variables lists a name twice")
        if used != declared:
            missing, unused = sorted(used - declared), sorted(declared - used)
            raise ValueError(
                f"variables do not match the placeholders: used but not declared {missing}, "
                f"declared but not used {unused}"
            )
        if self.output_schema is not None:
            get_output_schema(self.output_schema)
        return self

    @property
    def ref(self) -> str:
        """``<id>.v<version>``."""
        return f"{self.id}.v{self.version}"

    def output_schema_model(self) -> type[BaseModel] | None:
        """The pydantic model of ``output_schema``, or ``None``."""
        return None if self.output_schema is None else get_output_schema(self.output_schema)

    def render(self, values: Mapping[str, Any] | None = None) -> tuple[str | None, str]:
        """``(system, user)`` with the variables filled in.

        Raises:
            ConfigError: A variable is missing or unknown (the message names it).
        """
        values = dict(values or {})
        missing = sorted(set(self.variables) - set(values))
        unknown = sorted(set(values) - set(self.variables))
        if missing or unknown:
            raise ConfigError(
                f"prompt {self.ref}: missing variables {missing}, unknown variables {unknown}; "
                f"it takes: {', '.join(self.variables) or 'none'}"
            )
        system = self.system.format_map(values).strip() if self.system else None
        return system, self.user.format_map(values).strip()

    def request(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        images: Sequence[ImageSource] = (),
        videos: Sequence[VideoPart | Path | str] = (),
        media_first: bool = True,
        key: str | None = None,
        meta: Mapping[str, Any] | None = None,
        media_root: Path | None = None,
    ) -> Request:
        """A request from this prompt: system turn (if any), then one user turn.

        Args:
            values: The prompt's variables.
            images: Images for the user turn.
            videos: Videos for the user turn (files or :class:`VideoPart`).
            media_first: Put the media before the text (Qwen's convention) or after it
                (shares a longer prefix between requests for vLLM's prefix cache).
            key: The caller's label (e.g. a sample id), copied to the result.
            meta: Data for heuristic handlers; part of the cache key.
            media_root: Folder that relative media paths are relative to (a dataset root).
        """
        system, user = self.render(values)

        def resolve(p: str | Path) -> str | Path:
            if media_root is None:
                return p
            from mmcurate.io.media import resolve_media

            return resolve_media(media_root, str(p))

        media: list[Part] = [
            ImagePart(image=im if isinstance(im, Image.Image) else resolve(im)) for im in images
        ]
        for v in videos:
            media.append(v if isinstance(v, VideoPart) else VideoPart(video=resolve(v)))
        text: list[Part] = [TextPart(text=user)]
        parts = media + text if media_first else text + media
        msgs = [ChatMessage(role="system", content=system)] if system else []
        msgs.append(ChatMessage(role="user", content=parts))
        return Request(
            messages=msgs,
            prompt_id=self.id,
            prompt_version=self.version,
            key=key,
            meta=dict(meta or {}),
        )


def load_prompt_file(path: Path) -> Prompt:
    """Read and check one prompt file (its name must be ``<id>.v<version>.yaml``).

    Raises:
        ConfigError: Bad YAML, unknown keys, mismatched variables or a name/content mismatch.
    """
    m = _FILE_RE.match(path.name)
    if m is None:
        raise ConfigError(f"prompt file {path}: the name must be <id>.v<N>.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        prompt = Prompt.model_validate(data)
    except (yaml.YAMLError, OSError) as err:
        raise ConfigError(f"prompt file {path}: {err}") from err
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"prompt file {path}: {problems}") from err
    if (prompt.id, prompt.version) != (m["id"], int(m["version"])):
        raise ConfigError(
            f"prompt file {path}: content says {prompt.ref}, the file name says "
            f"{m['id']}.v{m['version']}"
        )
    return prompt


@cache
def _catalog(folder: Path) -> dict[str, dict[int, Path]]:
    found: dict[str, dict[int, Path]] = {}
    for path in sorted(folder.glob("*.yaml")):
        m = _FILE_RE.match(path.name)
        if m:
            found.setdefault(m["id"], {})[int(m["version"])] = path
    return found


def list_prompts(folder: Path = PROMPT_DIR) -> list[tuple[str, int]]:
    """``(id, version)`` of every prompt file, sorted."""
    return sorted((pid, v) for pid, vs in _catalog(folder).items() for v in vs)


def load_prompt(name: str, version: int | None = None, folder: Path = PROMPT_DIR) -> Prompt:
    """Load a prompt by id (latest version), ``id.vN``, or id plus ``version``.

    Raises:
        ConfigError: Unknown id or version (the message lists what exists).
    """
    if version is None and (m := re.fullmatch(r"(.+)\.v([1-9][0-9]*)", name)):
        name, version = m[1], int(m[2])
    versions = _catalog(folder).get(name)
    if not versions:
        known = ", ".join(sorted(_catalog(folder))) or "none"
        raise ConfigError(f"unknown prompt {name!r}; known prompts: {known}")
    if version is None:
        version = max(versions)
    if version not in versions:
        raise ConfigError(f"prompt {name!r} has no version {version}; versions: {sorted(versions)}")
    return _load_cached(versions[version])


@cache
def _load_cached(path: Path) -> Prompt:
    return load_prompt_file(path)


__all__ = [
    "PROMPT_DIR",
    "Prompt",
    "list_prompts",
    "load_prompt",
    "load_prompt_file",
    "placeholders",
]

"""The canonical sample model and its Arrow row form.

One row is one sample. In Python a sample is a :class:`Sample` (pydantic); in a
``datasets.Dataset`` it is a row whose columns are given by :func:`features`.

Arrow layout (see docs/ARCHITECTURE.md):

- ``id``: string, stable.
- ``images`` / ``videos`` / ``audios``: list of strings (paths relative to the dataset
  root, absolute paths or URIs).
- ``messages``: list of ``{role, content}`` structs with ``<image>`` / ``<video>`` /
  ``<audio>`` placeholders at their positions.
- ``meta``: a JSON string. Its keys vary per source, so it is not a struct column.
- ``stats``: struct of typed fields named ``<op_name>.<stat>``; every op declares the
  stats it writes, so the schema is known before a map runs.
- ``scores``: struct of float fields (capability keys, snake_case).
- ``styles``: list of strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import datasets
from pydantic import BaseModel, ConfigDict, Field

IMAGE_TOKEN = "<image>"
VIDEO_TOKEN = "<video>"
AUDIO_TOKEN = "<audio>"
PLACEHOLDERS = (IMAGE_TOKEN, VIDEO_TOKEN, AUDIO_TOKEN)
_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))

Role = Literal["system", "user", "assistant"]
StatValue = float | int | str | bool | list[float] | list[int] | list[str]

#: Columns of the canonical schema, in order.
COLUMNS = ("id", "images", "videos", "audios", "messages", "meta", "stats", "scores", "styles")


class Message(BaseModel):
    """One conversation turn."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    content: str


class Sample(BaseModel):
    """A multimodal instruction sample (one row of a dataset).

    Attributes:
        id: Stable identifier; readers derive ``<source>:<index>`` when the input has none.
        images: Image paths (relative to the dataset root), absolute paths or URIs.
        videos: Video paths, same rules as ``images``.
        audios: Audio paths, same rules as ``images``.
        messages: The conversation, with media placeholders at their positions.
        meta: Anything the input had that the model does not type (source, license, ...).
        stats: Values written by ops, keyed ``<op_name>.<stat>``.
        scores: Capability scores (0-5 for VLM scorers), keyed by capability.
        styles: Interaction style labels.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    images: list[str] = Field(default_factory=list)
    videos: list[str] = Field(default_factory=list)
    audios: list[str] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    stats: dict[str, StatValue] = Field(default_factory=dict)
    scores: dict[str, float] = Field(default_factory=dict)
    styles: list[str] = Field(default_factory=list)

    def text(self, placeholders: Literal["keep", "strip"] = "strip", sep: str = "\n") -> str:
        """All message contents joined by ``sep``.

        Args:
            placeholders: ``"strip"`` removes ``<image>``/``<video>``/``<audio>`` tokens and
                trims each turn (the default for text statistics: media are not text);
                ``"keep"`` returns the contents unchanged.
            sep: Separator between turns.
        """
        if placeholders == "strip":
            return sep.join(strip_placeholders(m.content).strip() for m in self.messages)
        return sep.join(m.content for m in self.messages)

    def to_row(self) -> dict[str, Any]:
        """The Arrow row form (``meta`` as JSON)."""
        return {
            "id": self.id,
            "images": list(self.images),
            "videos": list(self.videos),
            "audios": list(self.audios),
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "meta": dump_meta(self.meta),
            "stats": dict(self.stats),
            "scores": dict(self.scores),
            "styles": list(self.styles),
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any], validate: bool = False) -> Sample:
        """Build a sample from an Arrow row.

        Null struct fields (keys other rows have) are dropped from ``stats``/``scores``.
        Rows read from our own Arrow schema are trusted; pass ``validate=True`` for
        rows of unknown origin.
        """
        data = {
            "id": row["id"],
            "images": list(row.get("images") or []),
            "videos": list(row.get("videos") or []),
            "audios": list(row.get("audios") or []),
            "messages": row.get("messages") or [],
            "meta": load_meta(row.get("meta")),
            "stats": {k: v for k, v in (row.get("stats") or {}).items() if v is not None},
            "scores": {k: v for k, v in (row.get("scores") or {}).items() if v is not None},
            "styles": list(row.get("styles") or []),
        }
        if validate:
            return cls.model_validate(data)
        data["messages"] = [Message.model_construct(**m) for m in data["messages"]]
        return cls.model_construct(**data)


def strip_placeholders(text: str) -> str:
    """Remove media placeholder tokens (and the newline that usually follows one)."""
    return _PLACEHOLDER_RE.sub("", text.replace("<image>\n", "").replace("<video>\n", ""))


def dump_meta(meta: Mapping[str, Any]) -> str:
    """Serialise ``meta`` for the Arrow column (stable key order, unicode kept)."""
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)


def load_meta(value: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Inverse of :func:`dump_meta`; tolerates dicts and empty values."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    loaded = json.loads(value)
    if not isinstance(loaded, dict):
        raise ValueError(f"meta must be a JSON object, got {type(loaded).__name__}")
    return loaded


_STAT_TYPES: dict[Any, str] = {float: "float64", int: "int64", str: "string", bool: "bool"}


def stat_feature(py_type: Any) -> datasets.Value | datasets.List:
    """Arrow type for a declared stat type: float, int, str, bool, or ``list[...]`` of one
    (per-image or per-video values)."""
    if getattr(py_type, "__origin__", None) is list:
        return datasets.List(stat_feature(py_type.__args__[0]))
    try:
        return datasets.Value(_STAT_TYPES[py_type])
    except KeyError as err:
        raise TypeError(
            f"stat type must be float, int, str, bool or a list of one; got {py_type!r}"
        ) from err


def features(
    stats: Mapping[str, Any] | None = None, scores: Iterable[str] | None = None
) -> datasets.Features:
    """The canonical ``datasets.Features`` with the given stat and score keys.

    Args:
        stats: Stat key -> python type (float, int, str, bool).
        scores: Score keys (always float).
    """
    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "images": datasets.List(datasets.Value("string")),
            "videos": datasets.List(datasets.Value("string")),
            "audios": datasets.List(datasets.Value("string")),
            "messages": datasets.List(
                {"role": datasets.Value("string"), "content": datasets.Value("string")}
            ),
            "meta": datasets.Value("string"),
            "stats": {k: stat_feature(t) for k, t in sorted((stats or {}).items())},
            "scores": {k: datasets.Value("float64") for k in sorted(scores or ())},
            "styles": datasets.List(datasets.Value("string")),
        }
    )


def declared_stats(feats: datasets.Features) -> dict[str, Any]:
    """Stat key -> python type, read back from a dataset's features."""
    inverse = {v: k for k, v in _STAT_TYPES.items()}

    def py(f: Any) -> Any:
        if isinstance(f, datasets.List):
            return list[py(f.feature)]  # type: ignore[misc]
        return inverse.get(f.dtype, str)

    return {k: py(v) for k, v in feats["stats"].items()}


def declared_scores(feats: datasets.Features) -> list[str]:
    """Score keys present in a dataset's features."""
    return list(feats["scores"].keys())


def _py_stat_type(value: Any) -> Any:
    if isinstance(value, list):
        return list[type(value[0]) if value else float]  # type: ignore[misc]
    return type(value)


def to_dataset(samples: Iterable[Sample]) -> datasets.Dataset:
    """Build a canonical ``datasets.Dataset`` from samples (small data and tests)."""
    rows = [s.to_row() for s in samples]
    stat_types: dict[str, Any] = {}
    score_keys: set[str] = set()
    for r in rows:
        for k, v in r["stats"].items():
            stat_types.setdefault(k, _py_stat_type(v))
        score_keys.update(r["scores"])
    return datasets.Dataset.from_list(rows, features=features(stat_types, score_keys))

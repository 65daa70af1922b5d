"""Operator kinds: Mapper, Filter, Deduplicator, Selector.

A concrete op subclasses one kind, declares a nested pydantic ``Params`` model
(``extra="forbid"``) and writes one or two small methods; the kind base and the runner own
the loops, batching, stats bookkeeping, error capture and tracing.

- :class:`Mapper`: ``process(sample) -> sample``.
- :class:`Filter`: ``compute_stats(sample) -> {stat: value}`` then
  ``drop_reason(stats) -> str | None`` (``None`` keeps). Stats are stored under
  ``<op_name>.<stat>`` so a threshold can change without recomputation.
- :class:`Deduplicator`: ``hash_key(sample) -> str``, then ``group(keys)`` over the whole
  dataset marks duplicates.
- :class:`Selector`: ``select(view) -> kept row indices`` over the whole dataset (a barrier).
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

import datasets
from pydantic import BaseModel, ConfigDict, Field

from mmcurate.errors import ConfigError
from mmcurate.io.dj import messages_to_text
from mmcurate.sample import Sample, StatValue

OpKind = Literal["mapper", "filter", "deduplicator", "selector"]
TextView = Literal["plain", "dj"]


class Params(BaseModel):
    """Base for op parameters: unknown keys are errors; params are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: Alias usable inside op class bodies, where ``Params`` names the op's own params model.
BaseParams = Params
P = TypeVar("P", bound=Params)


class Resources(BaseModel):
    """What one instance of an op needs; executors translate this (processes, Ray actors).

    Attributes:
        cpus: CPU cores per worker.
        gpus: GPUs per worker (fractional allowed).
        memory_gb: Memory per worker, if known.
        batch_size: Rows per batch handed to the op.
        shard_rows: Rows per shard this op prefers (slow ops: tens of ms per row), so that
            a pool of a few thousand rows still spreads over every worker. A stage uses the
            smallest hint of its ops; ``None``: the executor's default (1,000-50,000 rows).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpus: float = 1.0
    gpus: float = 0.0
    memory_gb: float | None = None
    batch_size: int = 256
    shard_rows: int | None = Field(default=None, ge=1)


@dataclass
class OpContext:
    """Run facts an op may need (set by the executor before the first batch).

    Attributes:
        root: Folder that relative media paths resolve against.
        work_dir: The run's work directory (caches, models), if any.
        text_view: What text ops see: ``"plain"`` (all turns joined by newlines, media
            placeholders removed) or ``"dj"`` (the text exactly as Data-Juicer sees it,
            its ``<__dj__image>`` tokens and ``[[human]]:`` turn prefixes included).
        media_info: A pickle of image header facts gathered while loading
            (``{abs path: (mtime_ns, bytes, width, height)}``); image ops use an entry
            when the file's mtime and size still match, instead of opening the file.
    """

    root: Path = field(default_factory=Path.cwd)
    work_dir: Path | None = None
    text_view: TextView = "plain"
    media_info: Path | None = None


def dj_text(sample: Sample) -> str:
    """The ``text`` field Data-Juicer would hold for this sample."""
    return messages_to_text([{"role": m.role, "content": m.content} for m in sample.messages])


class SampleError(Exception):
    """Raise from an op for a sample that cannot be processed (becomes an error record)."""


class Op(ABC, Generic[P]):
    """Base of all operators. Subclass a kind, never this class directly.

    Class attributes set by the registry / kind: ``name`` (stable registered name),
    ``kind``. A concrete op sets ``Params`` to its params model (a :class:`Params`
    subclass, also the type argument: ``class MyFilter(Filter[MyParams])``) and may
    override ``resources`` and :meth:`setup`.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[OpKind]
    Params: ClassVar[type[Params]] = Params
    resources: ClassVar[Resources] = Resources()

    def __init__(self, params: BaseParams | dict[str, Any] | None = None) -> None:
        self.params: P = cast(P, self.validate_params(params))
        self.ctx = OpContext()
        self._ready = False

    @classmethod
    def validate_params(cls, params: BaseParams | dict[str, Any] | None) -> BaseParams:
        """Validate raw params (from Python, YAML or the CLI) into this op's ``Params``.

        Raises:
            ConfigError: naming the op, the bad key and the valid parameters.
        """
        if isinstance(params, cls.Params):
            return params
        from pydantic import ValidationError

        try:
            return cls.Params.model_validate(params or {})
        except ValidationError as err:
            valid = ", ".join(cls.Params.model_fields) or "(none)"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '<params>'}: {e['msg']}"
                for e in err.errors()
            )
            raise ConfigError(
                f"op '{cls.name}': invalid parameters: {problems}. Valid parameters: {valid}"
            ) from None

    @classmethod
    def description(cls) -> str:
        """First line of the class docstring."""
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def bind(self, ctx: OpContext) -> None:
        """Give the op its run context (called by the executor, in every worker)."""
        self.ctx = ctx

    def output_stats(self) -> dict[str, Any]:
        """Stat keys (``<op>.<stat>``) -> type that this op writes (the runner declares them
        in the output schema before running; a key not declared here would be lost)."""
        return {}

    def output_scores(self) -> list[str]:
        """Score keys this op writes (declared in the output schema like stats)."""
        return []

    def metrics(self) -> dict[str, float]:
        """Counters since setup (e.g. model requests, cache hits); summed into the run
        summary per op. Counters must only grow."""
        return {}

    def text(self, sample: Sample) -> str:
        """The sample's text as text ops see it (see :attr:`OpContext.text_view`)."""
        if self.ctx.text_view == "dj":
            return dj_text(sample)
        return sample.text()

    def ensure_setup(self) -> None:
        """Run :meth:`setup` once per process."""
        if not self._ready:
            self.setup()
            self._ready = True

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Load models or other heavy state lazily (once per worker process)."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_ready"] = False
        state.update(self._drop_unpicklable())
        return state

    def _drop_unpicklable(self) -> dict[str, Any]:
        """Attributes to reset before pickling (models loaded in setup)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


class Mapper(Op[P]):
    """Transforms samples one by one (``process``) or by batch (``process_batch``).

    A mapper that changes a sample clears its stale ``stats`` (the runner does it).
    """

    kind: ClassVar[OpKind] = "mapper"

    @abstractmethod
    def process(self, sample: Sample) -> Sample:
        """Return the transformed sample (may be the same object if unchanged)."""

    def process_batch(self, samples: Sequence[Sample]) -> list[Sample | Exception]:
        """Process a batch; an exception in the list marks that sample as errored."""
        out: list[Sample | Exception] = []
        for s in samples:
            try:
                out.append(self.process(s))
            except Exception as err:  # noqa: BLE001 - isolated per sample by design
                out.append(err)
        return out


class Filter(Op[P]):
    """Computes stats per sample, then keeps or drops from the stats alone.

    Subclasses declare ``stats`` (local stat name -> python type) and implement
    :meth:`compute_stats` and :meth:`drop_reason`.
    """

    kind: ClassVar[OpKind] = "filter"
    stats: ClassVar[dict[str, Any]] = {}

    @classmethod
    def stat_key(cls, stat: str) -> str:
        """The stored key of a local stat name: ``<op_name>.<stat>``."""
        return f"{cls.name}.{stat}"

    @classmethod
    def stat_types(cls) -> dict[str, Any]:
        """Stored stat key -> python type."""
        return {cls.stat_key(k): t for k, t in cls.stats.items()}

    def output_stats(self) -> dict[str, Any]:
        return self.stat_types()

    @abstractmethod
    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        """Local stat name -> value for one sample."""

    @abstractmethod
    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        """``None`` to keep, else a short reason naming the stat and the bound."""

    def compute_stats_batch(
        self, samples: Sequence[Sample]
    ) -> list[dict[str, StatValue] | Exception]:
        """Stats for a batch; reuses stats already stored on a sample (threshold changes)."""
        out: list[dict[str, StatValue] | Exception] = []
        keys = self.stat_types()
        for s in samples:
            if all(k in s.stats for k in keys):
                out.append({k.split(".", 1)[1]: s.stats[k] for k in keys})
                continue
            try:
                out.append(self.compute_stats(s))
            except Exception as err:  # noqa: BLE001 - isolated per sample by design
                out.append(err)
        return out


def range_reason(
    stat: str,
    value: float,
    lo: float | None,
    hi: float | None,
    lo_name: str = "min",
    hi_name: str = "max",
) -> str | None:
    """Reason string when ``value`` is outside ``[lo, hi]`` (inclusive), else ``None``."""
    if isinstance(value, float) and math.isnan(value):
        return f"{stat}=nan"
    if lo is not None and value < lo:
        return f"{stat}={_fmt(value)} < {lo_name}={_fmt(lo)}"
    if hi is not None and value > hi:
        return f"{stat}={_fmt(value)} > {hi_name}={_fmt(hi)}"
    return None


def _fmt(v: float) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


AnyOrAll = Literal["any", "all"]


def any_or_all_field(item: str) -> Any:
    """The ``any_or_all`` param of a filter judging each ``item`` (image, video) of a sample."""
    return Field(
        "any", description=f"Keep if any {item} passes ('any') or only if all pass ('all')."
    )


class WidthHeightParams(Params):
    """Width and height bounds in pixels (image_shape_filter, video_resolution_filter)."""

    min_width: int = Field(1, ge=0, description="Minimum width in pixels (inclusive).")
    max_width: int = Field(sys.maxsize, ge=0, description="Maximum width in pixels.")
    min_height: int = Field(1, ge=0, description="Minimum height in pixels (inclusive).")
    max_height: int = Field(sys.maxsize, ge=0, description="Maximum height in pixels.")
    any_or_all: AnyOrAll = "any"

    def drop_reason(self, widths: Sequence[int], heights: Sequence[int], what: str) -> str | None:
        """Why a sample with these per-item sizes is dropped (None: kept)."""
        reasons = [
            range_reason("width", w, self.min_width, self.max_width, "min_width", "max_width")
            or range_reason(
                "height", h, self.min_height, self.max_height, "min_height", "max_height"
            )
            for w, h in zip(widths, heights, strict=True)
        ]
        return combine_any_or_all(reasons, self.any_or_all, what)


def combine_any_or_all(
    reasons: Sequence[str | None], any_or_all: Literal["any", "all"], what: str
) -> str | None:
    """Data-Juicer's ``any_or_all`` over per-item (e.g. per-image) decisions.

    ``any``: keep when at least one item passes; ``all``: keep only if every item passes.
    An empty list keeps (nothing to judge), as in Data-Juicer.
    """
    if not reasons:
        return None
    failed = [(i, r) for i, r in enumerate(reasons) if r is not None]
    if any_or_all == "any" and len(failed) == len(reasons):
        return f"no {what} passes: " + "; ".join(f"{what}[{i}] {r}" for i, r in failed)
    if any_or_all == "all" and failed:
        i, r = failed[0]
        return f"{what}[{i}] {r}"
    return None


class Deduplicator(Op[P]):
    """Hashes each sample (in parallel), then groups hashes over the whole dataset."""

    kind: ClassVar[OpKind] = "deduplicator"

    @abstractmethod
    def hash_key(self, sample: Sample) -> str:
        """A key; samples with equal keys are duplicates (for exact dedup)."""

    def group(self, keys: Sequence[str | None]) -> list[int | None]:
        """For each row, the index of the earlier row it duplicates, or ``None`` to keep.

        ``None`` keys (errored rows) are never grouped. Override for near-duplicate
        grouping (e.g. MinHash LSH).
        """
        first: dict[str, int] = {}
        out: list[int | None] = []
        for i, k in enumerate(keys):
            if k is None:
                out.append(None)
                continue
            j = first.setdefault(k, i)
            out.append(None if j == i else j)
        return out


@dataclass
class DatasetView:
    """What a selector sees: the dataset (read-only) and the run context."""

    dataset: datasets.Dataset
    ctx: OpContext

    def column(self, name: str) -> list[Any]:
        """A whole column as a Python list (read through Arrow, fast)."""
        return self.dataset.with_format("arrow")[name].to_pylist()


class Selector(Op[P]):
    """Chooses a subset of the whole dataset (a barrier between row-level ops)."""

    kind: ClassVar[OpKind] = "selector"

    @abstractmethod
    def select(self, view: DatasetView) -> Sequence[int]:
        """Row indices to keep, in output order; never duplicates."""

    def drop_reasons(self) -> Mapping[int, str]:
        """Reasons for rows the last :meth:`select` dropped, where more is known than
        "not selected" (e.g. which row a semantic duplicate duplicates); by row index."""
        return {}


OpFactory = Callable[[dict[str, Any] | None], Op]

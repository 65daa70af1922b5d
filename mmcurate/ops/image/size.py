"""Image file size filter (Data-Juicer ``image_size_filter`` semantics)."""

from __future__ import annotations

import os
import re
from typing import cast

from pydantic import Field, field_validator

from mmcurate.ops.base import (
    AnyOrAll,
    Filter,
    OpContext,
    Params,
    SampleError,
    any_or_all_field,
    combine_any_or_all,
    range_reason,
)
from mmcurate.ops.image.media import image_path
from mmcurate.ops.registry import register
from mmcurate.sample import Sample, StatValue

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNIT_POWER = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6, "z": 7, "y": 8}


def size_to_bytes(size: str | int) -> int:
    """Parse a size such as ``'10KB'``, ``'1.5 MiB'``, ``'200'`` or ``300`` into bytes.

    Units follow Data-Juicer: binary multiples for both spellings (``KB`` = ``KiB`` = 1024
    bytes, ``MB`` = 1024**2, ... up to ``YB``), case-insensitive; a bare number is bytes.
    ``K``/``M``/``G`` without ``B`` are accepted too.

    Raises:
        ValueError: not a non-negative number with a known unit.
    """
    if isinstance(size, bool):
        raise ValueError(f"invalid size {size!r}")
    if isinstance(size, int):
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        return size
    match = _SIZE_RE.match(size)
    unit = match.group(2).lower() if match else ""
    if unit.endswith("ib"):
        unit = unit[:-2]
    elif unit.endswith("b") and len(unit) == 2:
        unit = unit[:-1]
    if match is None or unit not in _UNIT_POWER:
        raise ValueError(
            f"invalid size {size!r}: expected a number with an optional unit "
            "B, KB, MB, GB, TB, PB, EB, ZB, YB or KiB, MiB, ... (1 KB = 1024 bytes)"
        )
    return int(float(match.group(1)) * 1024 ** _UNIT_POWER[unit])


class ImageSizeParams(Params):
    """Parameters of ``image_size_filter``."""

    min_size: str | int = Field(
        "0", description="Minimum file size, e.g. '10KB' (1 KB = 1024 bytes); a number is bytes."
    )
    max_size: str | int = Field(
        "1TB", description="Maximum file size, e.g. '5MB' (1 MB = 1024**2 bytes)."
    )
    any_or_all: AnyOrAll = any_or_all_field("image")

    @field_validator("min_size", "max_size")
    @classmethod
    def _parses(cls, v: str | int) -> str | int:
        size_to_bytes(v)
        return v

    @property
    def min_bytes(self) -> int:
        """``min_size`` in bytes."""
        return size_to_bytes(self.min_size)

    @property
    def max_bytes(self) -> int:
        """``max_size`` in bytes."""
        return size_to_bytes(self.max_size)


def file_size(sample: Sample, i: int, ctx: OpContext) -> int:
    """Size in bytes of the file of ``sample.images[i]`` (no decoding).

    Raises:
        SampleError: naming ``images[i]`` when the file is missing.
    """
    path = image_path(sample, i, ctx)
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        raise SampleError(f"images[{i}]: file not found: {path}") from None
    except OSError as err:
        raise SampleError(f"images[{i}]: cannot stat file {path}: {err}") from None


@register("image_size_filter")
class ImageSizeFilter(Filter[ImageSizeParams]):
    """Keep samples whose image files' sizes in bytes are within bounds (no decoding)."""

    Params = ImageSizeParams

    stats = {"bytes": list[int]}

    def compute_stats(self, sample: Sample) -> dict[str, StatValue]:
        return {"bytes": [file_size(sample, i, self.ctx) for i in range(len(sample.images))]}

    def drop_reason(self, stats: dict[str, StatValue]) -> str | None:
        p = self.params
        lo, hi = p.min_bytes, p.max_bytes
        reasons = [
            range_reason("size", n, lo, hi, "min_size", "max_size")
            for n in cast(list[int], stats["bytes"])
        ]
        return combine_any_or_all(reasons, p.any_or_all, "images")

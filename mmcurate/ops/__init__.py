"""Operators: kinds, registry and the built-in CPU ops."""

from mmcurate.ops.base import (
    DatasetView,
    Deduplicator,
    Filter,
    Mapper,
    Op,
    OpContext,
    Params,
    Resources,
    SampleError,
    Selector,
)
from mmcurate.ops.registry import create, get, names, register

__all__ = [
    "DatasetView",
    "Deduplicator",
    "Filter",
    "Mapper",
    "Op",
    "OpContext",
    "Params",
    "Resources",
    "SampleError",
    "Selector",
    "create",
    "get",
    "names",
    "register",
]

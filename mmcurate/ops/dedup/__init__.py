"""Deduplicators."""

from mmcurate.ops.dedup import document  # noqa: F401

"""Deduplicators."""

from mmcurate.ops.dedup import document, image, minhash  # noqa: F401

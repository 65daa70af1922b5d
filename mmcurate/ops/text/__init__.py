"""Text mappers and filters."""

from mmcurate.ops.text import length, whitespace  # noqa: F401

"""Image filters and statistics."""

from mmcurate.ops.image import shape  # noqa: F401

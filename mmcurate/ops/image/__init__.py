"""Image filters and statistics."""

from mmcurate.ops.image import aspect_ratio, shape, size, statistics  # noqa: F401

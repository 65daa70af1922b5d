"""Video filters and mappers."""

from mmcurate.ops.video import aspect_ratio, duration, frames, resolution  # noqa: F401

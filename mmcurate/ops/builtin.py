"""Imports every built-in op module so their ``@register`` decorators run."""

from mmcurate.ops.dedup import document  # noqa: F401
from mmcurate.ops.image import shape  # noqa: F401
from mmcurate.ops.text import length, whitespace  # noqa: F401
from mmcurate.selectors import random_select  # noqa: F401

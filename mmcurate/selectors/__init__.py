"""Budgeted selectors (whole dataset -> subset)."""

from mmcurate.selectors import random_select  # noqa: F401

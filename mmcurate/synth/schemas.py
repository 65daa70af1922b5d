"""Structured-output schemas of the ImgDiff prompts (re-exported).

They live in :mod:`mmcurate.prompts.schemas`, registered under the names the prompt files
give as ``output_schema`` (``imgdiff_region_caption``, ``imgdiff_difference``,
``imgdiff_object_swap``); this module keeps the old import path working.
"""

from __future__ import annotations

from mmcurate.prompts.schemas import DifferenceCaption, ObjectSwap, RegionCaption

__all__ = ["DifferenceCaption", "ObjectSwap", "RegionCaption"]

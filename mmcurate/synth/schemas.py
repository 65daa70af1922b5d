"""Structured-output schemas of the ImgDiff prompts (``mmcurate/prompts/imgdiff_*.yaml``).

The prompt files do not name them (``output_schema``), so the prompt loader does not depend
on this package; the synth code passes them to :func:`mmcurate.models.generate` itself.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mmcurate.prompts.schemas import printable


class RegionCaption(BaseModel):
    """Answer of ``imgdiff_region_caption``: the object in one cropped region."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field(min_length=1, max_length=80, pattern=printable(80))
    has_object: bool


class DifferenceCaption(BaseModel):
    """Answer of ``imgdiff_difference``: what differs inside the red box."""

    model_config = ConfigDict(extra="forbid")

    difference: str = Field(min_length=1, max_length=128, pattern=printable(128))


class ObjectSwap(BaseModel):
    """Answer of ``imgdiff_object_swap``: one object replaced in a caption."""

    model_config = ConfigDict(extra="forbid")

    original_object: str = Field(min_length=1, max_length=40, pattern=printable(40))
    new_object: str = Field(min_length=1, max_length=40, pattern=printable(40))
    new_caption: str = Field(min_length=1, max_length=128, pattern=printable(128))

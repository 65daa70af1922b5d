"""Imports every built-in op package so their ``@register`` decorators run.

Each package's ``__init__`` imports its op modules.
"""

import mmcurate.ops.dedup
import mmcurate.ops.image
import mmcurate.ops.scores
import mmcurate.ops.text
import mmcurate.ops.video
import mmcurate.scorers.ops
import mmcurate.scorers.student
import mmcurate.scorers.vlm
import mmcurate.selectors  # noqa: F401
import mmcurate.synth.ops  # noqa: F401

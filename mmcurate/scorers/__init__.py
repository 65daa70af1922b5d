"""Capability scorers (14 mmSSR capabilities) and stylers (9 interaction styles).

- :mod:`mmcurate.scorers.ops`: the lite ops, no model server: ``lite_perception_mapper``
  (image statistics, OCR where there is text, MiniLM text embedding),
  ``lite_capability_scorer`` (heuristic 0-5 capability scores) and ``rule_styler``.
- :mod:`mmcurate.scorers.lite`: the lite perception and capability heuristics.
- :mod:`mmcurate.scorers.styler_rules`: the rule-based styler.
- :mod:`mmcurate.scorers.vlm`: VLM capability scorer and styler (model client).
- :mod:`mmcurate.scorers.student`: a small head on cheap features trained on VLM labels.
- :mod:`mmcurate.scorers.cli`: ``curate score`` (score ops per backend, run through the
  local executor).

Importing this package is cheap: models and OCR load lazily inside the ops.
"""

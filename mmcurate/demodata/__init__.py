"""Example data the project makes itself, with known ground truth.

:func:`generate` writes a LLaVA-format jsonl plus images and short mp4 clips: rendered
documents and signs, matplotlib charts, photos bundled with scikit-image, synthetic shape
scenes and moving-shape videos, with conversations in all nine interaction styles and
``meta.demo`` ground truth (capabilities, styles, text, boxes, values) for testing scorers,
selectors and the agent.
"""

from mmcurate.demodata.generate import generate

__all__ = ["generate"]

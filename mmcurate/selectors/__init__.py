"""Budgeted selectors (whole dataset -> subset).

Every selector is an op named ``<method>_selector`` taking one shared
:class:`~mmcurate.selectors.budget.Budget` (rows, a ratio or tokens): ``mmssr``, ``random``,
``topk``, ``kcenter``, ``cluster_balanced``, ``semdedup``, ``score_then_diversify``.
``curate select DATA --method METHOD --budget B`` runs one (:mod:`mmcurate.selectors.cli`).
"""

from mmcurate.selectors import (  # noqa: F401  (register the ops)
    cluster_balanced,
    diversify,
    kcenter,
    mmssr,
    random_select,
    semdedup,
    topk,
)

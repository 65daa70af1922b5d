"""The curation agent (LangGraph): ``curate "REQUEST" --data DATA``.

A request in plain words ("find diverse OCR-heavy samples") becomes targets (navigator),
a recipe of registered ops (tools), a run through the local executor, an analysis of the
result against the targets (analyzer) and, after a bounded refine loop, the selected data,
a ``recipe.yaml`` that reproduces it without the agent, and ``report.html`` (visualizer).
With no VLM configured a deterministic planner plays the roles and says so. See
docs/agent.md.

Importing this package is cheap; LangGraph is imported by :mod:`mmcurate.agent.graph`.
"""

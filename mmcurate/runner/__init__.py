"""Executors, checkpoints, tracer and accounting."""

from mmcurate.runner.local import LocalExecutor, RunOptions, plan_stages, read_errors
from mmcurate.runner.summary import OpSummary, RunSummary

__all__ = ["LocalExecutor", "OpSummary", "RunOptions", "RunSummary", "plan_stages", "read_errors"]

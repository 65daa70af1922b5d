"""Executors, checkpoints, tracer and accounting."""

from __future__ import annotations

from mmcurate.recipes.schema import Recipe
from mmcurate.runner.local import LocalExecutor, RunOptions, plan_stages, read_errors
from mmcurate.runner.summary import OpSummary, RunSummary


def make_executor(
    recipe: Recipe, options: RunOptions | None = None, ray_address: str | None = None
) -> LocalExecutor:
    """The executor for ``recipe.executor``: :class:`LocalExecutor` or the Ray executor.

    Args:
        recipe: A validated recipe.
        options: Run options.
        ray_address: For ``executor: ray``, a cluster to join (overrides the recipe's).

    Raises:
        ConfigError: ``ray_address`` given for a local run.
    """
    if recipe.executor == "ray":
        from mmcurate.runner.ray_executor import RayExecutor

        return RayExecutor(recipe, options, ray_address=ray_address)
    if ray_address:
        from mmcurate.errors import ConfigError

        raise ConfigError("--ray-address needs the ray executor (--executor ray)")
    return LocalExecutor(recipe, options)


__all__ = [
    "LocalExecutor",
    "OpSummary",
    "RunOptions",
    "RunSummary",
    "make_executor",
    "plan_stages",
    "read_errors",
]

"""Recipes: schema, loader and built-in recipes."""

from mmcurate.recipes.loader import builtin_names, dump_recipe, load_recipe
from mmcurate.recipes.schema import OpSpec, Recipe, parse_recipe

__all__ = ["OpSpec", "Recipe", "builtin_names", "dump_recipe", "load_recipe", "parse_recipe"]

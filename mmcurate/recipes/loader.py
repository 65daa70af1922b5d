"""Loading recipes from YAML files or built-in names, with ``--set key=value`` overrides."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mmcurate.errors import ConfigError
from mmcurate.recipes.schema import Recipe, parse_recipe

_BUILTIN_PACKAGE = "mmcurate.recipes.builtin"


def builtin_names() -> list[str]:
    """Names of the recipes shipped with mmcurate (``curate run NAME``)."""
    root = resources.files(_BUILTIN_PACKAGE)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def read_recipe_text(ref: str | Path) -> tuple[str, str]:
    """(YAML text, source label) for a recipe path or a built-in recipe name."""
    path = Path(ref)
    if path.is_file():
        return path.read_text(encoding="utf-8"), str(path)
    name = str(ref)
    if name in builtin_names():
        text = resources.files(_BUILTIN_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
        return text, f"builtin:{name}"
    raise ConfigError(
        f"recipe not found: '{ref}' is neither a file nor a built-in recipe. "
        f"Built-in recipes: {', '.join(builtin_names()) or '(none)'}"
    )


def load_recipe(ref: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Load, override and validate a recipe.

    Args:
        ref: A YAML file path or a built-in recipe name.
        overrides: ``key=value`` strings; values are parsed as YAML. Keys are top-level
            recipe keys (``np=2``), ``<op_name>.<param>`` (the op must occur once) or
            ``process.<index>.<param>``.

    Raises:
        ConfigError: unreadable YAML, bad override, or any validation problem.
    """
    text, source = read_recipe_text(ref)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: invalid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a recipe must be a mapping at the top level")
    for item in overrides or []:
        apply_override(data, item)
    return parse_recipe(data, source)


def apply_override(data: dict[str, Any], item: str) -> None:
    """Apply one ``key=value`` override to raw recipe data in place."""
    if "=" not in item:
        raise ConfigError(f"--set expects key=value, got '{item}'")
    key, raw = item.split("=", 1)
    key = key.strip()
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        value = raw
    parts = key.split(".")
    if len(parts) == 1:
        data[key] = value
        return
    steps = data.get("process") or []
    if parts[0] == "process" and len(parts) == 3 and parts[1].isdigit():
        index, param = int(parts[1]), parts[2]
        if index >= len(steps):
            raise ConfigError(f"--set {key}: the recipe has {len(steps)} process steps")
    elif len(parts) == 2:
        op_name, param = parts
        matches = [i for i, s in enumerate(steps) if isinstance(s, dict) and op_name in s]
        if len(matches) != 1:
            where = "does not occur" if not matches else f"occurs {len(matches)} times"
            raise ConfigError(
                f"--set {key}: op '{op_name}' {where} in the recipe; "
                "use process.<index>.<param> to address a step"
            )
        index = matches[0]
    else:
        raise ConfigError(
            f"--set {key}: use a top-level key, <op_name>.<param> or process.<index>.<param>"
        )
    step = steps[index]
    name = next(iter(step))
    params = dict(step[name] or {})
    params[param] = value
    steps[index] = {name: params}
    data["process"] = steps


def dump_recipe(recipe: Recipe) -> str:
    """YAML text of a recipe, in the same shape it is read."""
    return yaml.safe_dump(recipe.to_dict(), sort_keys=False, allow_unicode=True)

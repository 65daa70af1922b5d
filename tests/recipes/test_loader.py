import pytest

from mmcurate.errors import ConfigError
from mmcurate.recipes import builtin_names, dump_recipe, load_recipe
from tests.helpers import write_recipe


def recipe_file(tmp_path):
    return write_recipe(
        tmp_path / "r.yaml",
        {
            "dataset_path": "in.jsonl",
            "export_path": "out.jsonl",
            "process": [
                {"text_length_filter": {"min_len": 3}},
                {"image_shape_filter": None},
                {"text_length_filter": {"min_len": 1}},
            ],
        },
    )


def test_overrides_top_level_and_by_index(tmp_path):
    r = load_recipe(recipe_file(tmp_path), ["np=3", "process.2.max_len=50"])
    assert r.np == 3
    assert r.process[2].params == {"min_len": 1, "max_len": 50}


def test_override_by_op_name_when_unique(tmp_path):
    r = load_recipe(recipe_file(tmp_path), ["image_shape_filter.min_width=64"])
    assert r.process[1].params == {"min_width": 64}


def test_ambiguous_op_override_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="occurs 2 times"):
        load_recipe(recipe_file(tmp_path), ["text_length_filter.min_len=2"])


def test_override_validated_like_the_file(tmp_path):
    with pytest.raises(ConfigError, match="min_widht"):
        load_recipe(recipe_file(tmp_path), ["image_shape_filter.min_widht=64"])


def test_builtin_demo_recipe_and_dump_round_trip(tmp_path):
    assert "demo" in builtin_names()
    r = load_recipe("demo", ["dataset_path=a.jsonl", "export_path=b.jsonl"])
    again = tmp_path / "again.yaml"
    again.write_text(dump_recipe(r))
    assert load_recipe(again) == r.model_copy(update={"ignored": {}})


def test_missing_recipe_lists_builtins():
    with pytest.raises(ConfigError, match="Built-in recipes: .*demo"):
        load_recipe("no_such_recipe")


def test_invalid_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("process: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_recipe(p)

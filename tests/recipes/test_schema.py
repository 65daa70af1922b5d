import pytest

from mmcurate.errors import ConfigError
from mmcurate.recipes import parse_recipe


def base(**kw):
    data = {"dataset_path": "in.jsonl", "export_path": "out.jsonl", "process": []}
    data.update(kw)
    return data


def test_dj_shape_parses_with_none_params_and_ignored_keys():
    r = parse_recipe(
        base(
            project_name="p",
            text_keys="text",
            open_tracer=False,
            np=2,
            process=[
                {"whitespace_normalization_mapper": None},
                {"text_length_filter": {"min_len": 5}},
            ],
        )
    )
    assert [s.name for s in r.process] == ["whitespace_normalization_mapper", "text_length_filter"]
    assert r.process[1].params == {"min_len": 5}
    assert r.np == 2
    assert set(r.ignored) == {"project_name", "text_keys", "open_tracer"}


def test_unknown_op_names_step_and_lists_choices():
    with pytest.raises(ConfigError) as err:
        parse_recipe(base(process=[{"text_length_filter": None}, {"text_lenght_filter": None}]))
    msg = str(err.value)
    assert msg.startswith("<recipe>: ") or "process[1]" in msg
    assert "process[1]" in msg and "text_length_filter" in msg and "Valid ops" in msg


def test_misspelled_param_fails_with_valid_params():
    with pytest.raises(ConfigError) as err:
        parse_recipe(base(process=[{"text_length_filter": {"max_lne": 3}}]))
    assert "max_lne" in str(err.value) and "min_len, max_len" in str(err.value)


def test_bad_param_value_fails():
    with pytest.raises(ConfigError, match="any_or_all"):
        parse_recipe(base(process=[{"image_shape_filter": {"any_or_all": "some"}}]))


def test_unknown_top_level_key_suggests():
    with pytest.raises(ConfigError) as err:
        parse_recipe(base(export_pth="x"))
    assert "export_pth" in str(err.value) and "did you mean export_path" in str(err.value)


def test_missing_required_key():
    with pytest.raises(ConfigError, match="dataset_path"):
        parse_recipe({"export_path": "x"})


def test_step_must_be_single_mapping():
    with pytest.raises(ConfigError, match=r"process\[0\]"):
        parse_recipe(base(process=["text_length_filter"]))


def test_data_juicer_per_op_execution_keys_are_accepted_and_reported():
    rec = parse_recipe(
        {
            "dataset_path": "in.jsonl",
            "export_path": "out.jsonl",
            "process": [
                {
                    "text_length_filter": {
                        "min_len": 5,
                        "num_proc": 4,
                        "accelerator": "cpu",
                        "text_key": "text",
                        "batch_size": 1000,
                    }
                }
            ],
        }
    )
    assert rec.process[0].params == {"min_len": 5}
    assert rec.ignored == {
        "process.0.text_length_filter.num_proc": 4,
        "process.0.text_length_filter.accelerator": "cpu",
        "process.0.text_length_filter.text_key": "text",
        "process.0.text_length_filter.batch_size": 1000,
    }


def test_data_juicer_field_key_with_another_field_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"process\[0\] \(text_length_filter\): text_key='c'"):
        parse_recipe(
            {
                "dataset_path": "in.jsonl",
                "export_path": "out.jsonl",
                "process": [{"text_length_filter": {"text_key": "c"}}],
            }
        )
    with pytest.raises(ConfigError, match="reversed_range"):
        parse_recipe(
            {
                "dataset_path": "in.jsonl",
                "export_path": "out.jsonl",
                "process": [{"image_shape_filter": {"reversed_range": True}}],
            }
        )

import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops import Filter, Params, registry
from mmcurate.ops.registry import register


def test_builtins_registered_with_kinds():
    names = registry.names()
    for n in (
        "text_length_filter",
        "image_shape_filter",
        "document_deduplicator",
        "whitespace_normalization_mapper",
        "random_selector",
    ):
        assert n in names
    assert registry.get("text_length_filter").kind == "filter"
    assert registry.get("document_deduplicator").kind == "deduplicator"
    assert registry.get("random_selector").kind == "selector"


def test_unknown_op_lists_close_matches_and_valid_ops():
    with pytest.raises(ConfigError) as err:
        registry.get("text_lenght_filter")
    msg = str(err.value)
    assert "did you mean: text_length_filter" in msg.lower()
    assert "image_shape_filter" in msg


def test_misspelled_param_is_an_error_listing_valid_params():
    with pytest.raises(ConfigError) as err:
        registry.create("text_length_filter", {"min_lenght": 3})
    assert "min_lenght" in str(err.value)
    assert "min_len, max_len" in str(err.value)


def test_duplicate_registration_rejected():
    class A(Filter):
        class Params(Params):
            pass

        def compute_stats(self, sample):
            return {}

        def drop_reason(self, stats):
            return None

    register("zz_test_dup_a")(A)

    class B(A):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register("zz_test_dup_a")(B)

"""Pure-logic parts of the Ray executor (no Ray started here; see tests/integration)."""

from __future__ import annotations

import pandas as pd
import pytest

from mmcurate.errors import ConfigError
from mmcurate.ops import registry
from mmcurate.ops.base import Deduplicator
from mmcurate.recipes import parse_recipe
from mmcurate.runner import LocalExecutor, RunOptions, make_executor
from mmcurate.runner.ray_executor import (
    RayExecutor,
    _duplicates_in_block,
    _maybe_fail,
    chain_resources,
    needs_actor,
    selection_columns,
)

COLUMNS = ["id", "images", "videos", "audios", "messages", "meta", "stats", "scores", "styles"]


def _recipe(tmp_path, **kw):
    return parse_recipe(
        {
            "dataset_path": str(tmp_path),
            "export_path": str(tmp_path / "out.jsonl"),
            "process": [{"text_length_filter": {"min_len": 3}}],
            **kw,
        }
    )


def test_make_executor_picks_by_recipe(tmp_path):
    assert type(make_executor(_recipe(tmp_path))) is LocalExecutor
    ex = make_executor(_recipe(tmp_path, executor="ray", ray_address="auto"))
    assert isinstance(ex, RayExecutor) and ex.ray_address == "auto"
    ex = make_executor(_recipe(tmp_path, executor="ray"), ray_address="10.0.0.1:6379")
    assert ex.ray_address == "10.0.0.1:6379"
    with pytest.raises(ConfigError, match="--executor ray"):
        make_executor(_recipe(tmp_path), ray_address="auto")


def test_local_executor_refuses_a_ray_recipe(tmp_path):
    with pytest.raises(ConfigError, match="make_executor"):
        LocalExecutor(_recipe(tmp_path, executor="ray"), RunOptions(show_progress=False)).run()


def test_chain_resources_take_the_maximum_of_the_chain():
    text = registry.create("text_length_filter", {})
    scorer = registry.create("lite_capability_scorer", {})
    assert chain_resources([text]) == {"num_cpus": 1.0}
    assert chain_resources([text, scorer])["num_cpus"] == max(
        text.resources.cpus, scorer.resources.cpus
    )


def test_ops_with_setup_run_in_actors_stateless_ops_in_tasks():
    text = registry.create("text_length_filter", {})
    dedup = registry.create("document_deduplicator", {})
    scorer = registry.create("lite_capability_scorer", {})
    assert not needs_actor([text, dedup])
    assert needs_actor([text, scorer])


def test_selection_columns_leave_out_text_unless_tokens_are_counted():
    by_rows = registry.create("mmssr_selector", {"budget": 100})
    by_tokens = registry.create("mmssr_selector", {"budget": "2M tokens"})
    assert "messages" not in selection_columns(by_rows, COLUMNS)
    assert set(selection_columns(by_rows, COLUMNS)) == set(COLUMNS) - {"messages"}
    assert selection_columns(by_tokens, COLUMNS) == COLUMNS


def test_duplicates_in_block_match_the_local_grouping():
    """The per-block step keeps the first row index of each key, like Deduplicator.group."""
    keys = ["a", "b", "a", "c", "b", "a", "d"]
    order = [5, 0, 3, 6, 1, 2, 4]  # a shuffled block (rows arrive in any order)
    df = pd.DataFrame(
        {"key": [keys[i] for i in order], "idx": order, "id": [f"s{i}" for i in order]}
    )
    got = _duplicates_in_block(df).sort_values("idx")
    dup_of = Deduplicator.group(None, keys)  # type: ignore[arg-type]
    want = [(i, f"s{i}", f"s{j}") for i, j in enumerate(dup_of) if j is not None]
    assert list(zip(got["idx"], got["id"], got["dup_of"], strict=True)) == want
    assert len(_duplicates_in_block(df.iloc[:0])) == 0


def test_fail_once_hook_fails_exactly_once(tmp_path):
    marker = tmp_path / "m"
    _maybe_fail(None, "after")  # no hook: nothing happens
    _maybe_fail(str(marker), "before")  # raise mode fails after the shard, not before
    assert not marker.exists()
    with pytest.raises(RuntimeError, match="injected failure"):
        _maybe_fail(str(marker), "after")
    assert marker.exists()
    _maybe_fail(str(marker), "after")  # second time: no failure

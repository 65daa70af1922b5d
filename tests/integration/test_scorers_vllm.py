"""The VLM scorer ops against a REAL vLLM OpenAI server (CPU) serving the tiny Qwen2.5-VL.

Demo samples (images, two-image pairs, a video) are scored in both modes and labelled by the
styler through the ``vllm-server`` backend with structured outputs; a recipe run is repeated
to prove the request cache answers the second run (the run summary's metrics show it). The
tiny model's ratings are noise: only ranges, provenance, token accounting and caching are
checked. The one-pass prompt is ~3k tokens with the tiny model's byte-level tokenizer, so
this module serves it with a 4096-token context (the shared fixture uses 2048).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mmcurate.models import get_client
from mmcurate.ops import OpContext, registry
from mmcurate.sample import Sample
from mmcurate.scorers.vlm import VlmCapabilityScorer, VlmStyler
from mmcurate.taxonomy import CAPABILITIES, STYLES
from tests.tiny_vlm import SERVED_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten demo samples (one a video), as LLaVA jsonl."""
    from mmcurate.demodata.generate import generate

    return generate(tmp_path_factory.mktemp("demo"), n=10, videos=1)


def samples_of(path: Path) -> tuple[list[Sample], Path]:
    from mmcurate.io import read_dataset

    loaded = read_dataset(path)
    return [Sample.from_row(r) for r in loaded.dataset], loaded.root


def test_both_modes_and_the_styler_score_demo_samples(
    server_4k: str, demo: Path, tmp_path: Path, clean_model_env: Path
) -> None:
    samples, root = samples_of(demo)
    assert any(s.videos for s in samples) and any(len(s.images) == 2 for s in samples)
    client = get_client(url=server_4k, cache_dir=tmp_path / "cache", concurrency=8)
    runs: dict[str, VlmCapabilityScorer] = {}
    scored: dict[str, list[Sample]] = {}
    for mode in ("one_pass", "per_capability"):
        op = registry.create("vlm_capability_scorer", {"mode": mode})
        assert isinstance(op, VlmCapabilityScorer)
        op.bind(OpContext(root=root))
        op.calls.use(client)
        batch = [s.model_copy(deep=True) for s in samples]
        out = op.process_batch(batch)
        errors = [o for o in out if isinstance(o, Exception)]
        assert not errors, errors[:3]
        for s in batch:
            assert set(s.scores) == set(CAPABILITIES)
            assert all(v in {0.0, 1.0, 2.0, 3.0, 4.0, 5.0} for v in s.scores.values())
            prov = s.meta["scoring"]["vlm_capability_scorer"]
            assert (prov["backend"], prov["model"], prov["mode"]) == (
                "vllm-server",
                SERVED_NAME,
                mode,
            )
        runs[mode], scored[mode] = op, batch
    one, per = runs["one_pass"].metrics(), runs["per_capability"].metrics()
    assert (one["requests"], per["requests"]) == (10, 140)
    assert one["cache_misses"] == 10 and per["cache_misses"] == 140
    # the measurement this mode exists for: one prefill per sample instead of 14
    assert per["prompt_tokens"] >= 5 * one["prompt_tokens"] > 0

    styler = registry.create("vlm_styler", {})
    assert isinstance(styler, VlmStyler)
    styler.bind(OpContext(root=root))
    styler.calls.use(client)
    batch = scored["one_pass"]
    out = styler.process_batch(batch)
    assert not [o for o in out if isinstance(o, Exception)]
    for s in batch:
        assert s.styles and set(s.styles) <= set(STYLES)
        assert s.meta["scoring"]["vlm_styler"]["prompt_id"] == "interaction_styles"
        assert "vlm_capability_scorer" in s.meta["scoring"]


def test_a_rerun_is_answered_by_the_request_cache(
    server_4k: str,
    demo: Path,
    tmp_path: Path,
    clean_model_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mmcurate.recipes import parse_recipe
    from mmcurate.runner import LocalExecutor, RunOptions

    monkeypatch.setenv("MMCURATE_VLM_URL", server_4k)
    monkeypatch.setenv("MMCURATE_CACHE_DIR", str(tmp_path / "cache"))
    process = [
        {
            "vlm_capability_scorer": {
                "capabilities": ["optical_character_recognition", "humanities"]
            }
        },
        {"vlm_styler": {"include_media": False}},
    ]
    summaries, outputs = [], []
    for run in ("first", "second"):
        rec = parse_recipe(
            {
                "dataset_path": str(demo),
                "export_path": str(tmp_path / run / "out.jsonl"),
                "process": process,
            }
        )
        summaries.append(LocalExecutor(rec, RunOptions(show_progress=False)).run())
        lines = (tmp_path / run / "out.jsonl").read_text().splitlines()
        outputs.append([json.loads(line) for line in lines])
    first, second = ({o.name: o.metrics for o in s.ops} for s in summaries)
    for name in ("vlm_capability_scorer", "vlm_styler"):
        assert first[name]["requests"] == 10 and first[name]["cache_misses"] == 10
        assert first[name]["prompt_tokens"] > 0
        assert second[name]["cache_hits"] == 10 and second[name]["cache_misses"] == 0
        assert second[name]["prompt_tokens"] == 0 == second[name]["completion_tokens"]
    assert all(s.kept == 10 and s.balanced for s in summaries)
    for a, b in zip(*outputs, strict=True):
        assert a["scores"] == b["scores"] and a["styles"] == b["styles"]
        assert b["meta"]["scoring"]["vlm_capability_scorer"]["cached"] is True
        assert a["meta"]["scoring"]["vlm_capability_scorer"]["cached"] is False
    assert os.environ["MMCURATE_VLM_URL"] == server_4k


def test_curate_score_with_the_vllm_server_backend(
    server_4k: str, demo: Path, tmp_path: Path, clean_model_env: Path
) -> None:
    from typer.testing import CliRunner

    from mmcurate.cli import app

    out = tmp_path / "scored.jsonl"
    args = ["score", str(demo), "-o", str(out), "--backend", "vllm-server", "--url", server_4k]
    args += ["--mode", "per_capability", "--capabilities", "humanities,stem_knowledge", "-q"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "scored 10 of 10 samples" in res.output
    assert "vlm_capability_scorer: cache_hits 0, cache_misses 20" in res.output
    for row in (json.loads(line) for line in out.read_text().splitlines()):
        assert set(row["scores"]) == {"humanities", "stem_knowledge"}
        assert row["styles"] and set(row["styles"]) <= set(STYLES)
        assert row["meta"]["scoring"]["vlm_capability_scorer"]["mode"] == "per_capability"

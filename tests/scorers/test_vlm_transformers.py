"""The scorer ops on a real model path: the transformers backend with the tiny random
Qwen2.5-VL (CPU, schema-constrained decoding with xgrammar, the request cache).

The tiny model's ratings are noise; these tests check the plumbing: images reach the
processor, outputs are valid by construction, provenance and token counts are recorded, and
a re-run is served from the cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mmcurate.models import ModelClient
from mmcurate.models.backends.transformers_backend import TransformersBackend
from mmcurate.models.config import ModelConfig
from mmcurate.ops import OpContext, SampleError, registry
from mmcurate.sample import Message, Sample
from mmcurate.scorers.vlm import VlmCapabilityScorer, VlmStyler
from mmcurate.taxonomy import STYLES
from tests.conftest import draw_test_image

pytest.importorskip("xgrammar")

CAPS = ["optical_character_recognition", "object_spatial_understanding"]


@pytest.fixture(scope="module")
def shared_backend(tiny_vlm: Path) -> Iterator[TransformersBackend]:
    """One loaded tiny model for the module (each op still gets its own client)."""
    backend = TransformersBackend(
        ModelConfig(backend="transformers", model=str(tiny_vlm), device="cpu")
    )
    yield backend
    backend.close()


@pytest.fixture
def model_env(
    clean_model_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tiny_vlm: Path,
    shared_backend: TransformersBackend,
) -> TransformersBackend:
    """The transformers backend on CPU with the tiny model; a private request cache."""
    monkeypatch.setenv("MMCURATE_BACKEND", "transformers")
    monkeypatch.setenv("MMCURATE_MODEL", str(tiny_vlm))
    monkeypatch.setenv("MMCURATE_DEVICE", "cpu")
    return shared_backend


def make(
    name: str, root: Path, backend: TransformersBackend, **params: object
) -> VlmCapabilityScorer | VlmStyler:
    """The op, its model configuration resolved from the environment, on the shared model."""
    op = registry.create(name, {"max_text_chars": 300, **params})
    assert isinstance(op, VlmCapabilityScorer | VlmStyler)
    config = op.calls.client.config  # resolved from MMCURATE_* (the env fixture)
    assert (config.backend, config.model, config.device) == (
        "transformers",
        backend.config.model,
        "cpu",
    )
    op.calls.use(ModelClient(config, backend=backend))
    op.bind(OpContext(root=root))
    op.ensure_setup()
    return op


def the_sample(root: Path, i: int = 0) -> Sample:
    draw_test_image(("red", "blue")[i % 2], (112, 84)).save(root / f"box{i}.png")
    return Sample(
        id=f"t{i}",
        images=[f"box{i}.png"],
        messages=[
            Message(role="user", content="<image>\nWhat does the text say?"),
            Message(role="assistant", content="It says Hello VLM."),
        ],
    )


def test_one_pass_scores_are_valid_recorded_and_cached(
    model_env: TransformersBackend, tmp_path: Path
) -> None:
    good = the_sample(tmp_path)
    broken = Sample(id="broken", images=["broken.png"], messages=good.messages)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    scorer = make("vlm_capability_scorer", tmp_path, model_env, capabilities=CAPS)
    out = scorer.process_batch([good, broken])
    assert out[0] is good, out[0]
    assert set(good.scores) == set(CAPS)
    assert all(v in {0.0, 1.0, 2.0, 3.0, 4.0, 5.0} for v in good.scores.values())
    prov = good.meta["scoring"]["vlm_capability_scorer"]
    assert prov["backend"] == "transformers" and prov["model"] == model_env.config.model
    assert (prov["prompt_id"], prov["prompt_version"], prov["cached"]) == (
        "capability_scores",
        1,
        False,
    )
    assert isinstance(out[1], SampleError) and "broken.png" in str(out[1])
    assert broken.scores == {}
    first = scorer.metrics()
    assert first["requests"] == 2 and first["failed_requests"] == 1
    assert first["prompt_tokens"] > 100 and first["completion_tokens"] > 5

    again = the_sample(tmp_path)
    rerun = make("vlm_capability_scorer", tmp_path, model_env, capabilities=CAPS)
    [out2] = rerun.process_batch([again])
    assert out2 is again and again.scores == good.scores
    assert again.meta["scoring"]["vlm_capability_scorer"]["cached"] is True
    m = rerun.metrics()
    assert (m["cache_hits"], m["cache_misses"], m["prompt_tokens"]) == (1, 0, 0)


def test_per_capability_and_styler_on_the_tiny_model(
    model_env: TransformersBackend, tmp_path: Path
) -> None:
    s = the_sample(tmp_path, 1)
    per = make(
        "vlm_capability_scorer", tmp_path, model_env, capabilities=CAPS, mode="per_capability"
    )
    [out] = per.process_batch([s])
    assert out is s and set(s.scores) == set(CAPS)
    assert per.metrics()["requests"] == 2
    styler = make("vlm_styler", tmp_path, model_env, include_media=False)
    [out] = styler.process_batch([s])
    assert out is s, out
    assert s.styles and set(s.styles) <= set(STYLES)
    assert s.meta["scoring"]["vlm_styler"]["prompt_id"] == "interaction_styles"

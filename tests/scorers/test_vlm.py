"""VLM capability scorer and styler ops: prompts, requests, scores, errors, provenance, metrics.

The model answers come from test heuristic handlers (deterministic, no model); the
transformers backend with the tiny random Qwen2.5-VL proves the real constrained-decoding
path in tests/scorers/test_vlm_transformers.py, and a real vLLM server in
tests/integration/test_scorers_vllm.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from mmcurate.errors import ConfigError
from mmcurate.models import ImagePart, Request, TextPart
from mmcurate.models.backends import heuristic
from mmcurate.ops import OpContext, SampleError, registry
from mmcurate.prompts import load_prompt
from mmcurate.prompts.schemas import (
    CapabilityScore,
    CapabilityScores,
    InteractionStyles,
    capability_scores_model,
)
from mmcurate.sample import Message, Sample
from mmcurate.scorers.vlm import (
    ONE_PASS_PROMPT,
    PER_CAPABILITY_PROMPT,
    STYLER_PROMPT,
    VlmCapabilityScorer,
    VlmStyler,
    load_rubric,
    render_conversation,
    request_sample,
    sample_request,
)
from mmcurate.taxonomy import CAPABILITIES, STYLES
from tests.helpers import make_pool, read_jsonl, write_image


def rating(capability: str) -> int:
    """The test model's opinion: a fixed 0-5 rating per capability."""
    return CAPABILITIES.index(capability) % 6


def asked_capability(request: Request) -> str:
    """Which capability a ``capability_score`` request asks about (its system turn says,
    and so does its meta, for heuristic handlers)."""
    system = request.messages[0].content
    assert isinstance(system, str)
    [named] = [c for c in CAPABILITIES if f"\n{c}: " in system]
    assert request.meta["capability"] == named
    return named


class Handlers:
    """Test heuristic answers for the three scorer prompts, with a switch to misbehave."""

    def __init__(self) -> None:
        self.bad = False
        self.seen: list[Request] = []

    def one_pass(self, request: Request, schema: type[BaseModel] | None) -> dict[str, int]:
        self.seen.append(request)
        assert schema is not None
        return {c: 9 if self.bad else rating(c) for c in schema.model_fields}

    def per_capability(self, request: Request, schema: type[BaseModel] | None) -> dict[str, int]:
        self.seen.append(request)
        return {"score": 9 if self.bad else rating(asked_capability(request))}

    def styles(self, request: Request, schema: type[BaseModel] | None) -> dict[str, list[str]]:
        self.seen.append(request)
        return {"styles": ["not a style"] if self.bad else ["yes/no", "multi-choice", "yes/no"]}


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch, clean_model_env: Path) -> Iterator[Handlers]:
    """The test handlers, registered for this test only (any real ones come back after)."""
    h = Handlers()
    monkeypatch.setitem(heuristic._handlers, ONE_PASS_PROMPT, h.one_pass)
    monkeypatch.setitem(heuristic._handlers, PER_CAPABILITY_PROMPT, h.per_capability)
    monkeypatch.setitem(heuristic._handlers, STYLER_PROMPT, h.styles)
    yield h


def sample(root: Path, i: int = 0, image: bool = True) -> Sample:
    images = [write_image(root / f"img{i}.png", (64, 48), i)] if image else []
    return Sample(
        id=f"s{i}",
        images=images,
        messages=[
            Message(role="user", content=("<image>\n" if image else "") + f"What is {i}?"),
            Message(role="assistant", content=f"It is the number {i}."),
        ],
        stats={"earlier_op.value": 1.5},
    )


def op(name: str, root: Path, **params: object) -> VlmCapabilityScorer | VlmStyler:
    created = registry.create(name, {"backend": "heuristic", **params})
    assert isinstance(created, VlmCapabilityScorer | VlmStyler)
    created.bind(OpContext(root=root))
    created.ensure_setup()
    return created


# -- prompts, rubric, schemas -----------------------------------------------------------------


def test_rubric_defines_every_capability_and_the_scale() -> None:
    rubric = load_rubric()
    assert rubric.version == 1
    assert list(rubric.capabilities) == list(CAPABILITIES)
    assert all(len(d.split()) >= 8 for d in rubric.capabilities.values())
    for k in range(6):
        assert f"{k} = " in rubric.scale
    listing = rubric.listing(["humanities", "object_spatial_understanding"]).splitlines()
    assert [line.split(":")[0] for line in listing] == [
        "- object_spatial_understanding",
        "- humanities",
    ]
    with pytest.raises(ConfigError, match="rubric v7 not found"):
        load_rubric(7)


def test_prompts_load_with_their_schemas() -> None:
    assert load_prompt(ONE_PASS_PROMPT).output_schema_model() is CapabilityScores
    assert load_prompt(PER_CAPABILITY_PROMPT).output_schema_model() is CapabilityScore
    assert load_prompt(STYLER_PROMPT).output_schema_model() is InteractionStyles
    styler_system = load_prompt(STYLER_PROMPT).system or ""
    for label in STYLES:  # the prompt names every taxonomy label exactly
        assert f"- {label}: " in styler_system


def test_one_pass_schema_is_fourteen_bounded_ints_and_subsets_keep_taxonomy_order() -> None:
    schema = CapabilityScores.model_json_schema()
    assert list(schema["properties"]) == list(CAPABILITIES)
    assert all(p == {"type": "integer", "minimum": 0, "maximum": 5, "title": p["title"]}
               for p in schema["properties"].values())  # fmt: skip
    sub = capability_scores_model(["stem_knowledge", "humanities"])
    assert list(sub.model_fields) == ["humanities", "stem_knowledge"]
    assert capability_scores_model() is CapabilityScores
    with pytest.raises(ValueError, match="unknown capabilities"):
        capability_scores_model(["ocr"])
    styles = InteractionStyles.model_validate({"styles": ["yes/no", "coordinate", "yes/no"]})
    assert styles.styles == ["coordinate", "yes/no"]


def test_requests_put_the_shared_prefix_first_then_the_sample(tmp_path: Path) -> None:
    prompt = load_prompt(ONE_PASS_PROMPT)
    rubric = load_rubric()
    values = {"scale": rubric.scale, "capabilities": rubric.listing(CAPABILITIES)}
    a, b = (sample_request(prompt, values, sample(tmp_path, i), tmp_path) for i in (1, 2))
    assert a.messages[0].role == "system" and a.messages[0] == b.messages[0]
    assert all(c in str(a.messages[0].content) for c in CAPABILITIES)
    user_a = a.messages[1].parts()
    assert isinstance(user_a[0], ImagePart) and user_a[0].image == tmp_path / "img1.png"
    assert isinstance(user_a[-1], TextPart) and "USER: [image 1]\nWhat is 1?" in user_a[-1].text
    assert (a.prompt_id, a.prompt_version, a.key) == (ONE_PASS_PROMPT, 1, "s1")
    back = request_sample(a)
    assert back.images == [str(tmp_path / "img1.png")]
    assert [m.content for m in back.messages] == ["<image>\nWhat is 1?", "It is the number 1."]
    text_only = sample_request(prompt, values, sample(tmp_path, 3), tmp_path, include_media=False)
    assert not any(isinstance(p, ImagePart) for p in text_only.messages[1].parts())


def test_render_conversation_marks_media_and_cuts_the_longest_turns_first() -> None:
    s = Sample(
        id="x",
        images=["a.png", "b.png"],
        videos=["c.mp4"],
        messages=[
            Message(role="user", content="<image>\n<image>\nCompare. <video> <audio>"),
            Message(role="assistant", content="word " * 400),
            Message(role="user", content="Short?"),
            Message(role="assistant", content="Yes."),
        ],
    )
    full = render_conversation(s, max_chars=10_000)
    assert full.startswith("USER: [image 1]\n[image 2]\nCompare. [video 1] [audio 1: not shown]")
    cut = render_conversation(s, max_chars=300)
    assert len(cut) <= 300 + 40
    lines = cut.split("\n")
    assert lines[-2:] == ["USER: Short?", "ASSISTANT: Yes."]
    assert "[...]" in cut and "ASSISTANT: word word" in cut


# -- the capability scorer --------------------------------------------------------------------


def test_one_pass_writes_float_scores_and_provenance_in_place(
    handlers: Handlers, tmp_path: Path
) -> None:
    scorer = op("vlm_capability_scorer", tmp_path)
    batch = [sample(tmp_path, i) for i in range(3)]
    out = scorer.process_batch(batch)
    assert [o is s for o, s in zip(out, batch, strict=True)] == [True] * 3  # stats survive
    for s in batch:
        assert s.scores == {c: float(rating(c)) for c in CAPABILITIES}
        assert all(isinstance(v, float) for v in s.scores.values())
        assert s.stats == {"earlier_op.value": 1.5}
        prov = s.meta["scoring"]["vlm_capability_scorer"]
        assert prov == {
            "backend": "heuristic",
            "model": None,
            "prompt_id": "capability_scores",
            "prompt_version": 1,
            "rubric_version": 1,
            "mode": "one_pass",
            "capabilities": list(CAPABILITIES),
            "requests": 1,
            "cached": False,
            "heuristic": True,
        }
    assert len(handlers.seen) == 3
    assert scorer.output_scores() == list(CAPABILITIES)
    assert scorer.metrics() == {
        "requests": 3.0,
        "cache_hits": 0.0,
        "cache_misses": 0.0,  # heuristic answers are never cached
        "prompt_tokens": 0.0,
        "completion_tokens": 0.0,
        "failed_requests": 0.0,
        "reasks": 0.0,
    }


def test_per_capability_asks_one_request_per_capability_and_agrees_with_one_pass(
    handlers: Handlers, tmp_path: Path
) -> None:
    caps = ["optical_character_recognition", "humanities", "stem_knowledge"]
    one = op("vlm_capability_scorer", tmp_path, capabilities=caps)
    per = op("vlm_capability_scorer", tmp_path, capabilities=caps, mode="per_capability")
    a, b = [sample(tmp_path, i) for i in range(2)], [sample(tmp_path, i) for i in range(2)]
    one.process_batch(a)
    assert {p for r in handlers.seen for p in [r.prompt_id]} == {"capability_scores"}
    handlers.seen.clear()
    per.process_batch(b)
    assert [asked_capability(r) for r in handlers.seen] == [
        "humanities",
        "stem_knowledge",
        "optical_character_recognition",
    ] * 2
    assert [s.scores for s in a] == [s.scores for s in b]
    assert set(a[0].scores) == set(caps)
    assert b[0].meta["scoring"]["vlm_capability_scorer"]["requests"] == 3
    assert b[0].meta["scoring"]["vlm_capability_scorer"]["prompt_id"] == "capability_score"
    assert per.metrics()["requests"] == 6 and one.metrics()["requests"] == 2
    assert per.output_scores() == ["humanities", "stem_knowledge", "optical_character_recognition"]


def test_invalid_answers_after_reasks_are_errors_with_no_scores(
    handlers: Handlers, tmp_path: Path
) -> None:
    handlers.bad = True
    for mode in ("one_pass", "per_capability"):
        handlers.seen.clear()
        scorer = op("vlm_capability_scorer", tmp_path, mode=mode, capabilities=["humanities"])
        s = sample(tmp_path)
        [out] = scorer.process_batch([s])
        assert isinstance(out, SampleError)
        assert "validation after 2 attempt(s)" in str(out) and "less than or equal to 5" in str(out)
        assert s.scores == {} and "scoring" not in s.meta
        assert len(handlers.seen) == 2  # asked, then re-asked once
        assert scorer.metrics()["failed_requests"] == 1 and scorer.metrics()["reasks"] == 1
        with pytest.raises(SampleError):
            scorer.process(sample(tmp_path))


def test_unreadable_media_is_an_error_and_the_rest_of_the_batch_is_scored(
    handlers: Handlers, tmp_path: Path
) -> None:
    scorer = op("vlm_capability_scorer", tmp_path, capabilities=["humanities"])
    good, missing = sample(tmp_path, 1), sample(tmp_path, 2)
    missing.images = ["nowhere.png"]
    out = scorer.process_batch([good, missing])
    assert out[0] is good and good.scores == {"humanities": float(rating("humanities"))}
    assert isinstance(out[1], SampleError) and "nowhere.png" in str(out[1])
    assert missing.scores == {}
    assert len(handlers.seen) == 1  # the unreadable sample never reached the model


def test_params_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"unknown capabilities \['ocr'\]"):
        registry.create("vlm_capability_scorer", {"capabilities": ["ocr"]})
    with pytest.raises(ConfigError, match="mode"):
        registry.create("vlm_capability_scorer", {"mode": "fourteen"})
    with pytest.raises(ConfigError, match="backend"):
        registry.create("vlm_styler", {"backend": "openai"})
    with pytest.raises(ConfigError, match="Extra inputs"):
        registry.create("vlm_styler", {"temprature": 0.5})
    with pytest.raises(ConfigError, match="has no version 9"):
        registry.create("vlm_styler", {"prompt_version": 9})
    with pytest.raises(ConfigError, match="rubric v3 not found"):
        registry.create("vlm_capability_scorer", {"rubric_version": 3})


def test_model_settings_in_params_override_the_configuration(
    clean_model_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmcurate.models import get_client
    from mmcurate.scorers.vlm import VlmParams

    params = VlmParams(device="cpu", batch_size=4)
    assert params.overrides() == {"device": "cpu", "batch_size": 4}
    assert VlmParams(cache=False).overrides() == {"cache": False}  # False is a setting too
    assert VlmParams().overrides() == {}
    # a set param beats the environment; an unset one still resolves from it
    monkeypatch.setenv("MMCURATE_BATCH_SIZE", "9")
    monkeypatch.setenv("MMCURATE_DTYPE", "bfloat16")
    client = get_client(**VlmParams(device="cpu", batch_size=4, cache=False).overrides())
    try:
        config = client.config
        assert (config.device, config.batch_size, config.cache) == ("cpu", 4, False)
        assert config.source("batch_size") == "argument" and config.source("device") == "argument"
        assert config.dtype == "bfloat16" and config.source("dtype") == "env MMCURATE_DTYPE"
        assert client.cache is None  # cache: false reaches the client
    finally:
        client.close()
    # the op builds its client from its params (no model is loaded)
    scorer = registry.create("vlm_capability_scorer", {"device": "cpu", "dtype": "float32"})
    assert isinstance(scorer, VlmCapabilityScorer)
    resolved = scorer.calls.client.config
    assert (resolved.device, resolved.dtype, resolved.batch_size) == ("cpu", "float32", 9)
    scorer.calls.close()
    # values are checked with ModelConfig's own limits, naming the field
    with pytest.raises(ConfigError, match="batch_size"):
        registry.create("vlm_styler", {"batch_size": 0})
    with pytest.raises(ConfigError, match="cache"):
        registry.create("vlm_styler", {"cache": "sometimes"})


def test_a_server_that_is_down_fails_setup_not_every_sample(
    clean_model_env: Path, tmp_path: Path
) -> None:
    from mmcurate.models import ModelUnavailableError

    scorer = registry.create("vlm_capability_scorer", {"url": "http://127.0.0.1:9"})
    scorer.bind(OpContext(root=tmp_path))
    with pytest.raises(ModelUnavailableError):
        scorer.ensure_setup()


# -- the styler -------------------------------------------------------------------------------


def test_styler_writes_taxonomy_labels_and_provenance(handlers: Handlers, tmp_path: Path) -> None:
    styler = op("vlm_styler", tmp_path)
    s = sample(tmp_path)
    [out] = styler.process_batch([s])
    assert out is s and s.styles == ["multi-choice", "yes/no"]
    prov = s.meta["scoring"]["vlm_styler"]
    assert (prov["prompt_id"], prov["prompt_version"], prov["heuristic"]) == (
        "interaction_styles",
        1,
        True,
    )
    handlers.bad = True
    s2 = sample(tmp_path, 2)
    [err] = styler.process_batch([s2])
    assert isinstance(err, SampleError) and "style labelling failed" in str(err)
    assert s2.styles == []


# -- through the runner -----------------------------------------------------------------------


def test_recipe_run_writes_scores_styles_provenance_and_metrics(
    handlers: Handlers, tmp_path: Path
) -> None:
    from mmcurate.recipes import parse_recipe
    from mmcurate.runner import LocalExecutor, RunOptions

    pool = make_pool(tmp_path / "pool", n=6)
    rec = parse_recipe(
        {
            "dataset_path": str(pool),
            "export_path": str(tmp_path / "out.jsonl"),
            "process": [
                {"image_shape_filter": {"min_width": 1}},
                {"vlm_capability_scorer": {"backend": "heuristic", "capabilities": ["humanities"]}},
                {"vlm_styler": {"backend": "heuristic"}},
            ],
        }
    )
    summary = LocalExecutor(rec, RunOptions(show_progress=False)).run()
    assert summary.kept == 6 and summary.balanced
    scorer = next(o for o in summary.ops if o.name == "vlm_capability_scorer")
    assert scorer.metrics["requests"] == 6 and scorer.metrics["failed_requests"] == 0
    rows = read_jsonl(tmp_path / "out.jsonl")
    for row in rows:
        assert row["scores"] == {"humanities": float(rating("humanities"))}
        assert row["styles"] == ["multi-choice", "yes/no"]
        assert "image_shape_filter.width" in json.dumps(row["stats"])  # not cleared
        scoring = row["meta"]["scoring"]
        assert set(scoring) == {"vlm_capability_scorer", "vlm_styler"}


# -- curate score wiring and the heuristic answers ---------------------------------------------


def test_model_backends_build_vlm_score_recipes(tmp_path: Path) -> None:
    from mmcurate.scorers.cli import ScoreOptions, build_recipe

    opts = ScoreOptions(
        data=make_pool(tmp_path / "pool", n=2),
        out=tmp_path / "out.jsonl",
        backend="vllm-server",
        capabilities=("humanities",),
        backend_options={"url": "http://gpu:8000", "model": None, "mode": "per_capability"},
    )
    steps = [(s.name, s.params) for s in build_recipe(opts).process]
    assert steps == [
        (
            "vlm_capability_scorer",
            {
                "backend": "vllm-server",
                "url": "http://gpu:8000",
                "mode": "per_capability",
                "capabilities": ("humanities",),
            },
        ),
        ("vlm_styler", {"backend": "vllm-server", "url": "http://gpu:8000"}),
    ]
    for backend in ("transformers", "vllm-offline"):
        recipe = build_recipe(ScoreOptions(data=opts.data, out=opts.out, backend=backend))
        assert [s.name for s in recipe.process] == ["vlm_capability_scorer", "vlm_styler"]
    with pytest.raises(ConfigError, match="unknown backend options"):
        build_recipe(
            ScoreOptions(
                data=opts.data,
                out=opts.out,
                backend="transformers",
                backend_options={"temperature": 1},
            )  # fmt: skip
        )
    with pytest.raises(ConfigError, match="mode"):
        build_recipe(
            ScoreOptions(
                data=opts.data,
                out=opts.out,
                backend="transformers",
                backend_options={"mode": "fourteen"},
            )  # fmt: skip
        )


def test_heuristic_backend_answers_with_the_lite_scores(
    clean_model_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no model, the scorer prompts are answered by lite_capability_scorer (integers)
    and the rule styler, and everything says heuristic. (The lite scorer runs without OCR
    and text embedding here, to keep the test fast; the handler's own default is the lite
    scorer's default.)"""
    from mmcurate.scorers import styler_rules, vlm

    cheap = {"integer": True, "perception": {"ocr": "never", "embed": False}}
    lite = registry.create("lite_capability_scorer", cheap)
    lite.bind(OpContext(root=Path("/")))
    monkeypatch.setattr(vlm._lite, "_op", lite)
    monkeypatch.setattr(vlm._lite, "_memo", {})
    batch = [sample(tmp_path, i) for i in range(2)]
    reference = registry.create("lite_capability_scorer", cheap)
    reference.bind(OpContext(root=tmp_path))
    expected = [s.model_copy(deep=True) for s in batch]
    reference.process_batch(expected)
    assert all(v in {0.0, 1.0, 2.0, 3.0, 4.0, 5.0} for v in expected[0].scores.values())
    for mode in ("one_pass", "per_capability"):
        scorer = op("vlm_capability_scorer", tmp_path, mode=mode)
        got = [s.model_copy(deep=True) for s in batch]
        assert all(o is s for o, s in zip(scorer.process_batch(got), got, strict=True))
        assert [s.scores for s in got] == [s.scores for s in expected]
        assert got[0].meta["scoring"]["vlm_capability_scorer"]["heuristic"] is True
    assert len(vlm._lite._memo) == 2  # 14 per-capability requests, one lite pass per sample
    styler = op("vlm_styler", tmp_path)
    styler.process_batch(batch)
    assert [s.styles for s in batch] == [styler_rules.sample_styles(s) for s in batch]

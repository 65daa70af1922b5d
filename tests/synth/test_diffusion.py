"""Diffusion pair source: object swap, prompt-to-prompt plumbing on a tiny random pipeline.

The pipeline is built from configs in the test (random weights, 64x64, 2 steps on CPU): it
checks the argument plumbing and the attention control, not image quality (the real run
needs a GPU and a Stable Diffusion checkpoint; see docs/synthesis.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mmcurate.models import get_client
from mmcurate.synth.diffusion import (
    DiffusionParams,
    P2PController,
    heuristic_swap,
    render_pair,
    swap_objects,
    token_mapper,
)

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

WORDS = [
    "a",
    "cat",
    "dog",
    "sitting",
    "on",
    "table",
    "red",
    "car",
    "bicycle",
    "parked",
    "street",
    "in",
    "front",
    "of",
    "house",
    "the",
    "wooden",
    "sunny",
    "kitchen",
]


def tiny_tokenizer(tmp_path: Path) -> Any:
    """A CLIP BPE tokenizer over a small word vocabulary (whole words, no merges needed)."""
    chars = sorted({c for w in WORDS for c in w})
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in chars:
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    merges = []
    for w in WORDS:  # merge each word left to right into one token
        cur = w[0]
        for i, c in enumerate(w[1:], start=1):
            nxt = c + ("</w>" if i == len(w) - 1 else "")
            merges.append(f"{cur} {nxt}")
            cur = cur + nxt
            vocab.setdefault(cur, len(vocab))
    merges = list(dict.fromkeys(merges))
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return transformers.CLIPTokenizer(
        str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"), model_max_length=16
    ), len(vocab)


@pytest.fixture(scope="module")
def tiny_pipe(tmp_path_factory: pytest.TempPathFactory) -> Any:
    torch.manual_seed(0)
    tok, vocab_size = tiny_tokenizer(tmp_path_factory.mktemp("tok"))
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    vae = diffusers.AutoencoderKL(
        block_out_channels=(8, 16, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
    )
    text = transformers.CLIPTextModel(
        transformers.CLIPTextConfig(
            vocab_size=vocab_size,
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=16,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    pipe = diffusers.StableDiffusionPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tok,
        unet=unet,
        scheduler=diffusers.DDIMScheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


PARAMS = DiffusionParams(
    num_inference_steps=2,
    height=64,
    width=64,
    cross_replace=0.5,
    self_replace=0.5,
    guidance_scale=7.5,
)


def test_heuristic_swap_replaces_one_known_object() -> None:
    swap = heuristic_swap("a cat sitting on a table")
    assert swap == {
        "original_object": "cat",
        "new_object": "dog",
        "new_caption": "a dog sitting on a table",
    }
    assert heuristic_swap("an apple on a plate")["new_caption"] == "an orange on a plate"
    assert heuristic_swap("a cup on a car")["new_caption"] == "a bottle on a car"
    assert heuristic_swap("nothing to see here") is None


def test_swap_objects_through_the_model_layer_records_failures() -> None:
    client = get_client(backend="heuristic")
    out = swap_objects(["a red car parked", "clouds over hills"], client=client)
    assert out[0][0] is not None and out[0][0]["new_object"] == "bicycle"
    assert out[0][2]["prompt_id"] == "imgdiff_object_swap" and out[0][2]["heuristic"]
    assert out[1][0] is None and "no known object" in out[1][1]


def test_token_mapper_aligns_shared_tokens_and_the_swapped_word(tiny_pipe: Any) -> None:
    m = token_mapper(tiny_pipe.tokenizer, "a cat sitting on a table", "a dog sitting on a table")
    ids = tiny_pipe.tokenizer("a cat sitting on a table").input_ids
    assert len(ids) == 8  # bos + 6 words + eos: whole-word tokens
    assert torch.equal(m, torch.eye(m.shape[0]))  # same length: the swap maps position to position
    m2 = token_mapper(tiny_pipe.tokenizer, "a cat", "a red car")
    # "cat" (position 2) spreads over the two target tokens "red car" (positions 2, 3)
    assert m2[2, 2] == 1.0 and m2[2, 3] == 1.0 and m2[1, 1] == 1.0
    assert m2[3, 4] == 1.0  # eos follows the shift
    assert torch.allclose(m2.sum(0), torch.ones(m2.shape[0]))


def test_controller_replaces_only_the_conditional_target_maps() -> None:
    heads, q, k = 2, 4, 5
    ctl = P2PController(torch.eye(k), num_steps=4, cross_replace=0.5, self_replace=0.25)
    probs = torch.rand(4 * heads, q, k).softmax(-1)  # [uncond src, uncond tgt, cond src, cond tgt]
    out = ctl(probs.clone(), True, heads).view(4, heads, q, k)
    p = probs.view(4, heads, q, k)
    assert torch.allclose(out[:3], p[:3]) and torch.allclose(out[3], p[2])
    ctl.step = 2  # past cross_replace * steps: untouched
    assert torch.equal(ctl(probs.clone(), True, heads), probs)
    assert ctl.calls == {"cross": 2, "self": 0} and ctl.replaced == {"cross": 1, "self": 0}


def test_render_pair_runs_p2p_on_cross_and_self_attention(tiny_pipe: Any) -> None:
    before = {k: type(v) for k, v in tiny_pipe.unet.attn_processors.items()}
    img_a, img_b, ctl = render_pair(
        tiny_pipe, "a cat sitting on a table", "a dog sitting on a table", PARAMS, seed=3
    )
    assert img_a.size == img_b.size == (64, 64)
    n_layers = len(before) // 2  # attn1 (self) and attn2 (cross) in each transformer block
    # 2 steps: every layer is called each step; step 0 is edited (cross/self_replace 0.5)
    assert ctl.calls == {"cross": 2 * n_layers, "self": 2 * n_layers}
    assert ctl.replaced == {"cross": n_layers, "self": n_layers}
    # the original processors are back after the call
    assert {k: type(v) for k, v in tiny_pipe.unet.attn_processors.items()} == before
    # the controller changed the target image: without it the two prompts render differently
    # in a different way (same latents); with full replacement the images get closer
    import numpy as np

    full = PARAMS.model_copy(update={"cross_replace": 1.0, "self_replace": 1.0})
    none = PARAMS.model_copy(update={"cross_replace": 0.0, "self_replace": 0.0})
    fa, fb, _ = render_pair(tiny_pipe, "a cat sitting", "a dog sitting", full, seed=3)
    na, nb, nctl = render_pair(tiny_pipe, "a cat sitting", "a dog sitting", none, seed=3)
    assert nctl.replaced == {"cross": 0, "self": 0}
    d_full = np.abs(np.asarray(fa, float) - np.asarray(fb, float)).mean()
    d_none = np.abs(np.asarray(na, float) - np.asarray(nb, float)).mean()
    assert d_full < d_none


def test_pipeline_diffusion_source_end_to_end(tiny_pipe: Any, tmp_path: Path) -> None:
    from mmcurate.synth.pipeline import ImgDiffParams, run_imgdiff

    caps = tmp_path / "caps.txt"
    caps.write_text("a cat sitting on a table\nclouds over the hills\na red car parked\n")
    params = ImgDiffParams(
        source="diffusion",
        n=3,
        diffusion={**PARAMS.model_dump(exclude={"captions_file"}), "captions_file": str(caps)},
    )
    summary = run_imgdiff(
        params, tmp_path / "out", client=get_client(backend="heuristic"), diffusion_pipe=tiny_pipe
    )
    assert summary.n_pairs == 3 and summary.balanced
    dropped = [json.loads(x) for x in (tmp_path / "out" / "dropped.jsonl").read_text().splitlines()]
    reasons = {d["pair_id"]: (d["stage"], d["reason"]) for d in dropped}
    # the caption with no swappable object is dropped at the pairs stage, with the reason
    assert (
        reasons["diff-0-000001"][0] == "pairs" and "no known object" in reasons["diff-0-000001"][1]
    )
    # the rendered pairs went through the similarity window (on for diffusion pairs)
    st = summary.stages["pair_similarity"]
    assert st.n_in == 2 and st.kept + st.dropped == 2
    for pid in ("diff-0-000000", "diff-0-000002"):
        if pid in reasons and reasons[pid][0] == "pair_similarity":
            assert "outside (0.9, 0.98)" in reasons[pid][1]
    assert summary.source_info["swaps_failed"] == 1

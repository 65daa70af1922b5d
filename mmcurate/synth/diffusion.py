"""Diffusion pairs (GPU): an object swapped in a caption, both captions rendered with
prompt-to-prompt attention control so that only the object changes.

1. **Object swap** (``imgdiff_object_swap`` prompt, through :mod:`mmcurate.models`): the LLM
   picks one object in a caption and replaces it (``ObjectSwap``: original object, new object,
   new caption). With the heuristic backend a fixed vocabulary of swaps is used instead
   (``heuristic_swap``; said so in the pair's meta). A swap whose new caption does not contain
   the new object, or equals the source caption, drops the pair at stage ``pairs``.
2. **Rendering**: a diffusers Stable-Diffusion-style pipeline (``StableDiffusionPipeline``)
   renders ``[source, target]`` in one batch from the same initial latents. A custom attention
   processor (:class:`P2PAttnProcessor`) on every attention layer of the UNet hands the
   attention probabilities to a :class:`P2PController`, which, in the conditional half of the
   classifier-free-guidance batch, replaces the target prompt's cross-attention maps with the
   source prompt's (word swap: a token alignment ``mapper`` so the swapped word's tokens take
   the source word's maps) for the first ``cross_replace`` fraction of the steps, and its
   self-attention maps for the first ``self_replace`` fraction (Hertz et al., 2022).
3. The pipeline's similarity window (0.9, 0.98) is applied by
   :class:`mmcurate.synth.pipeline.ImgDiffPipeline` (stage ``pair_similarity``).

Nothing here imports torch or diffusers at module import time; a missing package is a
:class:`~mmcurate.errors.MissingDependencyError` naming the ``synth`` extra.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from mmcurate.errors import ConfigError, MissingDependencyError
from mmcurate.models import Request, register_heuristic

SWAP_PROMPT = "imgdiff_object_swap"

#: Heuristic object swaps (no LLM): noun -> replacement.
SWAPS: dict[str, str] = {
    "cat": "dog",
    "dog": "cat",
    "apple": "orange",
    "orange": "apple",
    "car": "bicycle",
    "bicycle": "car",
    "cup": "bottle",
    "bottle": "cup",
    "chair": "stool",
    "book": "laptop",
    "laptop": "book",
    "horse": "cow",
    "cow": "horse",
    "boat": "swan",
    "bird": "butterfly",
    "lamp": "vase",
    "vase": "lamp",
    "banana": "carrot",
    "hat": "helmet",
    "umbrella": "kite",
}

#: Source captions used when no captions file is given.
DEFAULT_CAPTIONS = (
    "a cat sitting on a wooden table in a sunny kitchen",
    "a red car parked on a quiet street in front of a house",
    "a cup of coffee next to a book on a desk",
    "a dog lying on the grass in a park",
    "an apple on a white plate on a kitchen counter",
    "a bicycle leaning against a brick wall",
    "a horse standing in a green field under a blue sky",
    "a lamp on a bedside table next to a bed",
    "a boat on a calm lake at sunset",
    "a bird sitting on a branch of a tree",
    "a bottle of water on a picnic blanket",
    "a laptop on a wooden desk by a window",
    "a banana in a bowl on a table",
    "a vase with flowers on a windowsill",
    "a chair in an empty room with white walls",
    "a man wearing a hat walking on the beach",
)


class DiffusionParams(BaseModel):
    """Diffusion source settings (Stable Diffusion + prompt-to-prompt word swap).

    Attributes:
        model: A diffusers Stable Diffusion folder or hub id (required for real runs).
        captions_file: Source captions, one per line (default: :data:`DEFAULT_CAPTIONS`).
        num_inference_steps: Denoising steps.
        guidance_scale: Classifier-free guidance scale.
        height: Image height (multiple of 8).
        width: Image width (multiple of 8).
        cross_replace: Fraction of steps whose target cross-attention is replaced (P2P: 0.8).
        self_replace: Fraction of steps whose target self-attention is replaced (P2P: 0.4).
        self_replace_max_tokens: Self-attention is replaced only in layers with at most this
            many query tokens (P2P: 32x32 = 1024; higher-resolution layers keep their own).
        device: ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``auto`` (float16 on CUDA, else float32), ``float16``, ``bfloat16``, ``float32``.
        swap: ``auto`` (the configured LLM, heuristic vocabulary without one), ``llm`` or
            ``heuristic``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    captions_file: Path | None = None
    num_inference_steps: int = Field(default=50, ge=1)
    guidance_scale: float = Field(default=7.5, ge=1.0)
    height: int = Field(default=512, ge=8, multiple_of=8)
    width: int = Field(default=512, ge=8, multiple_of=8)
    cross_replace: float = Field(default=0.8, ge=0.0, le=1.0)
    self_replace: float = Field(default=0.4, ge=0.0, le=1.0)
    self_replace_max_tokens: int = Field(default=1024, ge=1)
    device: str = "auto"
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    swap: Literal["auto", "llm", "heuristic"] = "auto"


# -- object swap ----------------------------------------------------------------------------


def heuristic_swap(caption: str) -> dict[str, str] | None:
    """Swap the first noun of :data:`SWAPS` found in ``caption`` (``None`` if none is)."""
    for word in re.findall(r"[a-z]+", caption.lower()):
        if word in SWAPS:
            new = SWAPS[word]
            new_caption = re.sub(rf"\b{word}\b", new, caption, count=1, flags=re.IGNORECASE)
            if new[0] in "aeiou":
                new_caption = re.sub(rf"\ba {new}\b", f"an {new}", new_caption)
            else:
                new_caption = re.sub(rf"\ban {new}\b", f"a {new}", new_caption)
            return {"original_object": word, "new_object": new, "new_caption": new_caption}
    return None


@register_heuristic(SWAP_PROMPT)
def _swap_heuristic(request: Request, schema: type[BaseModel] | None) -> dict[str, str]:
    caption = str(request.meta.get("caption", ""))
    swap = heuristic_swap(caption)
    if swap is None:
        raise ValueError(f"no known object to swap in {caption!r} (heuristic vocabulary)")
    return swap


def swap_objects(
    captions: list[str], client: Any = None, mode: str = "auto"
) -> list[tuple[dict[str, str] | None, str, dict[str, Any]]]:
    """Object swaps for captions: ``(swap or None, reason, provenance)`` per caption.

    Args:
        captions: Source captions.
        client: Model client (default: the configured one).
        mode: ``auto``, ``llm`` or ``heuristic`` (see :class:`DiffusionParams`).
    """
    from mmcurate.models import default_client, generate, get_client
    from mmcurate.prompts import load_prompt

    client = client or default_client()
    if mode == "heuristic":
        client = get_client(backend="heuristic")
    elif mode == "llm" and client.config.backend == "heuristic":
        raise ConfigError("diffusion.swap=llm needs a model backend (--url or --backend)")
    prompt = load_prompt(SWAP_PROMPT)
    reqs = [
        prompt.request({"caption": c}, key=str(i), meta={"caption": c})
        for i, c in enumerate(captions)
    ]
    results = generate(reqs, schema=prompt.output_schema_model(), client=client)
    out: list[tuple[dict[str, str] | None, str, dict[str, Any]]] = []
    for cap, res in zip(captions, results, strict=True):
        if not res.ok:
            out.append((None, f"object swap failed: {res.error}", res.provenance()))
            continue
        swap = res.parsed.model_dump()
        if swap["new_caption"].strip().lower() == cap.strip().lower():
            out.append((None, "object swap returned the caption unchanged", res.provenance()))
        elif swap["new_object"].lower() not in swap["new_caption"].lower():
            out.append(
                (None, f"new caption lacks the new object {swap['new_object']!r}", res.provenance())
            )
        else:
            out.append((swap, "", res.provenance()))
    return out


# -- prompt-to-prompt -----------------------------------------------------------------------


def token_mapper(tokenizer: Any, source: str, target: str) -> Any:
    """The (L, L) word-swap alignment from source tokens to target tokens.

    Tokens shared at the start and end keep their positions; the swapped span's target tokens
    each take the mean of the source span's maps. Columns sum to 1.
    """
    import torch

    length = tokenizer.model_max_length
    src = tokenizer(source, padding="max_length", max_length=length, truncation=True).input_ids
    tgt = tokenizer(target, padding="max_length", max_length=length, truncation=True).input_ids
    eos = tokenizer.eos_token_id
    ls = src.index(eos) + 1 if eos in src else length
    lt = tgt.index(eos) + 1 if eos in tgt else length
    pre = 0
    while pre < min(ls, lt) and src[pre] == tgt[pre]:
        pre += 1
    suf = 0
    while suf < min(ls, lt) - pre and src[ls - 1 - suf] == tgt[lt - 1 - suf]:
        suf += 1
    m = torch.zeros(length, length)
    for i in range(pre):
        m[i, i] = 1.0
    s_mid, t_mid = range(pre, ls - suf), range(pre, lt - suf)
    for j in t_mid:
        if len(s_mid):
            m[list(s_mid), j] = 1.0 / len(s_mid)
        else:
            m[min(j, ls - 1), j] = 1.0
    for t in range(suf):
        m[ls - suf + t, lt - suf + t] = 1.0
    for j in range(lt, length):  # padding: keep position (map from the same or last index)
        m[min(j, length - 1) if j >= ls else j, j] = 1.0
    return m


class P2PController:
    """Replaces the target prompts' attention maps with the source prompt's (word swap).

    The batch seen by attention layers is ``[uncond x B, cond x B]`` (classifier-free
    guidance) with ``B = 1 + number of targets``; only the conditional half is edited
    (index 0 of it is the source).

    Attributes:
        step: Current denoising step (set by the pipeline callback).
        calls: Attention calls seen, by ``cross`` / ``self``.
        replaced: Calls whose target maps were replaced, by ``cross`` / ``self``.
    """

    def __init__(
        self,
        mapper: Any,
        num_steps: int,
        cross_replace: float,
        self_replace: float,
        self_max_tokens: int = 1024,
    ) -> None:
        self.mapper = mapper
        self.cross_steps = int(round(cross_replace * num_steps))
        self.self_steps = int(round(self_replace * num_steps))
        self.self_max_tokens = self_max_tokens
        self.step = 0
        self.calls = {"cross": 0, "self": 0}
        self.replaced = {"cross": 0, "self": 0}

    def __call__(self, probs: Any, is_cross: bool, heads: int) -> Any:
        """Edit attention probabilities ``(batch * heads, queries, keys)``."""
        import torch

        kind = "cross" if is_cross else "self"
        self.calls[kind] += 1
        bh, q, k = probs.shape
        batch = bh // heads
        if batch < 2:
            return probs
        limit = self.cross_steps if is_cross else self.self_steps
        if self.step >= limit or (not is_cross and q > self.self_max_tokens):
            return probs
        p = probs.view(batch, heads, q, k)
        half = batch // 2 if batch >= 4 and batch % 2 == 0 else 0
        cond = p[half:]
        src = cond[0]
        if is_cross:
            mapper = self.mapper.to(device=probs.device, dtype=probs.dtype)[:k, :k]
            new = torch.einsum("hqi,ij->hqj", src, mapper)
            new = new / new.sum(dim=-1, keepdim=True).clamp_min(1e-8)
        else:
            new = src
        edited = torch.cat([p[:half], cond[:1], new.unsqueeze(0).expand_as(cond[1:])], dim=0)
        self.replaced[kind] += 1
        return edited.reshape(bh, q, k)


class P2PAttnProcessor:
    """diffusers attention processor (``AttnProcessor`` math) that routes the attention
    probabilities through a :class:`P2PController`."""

    def __init__(self, controller: P2PController) -> None:
        self.controller = controller

    def __call__(
        self,
        attn: Any,
        hidden_states: Any,
        encoder_hidden_states: Any = None,
        attention_mask: Any = None,
        temb: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Attention with the controller applied to the probabilities."""
        import torch

        is_cross = encoder_hidden_states is not None
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            b, c, h, w = hidden_states.shape
            hidden_states = hidden_states.view(b, c, h * w).transpose(1, 2)
        batch_size, sequence_length, _ = (
            hidden_states.shape if encoder_hidden_states is None else encoder_hidden_states.shape
        )
        attention_mask = attn.prepare_attention_mask(attention_mask, sequence_length, batch_size)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key = attn.to_k(encoder_hidden_states)
        value = attn.to_v(encoder_hidden_states)
        query = attn.head_to_batch_dim(query)
        key = attn.head_to_batch_dim(key)
        value = attn.head_to_batch_dim(value)
        probs = attn.get_attention_scores(query, key, attention_mask)
        probs = self.controller(probs, is_cross, attn.heads)
        hidden_states = torch.bmm(probs, value)
        hidden_states = attn.batch_to_head_dim(hidden_states)
        hidden_states = attn.to_out[0](hidden_states)
        hidden_states = attn.to_out[1](hidden_states)
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(b, c, h, w)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def _torch_setup(params: DiffusionParams) -> tuple[Any, Any]:
    import torch

    device = params.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if params.dtype == "auto":
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
    else:
        dtype = getattr(torch, params.dtype)
    return device, dtype


def load_pipeline(params: DiffusionParams) -> Any:
    """Load the Stable Diffusion pipeline named by ``params.model``.

    Raises:
        ConfigError: No model given.
        MissingDependencyError: diffusers/torch not installed.
    """
    if not params.model:
        raise ConfigError(
            "--source diffusion needs --diffusion-model (a diffusers Stable Diffusion folder "
            "or hub id, e.g. stable-diffusion-v1-5/stable-diffusion-v1-5)"
        )
    try:
        from diffusers import StableDiffusionPipeline
    except ImportError:
        raise MissingDependencyError(
            "the diffusion pair source needs diffusers: pip install 'mmcurate[synth]'"
        ) from None
    device, dtype = _torch_setup(params)
    pipe = StableDiffusionPipeline.from_pretrained(
        params.model, torch_dtype=dtype, safety_checker=None, requires_safety_checker=False
    )
    return pipe.to(device)


def render_pair(
    pipe: Any, source: str, target: str, params: DiffusionParams, seed: int
) -> tuple[Image.Image, Image.Image, P2PController]:
    """Render ``source`` and ``target`` with prompt-to-prompt word swap.

    Returns:
        The source image, the target image and the controller (its counters tell which
        attention layers were edited).
    """
    import torch

    steps = params.num_inference_steps
    mapper = token_mapper(pipe.tokenizer, source, target)
    controller = P2PController(
        mapper, steps, params.cross_replace, params.self_replace, params.self_replace_max_tokens
    )
    original = dict(pipe.unet.attn_processors)
    pipe.unet.set_attn_processor(P2PAttnProcessor(controller))

    def on_step_end(_pipe: Any, i: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        controller.step = i + 1
        return kwargs

    device = pipe.device
    unet = pipe.unet
    scale = getattr(pipe, "vae_scale_factor", 8)
    shape = (1, unet.config.in_channels, params.height // scale, params.width // scale)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    latents = torch.randn(shape, generator=generator).to(device=device, dtype=unet.dtype)
    try:
        out = pipe(
            prompt=[source, target],
            latents=latents.repeat(2, 1, 1, 1),
            num_inference_steps=steps,
            guidance_scale=params.guidance_scale,
            height=params.height,
            width=params.width,
            callback_on_step_end=on_step_end,
            output_type="pil",
        )
    finally:
        pipe.unet.set_attn_processor(original)
    img_a, img_b = out.images
    return img_a, img_b, controller


def read_captions(params: DiffusionParams) -> list[str]:
    """Source captions (the file's non-empty lines, or :data:`DEFAULT_CAPTIONS`).

    Raises:
        ConfigError: The file cannot be read or has no caption.
    """
    if params.captions_file is None:
        return list(DEFAULT_CAPTIONS)
    try:
        lines = Path(params.captions_file).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ConfigError(f"--captions-file {params.captions_file}: {err}") from None
    caps = [line.strip() for line in lines if line.strip()]
    if not caps:
        raise ConfigError(f"--captions-file {params.captions_file}: no captions in it")
    return caps


def diffusion_pairs(
    params: DiffusionParams,
    n: int,
    seed: int,
    client: Any = None,
    pipe: Any = None,
) -> tuple[Iterator[Any], dict[str, Any]]:
    """``n`` diffusion pairs (swaps done now; images rendered lazily, one pair at a time).

    Args:
        params: Diffusion settings.
        n: Pairs to make (captions are cycled).
        seed: Run seed (pair ``i`` uses latents seeded ``seed * 100003 + i``).
        client: Model client for the object swap.
        pipe: A ready pipeline (tests); loaded from ``params.model`` on first use otherwise.

    Returns:
        Pairs and facts (``swaps_ok``, ``swaps_failed``, ``dropped_pairs`` with reasons).
    """
    from mmcurate.synth.pipeline import Pair

    caps = read_captions(params)
    chosen = [caps[i % len(caps)] for i in range(n)]
    swaps = swap_objects(chosen, client=client, mode=params.swap)
    holder: dict[str, Any] = {"pipe": pipe}
    dropped: list[dict[str, str]] = []
    pairs: list[Any] = []
    for i, (cap, (swap, reason, prov)) in enumerate(zip(chosen, swaps, strict=True)):
        pid = f"diff-{seed}-{i:06d}"
        if swap is None:
            dropped.append({"pair_id": pid, "reason": reason})
            continue
        s = seed * 100003 + i
        pinfo: dict[str, Any] = {
            "caption_a": cap,
            "caption_b": swap["new_caption"],
            "latent_seed": s,
            "swap_provenance": prov,
            "steps": params.num_inference_steps,
            "cross_replace": params.cross_replace,
            "self_replace": params.self_replace,
        }

        def load(
            cap: str = cap, new: str = swap["new_caption"], s: int = s, pinfo: dict = pinfo
        ) -> Any:
            if holder["pipe"] is None:
                holder["pipe"] = load_pipeline(params)
            img_a, img_b, ctl = render_pair(holder["pipe"], cap, new, params, s)
            pinfo["p2p"] = {"calls": dict(ctl.calls), "replaced": dict(ctl.replaced)}
            return img_a, img_b

        pairs.append(
            Pair(
                pair_id=pid,
                source="diffusion",
                load=load,
                changed_objects=[swap["original_object"], swap["new_object"]],
                info=pinfo,
            )
        )
    info = {
        "captions": len(chosen),
        "swaps_ok": len(pairs),
        "swaps_failed": len(dropped),
        "dropped_pairs": dropped,
        "model": params.model or "(given pipeline)",
    }
    return iter(pairs), info

"""A tiny, randomly initialised Qwen2.5-VL with its processor, built offline (no download).

About 1.25 M parameters (~5 MB): 2 text layers with head_dim 64 (vLLM's CPU attention kernel
rejects head_dim 16), a 2-block vision tower, a byte-level BPE tokenizer trained here with
Qwen's special tokens and chat template, and Qwen2-VL image/video processors from defaults.
Its output is noise; it exists to prove the real code paths (processor, chat template,
vision inputs, generate, vLLM serving, constrained decoding) without any weights download.

Built once per source version under ``<repo>/.cache/`` (git-ignored) and reused by the test
suite, the integration tests and ``bench/vlm_throughput.py``.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVED_NAME = "tiny-qwen2.5-vl"

SPECIALS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen2-VL's chat template, reduced to what the model layer uses (system/user/assistant
# turns, string or list content with image/video/text parts).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content or 'video_url' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_WORDS = [
    "the",
    "a",
    "an",
    "image",
    "photo",
    "picture",
    "shows",
    "describe",
    "what",
    "is",
    "in",
    "this",
    "of",
    "and",
    "to",
    "with",
    "on",
    "for",
    "caption",
    "question",
    "answer",
    "json",
    "schema",
    "object",
    "string",
    "number",
    "true",
    "false",
    "null",
    "person",
    "dog",
    "cat",
    "car",
    "table",
    "chart",
    "text",
    "document",
    "receipt",
    "invoice",
    "total",
    "date",
    "name",
    "address",
    "red",
    "green",
    "blue",
    "yes",
    "no",
    "system",
    "user",
    "assistant",
    "you",
    "are",
    "helpful",
    '{"caption":',
    '"",',
    '"has_text":',
    "false,",
    '"num_objects":',
    "3}",
    "",
]


def _train_tokenizer(vocab_size: int):  # type: ignore[no-untyped-def]
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    rng = random.Random(0)
    corpus = [" ".join(rng.choice(_WORDS) for _ in range(12)) for _ in range(20000)]
    corpus += ["0123456789 .,;:!?()[]{}<>\"'-_/\\@#$%^&*+=~`|\n\t"] * 50
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(SPECIALS),
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
    )
    tok.train_from_iterator(corpus, trainer)
    return tok


def build_tiny_qwen_vl(out: Path, vocab_size: int = 2048) -> Path:
    """Build the tiny model + processor and ``save_pretrained`` them to ``out``.

    Args:
        out: Target folder (replaced when it exists).
        vocab_size: Tokenizer vocabulary size, special tokens included.

    Returns:
        ``out``.
    """
    import json

    import torch
    from transformers import (
        GenerationConfig,
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLVideoProcessor,
    )
    from transformers.models.qwen2.tokenization_qwen2 import Qwen2Tokenizer
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    torch.manual_seed(0)
    raw = json.loads(_train_tokenizer(vocab_size).to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in raw["merges"]]
    tok = Qwen2Tokenizer(
        vocab=raw["vocab"],
        merges=merges,
        unk_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=32768,
    )
    tok.add_special_tokens({"additional_special_tokens": SPECIALS[1:]})
    tok.chat_template = CHAT_TEMPLATE
    ids = {s: tok.convert_tokens_to_ids(s) for s in SPECIALS}
    pixels = {"min_pixels": 4 * 28 * 28, "max_pixels": 256 * 28 * 28}
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessorPil(**pixels),
        tokenizer=tok,
        video_processor=Qwen2VLVideoProcessor(**pixels),
        chat_template=CHAT_TEMPLATE,
    )
    cfg = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": ((len(tok) + 63) // 64) * 64,
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,  # head_dim 64
            "num_key_value_heads": 1,
            "max_position_embeddings": 4096,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 1000000.0,
                "mrope_section": [8, 12, 12],
            },
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "tie_word_embeddings": False,
        },
        vision_config={
            "depth": 2,
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_heads": 2,
            "out_hidden_size": 128,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [1],
            "tokens_per_second": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    model = Qwen2_5_VLForConditionalGeneration(cfg).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
        do_sample=False,
        max_new_tokens=64,
    )
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def tiny_vlm_dir() -> Path:
    """The tiny model's folder under ``<repo>/.cache/``, built when missing.

    The folder name carries a hash of this file, so a change to the recipe builds anew.
    Concurrent callers are safe: each builds into its own temporary folder and renames it.
    """
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    target = REPO / ".cache" / f"tiny-qwen2.5-vl-{digest}"
    if (target / "config.json").is_file():
        return target
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    build_tiny_qwen_vl(tmp)
    try:
        os.replace(tmp, target)
    except OSError:  # another process won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return target


if __name__ == "__main__":
    print(tiny_vlm_dir())

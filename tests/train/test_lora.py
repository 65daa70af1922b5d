"""The built-in LoRA trainer on the tiny random Qwen2.5-VL (CPU): real processor, chat
template, image and video inputs, peft adapters saved and loaded back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcurate.sample import Message, Sample
from mmcurate.train.export import export_sharegpt
from mmcurate.train.lora import LoraParams, assistant_mask, train_lora
from tests.conftest import draw_test_image, write_video

pytest.importorskip("peft")


def test_assistant_mask_marks_replies_only() -> None:
    prefix, end = [1, 7, 9], 2
    ids = [1, 5, 6, 2, 1, 7, 9, 40, 41, 2, 3, 1, 7, 9, 50, 2]
    mask = assistant_mask(ids, prefix, end)
    assert [t for t, m in zip(ids, mask, strict=True) if m] == [40, 41, 2, 50, 2]


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    samples = []
    for i, color in enumerate(["red", "blue", "green"]):
        draw_test_image(color, (96, 80)).save(root / f"{i}.png")
        samples.append(
            Sample(
                id=f"s{i}",
                images=[f"{i}.png"],
                messages=[
                    Message(role="user", content="<image>\nWhat colour is the box?"),
                    Message(role="assistant", content=f"The box is {color}."),
                ],
            )
        )
    write_video(root / "clip.mp4", frames=8, fps=4)
    samples.append(
        Sample(
            id="v",
            videos=["clip.mp4"],
            messages=[
                Message(role="user", content="<video>\nWhat happens?"),
                Message(role="assistant", content="A red bar grows."),
            ],
        )
    )
    return export_sharegpt(samples, root, tmp_path / "export").data_file


def test_train_writes_a_loadable_adapter(tiny_vlm: Path, exported: Path, tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForImageTextToText

    out = tmp_path / "adapter"
    res = train_lora(
        str(tiny_vlm), exported, out, LoraParams(max_steps=3, learning_rate=1e-2, device="cpu")
    )
    assert res.examples == 4 and not res.skipped  # the video example trained too
    assert len(res.losses) == 3 and all(0 < v < 100 for v in res.losses)
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == str(tiny_vlm)
    weights = load_file(str(out / "adapter_model.safetensors"))
    lora_b = [v for k, v in weights.items() if "lora_B" in k]
    assert lora_b and any(float(v.abs().sum()) > 0 for v in lora_b)  # B starts at zero
    assert not any("visual" in k for k in weights)  # the vision tower is not adapted
    log = json.loads((out / "train_log.json").read_text())
    assert log["params"]["max_steps"] == 3 and log["losses"] == res.losses

    base = AutoModelForImageTextToText.from_pretrained(str(tiny_vlm))
    probe = next(k for k in base.state_dict() if k.endswith("layers.0.self_attn.q_proj.weight"))
    before = base.state_dict()[probe].clone()
    merged = PeftModel.from_pretrained(base, str(out)).merge_and_unload()
    assert not torch.equal(merged.state_dict()[probe], before)


def test_unusable_data_is_a_clear_error(tiny_vlm: Path, tmp_path: Path) -> None:
    from mmcurate.errors import ConfigError

    data = tmp_path / "train.json"
    data.write_text(
        json.dumps(
            [
                {
                    "id": "x",
                    "messages": [
                        {"role": "user", "content": "<image>\nHi"},
                        {"role": "assistant", "content": "Hello"},
                    ],
                    "images": [str(tmp_path / "missing.png")],
                }
            ]
        )
    )
    with pytest.raises(ConfigError, match="no usable training example"):
        train_lora(str(tiny_vlm), data, tmp_path / "a", LoraParams(max_steps=1, device="cpu"))

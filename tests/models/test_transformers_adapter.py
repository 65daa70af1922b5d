"""The transformers backend with a LoRA adapter folder as its model (base + peft adapter)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmcurate.errors import ConfigError
from mmcurate.models import get_client
from mmcurate.models.backends.transformers_backend import (
    TransformersBackend,
    adapter_base,
    adapter_digest,
)
from mmcurate.models.config import ModelConfig
from mmcurate.models.types import GenerationConfig, Request

pytest.importorskip("peft")


@pytest.fixture(scope="module")
def adapter(tiny_vlm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter on the tiny model with non-zero B (so it changes the outputs)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    torch.manual_seed(0)
    model = AutoModelForImageTextToText.from_pretrained(str(tiny_vlm))
    peft_model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    out = tmp_path_factory.mktemp("adapter") / "adapter"
    peft_model.save_pretrained(str(out))
    return out


def test_adapter_detection_and_identity(tiny_vlm: Path, adapter: Path, tmp_path: Path) -> None:
    assert adapter_base(str(tiny_vlm)) is None
    assert adapter_base(str(adapter)) == str(tiny_vlm)
    backend = TransformersBackend(ModelConfig(backend="transformers", model=str(adapter)))
    assert backend.base_model == str(tiny_vlm)
    assert backend.model_name == f"{adapter}@lora:{adapter_digest(adapter)}"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text(json.dumps({"r": 4}))
    with pytest.raises(ConfigError, match="base_model_name_or_path"):
        adapter_base(str(broken))


def test_adapter_changes_generation_and_provenance(tiny_vlm: Path, adapter: Path) -> None:
    req = [Request.user("Describe the picture in one sentence.", key="r")]
    gen = GenerationConfig(max_tokens=12)
    base = get_client(backend="transformers", model=str(tiny_vlm), device="cpu", cache=False)
    lora = get_client(backend="transformers", model=str(adapter), device="cpu", cache=False)
    [b] = base.generate(req, config=gen)
    [a] = lora.generate(req, config=gen)
    assert b.ok and a.ok
    assert a.model is not None and a.model.startswith(f"{adapter}@lora:")
    assert a.text != b.text  # the adapter's weights were applied

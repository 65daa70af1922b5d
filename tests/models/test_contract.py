"""The backend contract for the in-process backends: heuristic and transformers (tiny model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageStat
from pydantic import BaseModel

from mmcurate.models import (
    ImagePart,
    ModelClient,
    Request,
    VideoPart,
    get_client,
    register_heuristic,
    unregister_heuristic,
)
from mmcurate.models.backends.transformers_backend import TransformersBackend
from mmcurate.models.config import ModelConfig
from mmcurate.models.media import load_image, video_frames
from mmcurate.prompts.schemas import ImageDescription
from tests.models.contract import BackendContract


def _describe_by_statistics(request: Request, schema: type[BaseModel] | None) -> BaseModel:
    """A test heuristic: image size and mean colour, no understanding claimed."""
    assert schema is not None and issubclass(schema, ImageDescription)
    parts = [p for m in request.messages for p in m.parts()]
    part = next(p for p in parts if isinstance(p, ImagePart | VideoPart))
    if isinstance(part, ImagePart):
        img = load_image(part.image)
    else:
        img = video_frames(part, fps=1.0, max_frames=1)[0][0]
    mean = [round(c) for c in ImageStat.Stat(img).mean]
    return ImageDescription(
        caption=f"{img.width}x{img.height} image, mean colour {mean}", has_text=False, num_objects=1
    )


@pytest.fixture
def heuristics() -> Iterator[None]:
    register_heuristic("describe_image")(_describe_by_statistics)
    register_heuristic("contract_free")(lambda request, schema: "hello")
    yield
    unregister_heuristic("describe_image")
    unregister_heuristic("contract_free")


class TestHeuristicContract(BackendContract):
    backend = "heuristic"
    is_heuristic = True
    reports_tokens = False
    caches = False  # cheap, deterministic, never stale

    @pytest.fixture
    def client(self, heuristics: None, tmp_path: Path, clean_model_env: Path) -> ModelClient:
        return get_client(backend="heuristic", cache_dir=tmp_path / "cache")

    def test_heuristic_answers_exactly_what_was_computed(
        self, client: ModelClient, image_file: Path
    ) -> None:
        from tests.models.contract import PROMPT

        req = PROMPT.request({"max_words": 5}, images=[image_file])
        [r] = client.generate([req], schema=PROMPT.output_schema_model())
        assert r.parsed.caption.startswith("320x240 image, mean colour")
        assert r.model is None and r.provenance()["heuristic"] is True


@pytest.fixture(scope="module")
def shared_backend(tiny_vlm: Path) -> Iterator[TransformersBackend]:
    """One loaded tiny model for the module (each test still gets its own cache)."""
    backend = TransformersBackend(
        ModelConfig(backend="transformers", model=str(tiny_vlm), device="cpu")
    )
    yield backend
    backend.close()


class TestTransformersContract(BackendContract):
    backend = "transformers"

    @pytest.fixture
    def client(
        self, shared_backend: TransformersBackend, tmp_path: Path, clean_model_env: Path
    ) -> ModelClient:
        config = shared_backend.config.model_copy(update={"cache_dir": tmp_path / "cache"})
        return ModelClient(config, backend=shared_backend)

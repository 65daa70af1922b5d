"""The contract every backend passes: the same tests, one subclass per backend.

A subclass provides a ``client`` fixture (a :class:`ModelClient` with a fresh cache dir) and
sets the class attributes describing what its backend reports. Heuristic and transformers
run in the normal suite (tests/models/test_contract.py); vllm-server runs against a real vLLM
server in tests/integration/test_vllm_server.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import model_validator

from mmcurate.models import GenerationConfig, ModelClient, Request, VideoPart
from mmcurate.prompts import load_prompt
from mmcurate.prompts.schemas import ImageDescription
from tests.conftest import draw_test_image

PROMPT = load_prompt("describe_image")
GEN = GenerationConfig(max_tokens=200)


class PickyDescription(ImageDescription):
    """Rejects the first answer it ever sees, to prove the client re-asks."""

    rejected: ClassVar[int] = 0
    accept_after: ClassVar[int] = 1

    @model_validator(mode="after")
    def _reject_first(self) -> PickyDescription:
        if PickyDescription.rejected < PickyDescription.accept_after:
            PickyDescription.rejected += 1
            raise ValueError("rejected on purpose (test)")
        return self


def described(n: int, image_file: Path) -> list[Request]:
    """``n`` describe_image requests over files and PIL images, keyed s0..s{n-1}."""
    reqs = []
    for i in range(n):
        image = image_file if i % 2 == 0 else draw_test_image(("red", "blue", "green")[i % 3])
        reqs.append(PROMPT.request({"max_words": 5 + i}, images=[image], key=f"s{i}"))
    return reqs


class BackendContract:
    """Tests every backend must pass (not collected itself: no ``Test`` prefix)."""

    backend: ClassVar[str]
    is_heuristic: ClassVar[bool] = False
    reports_tokens: ClassVar[bool] = True
    caches: ClassVar[bool] = True

    def test_one_result_per_request_in_order_with_provenance(
        self, client: ModelClient, image_file: Path
    ) -> None:
        reqs = described(5, image_file)
        results = client.generate(reqs, schema=ImageDescription, config=GEN)
        assert [r.key for r in results] == [f"s{i}" for i in range(5)]
        for r in results:
            assert r.backend == self.backend
            assert r.heuristic is self.is_heuristic
            assert (r.prompt_id, r.prompt_version) == ("describe_image", 1)
            assert r.provenance()["prompt_version"] == 1
            assert r.attempts >= 1

    def test_schema_output_is_a_validated_instance(
        self, client: ModelClient, image_file: Path
    ) -> None:
        results = client.generate(described(4, image_file), schema=ImageDescription, config=GEN)
        for r in results:
            assert r.ok, r.error
            assert isinstance(r.parsed, ImageDescription)
            assert ImageDescription.model_validate_json(r.text or "") == r.parsed
            assert 0 <= r.parsed.num_objects <= 9

    def test_free_text_without_schema(self, client: ModelClient) -> None:
        req = Request.user("Say hello.", prompt_id="contract_free", key="free")
        [r] = client.generate([req], config=GenerationConfig(max_tokens=8))
        assert r.ok, r.error
        assert isinstance(r.text, str) and r.text
        assert r.parsed is None

    def test_token_counts(self, client: ModelClient, image_file: Path) -> None:
        [r] = client.generate(described(1, image_file), schema=ImageDescription, config=GEN)
        if self.reports_tokens:
            assert r.prompt_tokens and r.prompt_tokens > 10
            assert r.completion_tokens and r.completion_tokens > 0
        else:
            assert r.prompt_tokens is None and r.completion_tokens is None

    def test_unreadable_media_is_an_error_value_not_a_crash(
        self, client: ModelClient, image_file: Path, tmp_path: Path
    ) -> None:
        reqs = described(2, image_file)
        missing = tmp_path / "nope.png"
        reqs.insert(1, PROMPT.request({"max_words": 5}, images=[missing], key="bad"))
        results = client.generate(reqs, schema=ImageDescription, config=GEN)
        assert [r.key for r in results] == ["s0", "bad", "s1"]
        bad = results[1]
        assert not bad.ok and "nope.png" in (bad.error or "")
        assert bad.parsed is None
        assert results[0].ok and results[2].ok

    def test_rerun_is_served_from_the_cache(self, client: ModelClient, image_file: Path) -> None:
        reqs = described(3, image_file)
        first = client.generate(reqs, schema=ImageDescription, config=GEN)
        calls = client.model_calls
        second = client.generate(reqs, schema=ImageDescription, config=GEN)
        assert [r.text for r in second] == [r.text for r in first]
        assert [r.parsed for r in second] == [r.parsed for r in first]
        if self.caches:
            assert all(r.cached for r in second) and not any(r.cached for r in first)
            assert client.model_calls == calls
            assert client.cache_stats.hits == 3
            # other sampling parameters are another key: the model is called again
            client.generate(
                reqs[:1], schema=ImageDescription, config=GEN.model_copy(update={"max_tokens": 199})
            )
            assert client.model_calls == calls + 1
        else:
            assert not any(r.cached for r in second)
            assert client.model_calls == calls + 3

    def test_invalid_output_is_reasked_then_accepted(
        self, client: ModelClient, image_file: Path
    ) -> None:
        PickyDescription.rejected = 0
        [r] = client.generate(described(1, image_file), schema=PickyDescription, config=GEN)
        assert r.ok, r.error
        assert r.attempts == 2 and PickyDescription.rejected == 1
        assert isinstance(r.parsed, PickyDescription)

    def test_reasks_are_bounded(self, client: ModelClient, image_file: Path) -> None:
        PickyDescription.rejected = 0
        PickyDescription.accept_after = 10
        try:
            cfg = GEN.model_copy(update={"max_reasks": 2})
            [r] = client.generate(described(1, image_file), schema=PickyDescription, config=cfg)
        finally:
            PickyDescription.accept_after = 1
        assert not r.ok and r.attempts == 3
        assert "PickyDescription validation after 3 attempt(s)" in (r.error or "")
        assert "rejected on purpose" in (r.error or "")
        assert r.parsed is None

    def test_video_request(self, client: ModelClient, video_file: Path) -> None:
        video = VideoPart(video=video_file, fps=2, max_frames=4)
        req = PROMPT.request({"max_words": 8}, videos=[video], key="v")
        [r] = client.generate([req], schema=ImageDescription, config=GEN)
        assert r.ok, r.error
        assert isinstance(r.parsed, ImageDescription)

    def test_empty_batch(self, client: ModelClient) -> None:
        assert client.generate([], schema=ImageDescription) == []

"""The request cache: what changes the key, persistence, counters, thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from mmcurate.models import GenerationConfig, Request, VideoPart
from mmcurate.models.cache import RequestCache, request_key
from mmcurate.prompts import load_prompt
from tests.conftest import draw_test_image

PROMPT = load_prompt("describe_image")


def key(req: Request, **kw: object) -> str:
    args: dict = {
        "backend": "vllm-server",
        "model": "m",
        "config": GenerationConfig(),
        "schema": None,
        "video_fps": 2.0,
        "video_max_frames": 16,
    }
    args.update(kw)
    return request_key(req, **args)


def test_key_follows_image_content_not_path(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    draw_test_image("red").save(path)
    req = PROMPT.request({"max_words": 5}, images=[path])
    k1 = key(req)
    assert key(req) == k1
    assert key(PROMPT.request({"max_words": 5}, images=[draw_test_image("red")])) != k1
    draw_test_image("blue").save(path)  # same path, new bytes
    assert key(req) != k1


def test_key_covers_model_prompt_version_sampling_schema_meta() -> None:
    img = draw_test_image()
    req = PROMPT.request({"max_words": 5}, images=[img])
    base = key(req)
    assert key(req, model="other") != base
    assert key(req, backend="transformers") != base
    assert key(req.model_copy(update={"prompt_version": 2})) != base
    assert key(req, config=GenerationConfig(temperature=0.5)) != base
    assert key(req, config=GenerationConfig(max_reasks=5)) == base  # not a sampling param
    assert key(req, schema={"type": "object"}) != base
    assert key(req.model_copy(update={"meta": {"ocr": "x"}})) != base
    assert key(req.model_copy(update={"key": "another-sample"})) == base  # labels don't count
    assert key(PROMPT.request({"max_words": 6}, images=[img])) != base


def test_video_key_includes_sampling(video_file: Path) -> None:
    req = Request.user("what happens?", videos=[VideoPart(video=video_file)])
    assert key(req) != key(req, video_fps=1.0)
    assert key(req) == key(
        Request.user("what happens?", videos=[VideoPart(video=video_file, fps=2.0)])
    )


def test_store_persists_and_counts(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path)
    assert cache.get("k") is None
    cache.put("k", '{"a": 1}', model="m", prompt_tokens=3, completion_tokens=4)
    hit = cache.get("k")
    assert hit is not None and hit.text == '{"a": 1}' and hit.completion_tokens == 4
    assert cache.stats.as_dict() == {"hits": 1, "misses": 1}
    cache.close()
    again = RequestCache(tmp_path)
    assert len(again) == 1 and again.get("k") is not None
    assert again.stats.hits == 1  # counters are per instance


def test_concurrent_threads(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path)

    def work(i: int) -> bool:
        cache.put(f"k{i}", str(i), model=None)
        hit = cache.get(f"k{i}")
        return hit is not None and hit.text == str(i)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(200)))
    assert len(cache) == 200 and cache.stats.hits == 200


def test_pil_mode_matters() -> None:
    a = Image.new("RGB", (4, 4), (1, 2, 3))
    req_a = Request.user("x", images=[a])
    req_b = Request.user("x", images=[a.convert("RGBA")])
    assert key(req_a) != key(req_b)

"""The ``vllm-server`` backend against a REAL vLLM OpenAI server (CPU) serving the tiny model.

The server is started by ``curate serve`` (module fixture ``served``), so this module also
proves the CLI. Order matters for the last test only: it stops the server.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from mmcurate.models import GenerationConfig, ModelClient, ModelUnavailableError, get_client
from mmcurate.prompts.schemas import ImageDescription
from tests.integration.conftest import CURATE, FaultyProxy, ServedModel
from tests.models.contract import GEN, PROMPT, BackendContract, PickyDescription, described
from tests.tiny_vlm import SERVED_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


class TestVllmServerContract(BackendContract):
    backend = "vllm-server"

    @pytest.fixture
    def client(self, served: ServedModel, tmp_path: Path, clean_model_env: Path) -> ModelClient:
        return get_client(url=served.url, cache_dir=tmp_path / "cache", concurrency=4)

    def test_served_model_is_discovered(self, client: ModelClient) -> None:
        assert client.backend.model_name == SERVED_NAME


def test_configured_by_env_var_alone(
    served: ServedModel, monkeypatch: pytest.MonkeyPatch, clean_model_env: Path, image_file: Path
) -> None:
    monkeypatch.setenv("MMCURATE_VLM_URL", served.url + "/v1")
    client = get_client()
    assert client.config.backend == "vllm-server"
    [r] = client.generate(described(1, image_file), schema=ImageDescription, config=GEN)
    assert r.ok and r.model == SERVED_NAME and r.backend == "vllm-server"


def test_5xx_is_retried_with_backoff(
    faulty_proxy: FaultyProxy, tmp_path: Path, clean_model_env: Path, image_file: Path
) -> None:
    faulty_proxy.fail_next = 2
    client = get_client(
        url=faulty_proxy.url, cache=False, concurrency=1, max_retries=3, backoff_s=0.2
    )
    t0 = time.monotonic()
    [r] = client.generate(described(1, image_file), schema=ImageDescription, config=GEN)
    assert r.ok, r.error
    assert isinstance(r.parsed, ImageDescription)
    assert faulty_proxy.chat_posts == 3  # two injected 503s, then the real answer
    assert time.monotonic() - t0 >= 0.2 + 0.4  # backoff 0.2 s then 0.4 s


def test_gives_up_after_max_retries_with_the_reason(
    faulty_proxy: FaultyProxy, clean_model_env: Path, image_file: Path
) -> None:
    faulty_proxy.fail_next = 10
    client = get_client(url=faulty_proxy.url, cache=False, max_retries=2, backoff_s=0.0)
    reqs = described(2, image_file)
    results = client.generate(reqs[:1], schema=ImageDescription, config=GEN)
    assert not results[0].ok
    assert "HTTP 503: injected failure" in (results[0].error or "")
    assert "gave up after 3 tries" in (results[0].error or "")
    assert faulty_proxy.chat_posts == 3


def test_client_errors_are_not_retried(
    faulty_proxy: FaultyProxy, clean_model_env: Path, image_file: Path
) -> None:
    faulty_proxy.fail_next, faulty_proxy.status = 1, 400
    client = get_client(url=faulty_proxy.url, cache=False, max_retries=3, backoff_s=0.0)
    [r] = client.generate(described(1, image_file), schema=ImageDescription, config=GEN)
    assert not r.ok and "server rejected the request: HTTP 400" in (r.error or "")
    assert faulty_proxy.chat_posts == 1


def test_timeouts_are_retried(
    faulty_proxy: FaultyProxy, clean_model_env: Path, image_file: Path
) -> None:
    faulty_proxy.fail_next, faulty_proxy.delay_s = 1, 4.0
    client = get_client(url=faulty_proxy.url, cache=False, timeout_s=2.0, backoff_s=0.0)
    [r] = client.generate(described(1, image_file), schema=ImageDescription, config=GEN)
    assert r.ok, r.error
    assert faulty_proxy.chat_posts == 2


def test_concurrency_limit_is_respected(
    faulty_proxy: FaultyProxy, clean_model_env: Path, image_file: Path
) -> None:
    client = get_client(url=faulty_proxy.url, cache=False, concurrency=3)
    results = client.generate(described(12, image_file), schema=ImageDescription, config=GEN)
    assert all(r.ok for r in results), [r.error for r in results]
    assert faulty_proxy.chat_posts == 12
    assert 1 < faulty_proxy.max_inflight <= 3


def test_reask_sends_the_rejected_answer_back(
    served: ServedModel, clean_model_env: Path, image_file: Path
) -> None:
    PickyDescription.rejected = 0
    client = get_client(url=served.url, cache=False)
    [r] = client.generate(described(1, image_file), schema=PickyDescription, config=GEN)
    assert r.ok and r.attempts == 2
    assert client.model_calls == 2


def test_cache_survives_a_new_client(
    served: ServedModel, tmp_path: Path, clean_model_env: Path, image_file: Path
) -> None:
    reqs = described(4, image_file)
    first = get_client(url=served.url, cache_dir=tmp_path / "c")
    a = first.generate(reqs, schema=ImageDescription, config=GEN)
    assert first.cache_stats.as_dict() == {"hits": 0, "misses": 4}
    first.close()
    second = get_client(url=served.url, cache_dir=tmp_path / "c")  # a re-run / --resume
    b = second.generate(reqs, schema=ImageDescription, config=GEN)
    assert second.cache_stats.as_dict() == {"hits": 4, "misses": 0}
    assert second.model_calls == 0
    assert [r.parsed for r in b] == [r.parsed for r in a] and all(r.cached for r in b)


def test_models_check_reports_the_served_model(served: ServedModel) -> None:
    out = subprocess.run(
        [CURATE, "models", "check", served.url, "--try"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "healthy" in out.stdout and SERVED_NAME in out.stdout
    assert "describe_image.v1 -> ImageDescription(" in out.stdout


# -- keep last: stops the module's server -------------------------------------------------


def test_prefix_cache_counters_grow_with_requests(
    served: ServedModel, clean_model_env: Path, image_file: Path
) -> None:
    from mmcurate.models.server import prefix_cache_counters

    q0, h0 = prefix_cache_counters(served.url)
    client = get_client(url=served.url, cache=False)
    results = client.generate(described(2, image_file), config=GEN)
    assert all(r.ok for r in results)
    q1, h1 = prefix_cache_counters(served.url)
    assert q1 > q0 and h1 >= h0  # prompt tokens were looked up in the prefix cache


def test_zz_stopped_server_gives_a_clear_error(
    served: ServedModel, clean_model_env: Path, image_file: Path
) -> None:
    client = get_client(url=served.url, cache=False)
    assert client.generate(described(1, image_file), schema=ImageDescription, config=GEN)[0].ok
    assert "vLLM is serving" in "\n".join(served.stdout)
    served.stop()
    with pytest.raises(ModelUnavailableError) as err:
        client.generate(described(1, image_file), schema=ImageDescription, config=GEN)
    msg = str(err.value)
    assert served.url in msg and "not usable" in msg and "curate serve" in msg
    out = subprocess.run(
        [CURATE, "models", "check", served.url],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert out.returncode == 1 and "Connection refused" in out.stdout.replace("\n", "")
    # the free-text path fails the same way
    with pytest.raises(ModelUnavailableError):
        client.generate([PROMPT.request({"max_words": 3})], config=GenerationConfig(max_tokens=4))

"""Backend pieces that need no model: registration, messages, missing deps, unreachable servers."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from mmcurate.errors import MissingDependencyError
from mmcurate.models import (
    ModelUnavailableError,
    Request,
    VideoPart,
    get_client,
    register_heuristic,
    unregister_heuristic,
)
from mmcurate.models.backends.base import openai_messages
from mmcurate.models.backends.vllm_server import base_url
from mmcurate.models.config import ModelConfig
from mmcurate.models.server import (
    VLLM_PYTHON_ENV,
    VllmServer,
    find_vllm_python,
    free_port,
    server_command,
)
from tests.conftest import draw_test_image

CURATE = str(Path(sys.executable).parent / "curate")


def test_heuristic_registration_is_explicit(clean_model_env: Path) -> None:
    def handler(request: Request, schema: object) -> str:
        return "x"

    register_heuristic("reg_test")(handler)
    try:
        register_heuristic("reg_test")(handler)  # the same function again is fine
        with pytest.raises(ValueError, match="already exists"):
            register_heuristic("reg_test")(lambda r, s: "y")
    finally:
        unregister_heuristic("reg_test")
    [r] = get_client(cache=False).generate([Request.user("hi", prompt_id="reg_test")])
    assert not r.ok and "no heuristic for prompt 'reg_test'" in (r.error or "")
    assert "MMCURATE_VLM_URL" in (r.error or "") and r.heuristic


def test_heuristic_handler_errors_are_values(clean_model_env: Path) -> None:
    register_heuristic("boom")(lambda r, s: 1 / 0)
    try:
        [r] = get_client(cache=False).generate([Request.user("hi", prompt_id="boom")])
    finally:
        unregister_heuristic("boom")
    assert not r.ok and "ZeroDivisionError" in (r.error or "")


def test_openai_messages_carry_images_and_sampled_video(image_file: Path, video_file: Path) -> None:
    req = Request.user(
        "what?",
        images=[image_file, draw_test_image()],
        videos=[VideoPart(video=video_file, fps=2.0, max_frames=3)],
        system="sys",
    )
    msgs = openai_messages(req, ModelConfig())
    assert msgs[0] == {"role": "system", "content": "sys"}
    content = msgs[1]["content"]
    assert [c["type"] for c in content] == ["image_url", "image_url", "video_url", "text"]
    url0 = content[0]["image_url"]["url"]
    assert url0.startswith("data:image/png;base64,")
    assert base64.b64decode(url0.split(",", 1)[1]) == image_file.read_bytes()
    video = content[2]["video_url"]["url"]
    assert video.startswith("data:video/jpeg;base64,")
    assert len(video.split(",")) == 1 + 3  # three JPEG frames after the header


def test_vllm_offline_without_vllm_names_the_fix(clean_model_env: Path) -> None:
    pytest.importorskip("torch")
    try:
        import vllm  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("vllm is installed here")
    client = get_client(backend="vllm-offline", model="x", cache=False)
    with pytest.raises(MissingDependencyError, match="setup_vllm_server.sh"):
        client.generate([Request.user("hi")])


def test_unreachable_server_is_a_run_level_error(clean_model_env: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = get_client(url=url, cache=False, timeout_s=2)
    with pytest.raises(ModelUnavailableError) as err:
        client.generate([Request.user("hi")])
    assert url in str(err.value) and "curate serve" in str(err.value)


def test_base_url_accepts_both_spellings() -> None:
    assert base_url("http://h:1/v1/") == base_url("http://h:1") == "http://h:1"


def test_server_command_and_python_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    cmd = server_command("py", "Qwen/Qwen2.5-VL-7B-Instruct", port=8001, max_model_len=8192)
    assert cmd[:3] == ["py", "-m", "vllm.entrypoints.openai.api_server"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--max-model-len") + 1] == "8192"
    assert '"disable_any_whitespace":true' in cmd[cmd.index("--structured-outputs-config") + 1]
    assert "--gpu-memory-utilization" not in cmd
    monkeypatch.setenv(VLLM_PYTHON_ENV, "/opt/vllm/bin/python")
    assert find_vllm_python() == "/opt/vllm/bin/python"
    assert find_vllm_python("/x/python") == "/x/python"


def test_a_server_that_dies_during_startup_is_reported(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "print('bad model config'); raise SystemExit(3)"]
    server = VllmServer(cmd, host="127.0.0.1", port=free_port(), log_path=tmp_path / "s.log")
    server.start()
    with pytest.raises(ModelUnavailableError, match=r"exited with status 3[\s\S]*bad model"):
        server.wait_healthy(timeout_s=30, poll_s=0.1)
    server.stop()


def test_cli_help_and_check_without_server(clean_model_env: Path) -> None:
    out = subprocess.run([CURATE, "serve", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "Qwen/Qwen2.5-VL-7B-Instruct" in out.stdout
    out = subprocess.run([CURATE, "models", "check"], capture_output=True, text=True)
    assert (
        out.returncode == 0 and "heuristic" in out.stdout and "no server configured" in out.stdout
    )
    url = f"http://127.0.0.1:{free_port()}"
    out = subprocess.run([CURATE, "models", "check", url], capture_output=True, text=True)
    assert out.returncode == 1 and "not usable" in out.stdout


def test_local_vllm_venv_is_found_without_resolving_its_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is importable here, so this interpreter is chosen")
    monkeypatch.delenv(VLLM_PYTHON_ENV, raising=False)
    link = tmp_path / ".venv-vllm" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    assert find_vllm_python() == str(link)  # the venv's own path: it selects the venv

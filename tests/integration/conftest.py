"""Integration fixtures: a REAL vLLM OpenAI server (CPU build) serving the tiny Qwen2.5-VL.

The server comes from ``.venv-vllm`` (``bash scripts/setup_vllm_server.sh``). Without that
venv these tests skip with the reason, except under CI (``CI`` set), where a missing venv is
a failure: CI runs the setup script first. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.tiny_vlm import REPO, SERVED_NAME

VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"
CURATE = str(Path(sys.executable).parent / "curate")
SERVER_ENV = {"HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_LOGGING_LEVEL": "INFO"}


def require_vllm_venv() -> None:
    """Skip (locally) or fail (CI) when the vLLM server venv is missing."""
    if VLLM_PYTHON.is_file():
        return
    msg = f"{VLLM_PYTHON} missing: run `bash scripts/setup_vllm_server.sh` (~3 min, ~7 GB)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


@dataclass
class ServedModel:
    """A running ``curate serve`` process and where it listens."""

    url: str
    proc: subprocess.Popen[str]
    log: Path
    stdout: list[str]

    def stop(self) -> int:
        """Ctrl-C ``curate serve`` (it stops vLLM), then make sure the group is gone and
        nothing listens on the port any more (a SIGKILLed ``curate serve`` takes vLLM down
        with it: the server dies with its parent)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.url:
            port = int(self.url.rsplit(":", 1)[1])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) != 0:
                        break
                time.sleep(0.5)
            else:
                raise AssertionError(f"a server still listens on port {port} after stop()")
        return int(self.proc.returncode)


@pytest.fixture(scope="module")
def served(tiny_vlm: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedModel]:
    """``curate serve`` on a free 127.0.0.1 port with the tiny model; always stopped after."""
    require_vllm_venv()
    from mmcurate.models.server import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    cmd = [
        CURATE, "serve", "--model", str(tiny_vlm), "--port", str(port),
        "--max-model-len", "2048", "--served-model-name", SERVED_NAME,
        "--python", str(VLLM_PYTHON), "--log-file", str(log), "--timeout", "300",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **SERVER_ENV, "COLUMNS": "200"},
        start_new_session=True,
    )
    lines: list[str] = []
    url: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if "export MMCURATE_VLM_URL=" in line and not url:
                url.append(line.split("=", 1)[1].strip())

    threading.Thread(target=read, daemon=True).start()
    served = ServedModel(url="", proc=proc, log=log, stdout=lines)
    deadline = time.monotonic() + 330
    try:
        while not url:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                pytest.fail(f"curate serve did not come up: {lines}\n{tail}")
            time.sleep(0.5)
        served.url = url[0]
        yield served
    finally:
        served.stop()


class FaultyProxy:
    """A 127.0.0.1 HTTP proxy to the real server that fails the first chat requests.

    ``fail_next`` chat-completion POSTs answer ``status`` (or, with ``delay_s``, are held
    that long before being forwarded, so the client times out). Everything else passes.
    """

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.fail_next = 0
        self.status = 503
        self.delay_s = 0.0
        self.chat_posts = 0
        self.inflight = 0
        self.max_inflight = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self, method: str) -> None:
                self._relay(method)

            def _relay(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                chat = method == "POST" and self.path.endswith("/chat/completions")
                if chat:
                    with proxy.lock:
                        proxy.chat_posts += 1
                        fail = proxy.fail_next > 0
                        if fail:
                            proxy.fail_next -= 1
                    if fail and proxy.delay_s:
                        time.sleep(proxy.delay_s)
                    elif fail:
                        payload = b'{"error": {"message": "injected failure"}}'
                        self.send_response(proxy.status)
                        self.send_header("content-type", "application/json")
                        self.send_header("content-length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                # In flight = at the server: counted around the upstream call only, so a
                # client that sends its next request as soon as it has read an answer is
                # not counted twice while this thread is still writing that answer back.
                if chat:
                    with proxy.lock:
                        proxy.inflight += 1
                        proxy.max_inflight = max(proxy.max_inflight, proxy.inflight)
                try:
                    resp = httpx.request(
                        method,
                        proxy.target + self.path,
                        content=body or None,
                        headers={"content-type": self.headers.get("content-type", "")},
                        timeout=300,
                    )
                finally:
                    if chat:
                        with proxy.lock:
                            proxy.inflight -= 1
                self.send_response(resp.status_code)
                self.send_header("content-type", resp.headers.get("content-type", ""))
                self.send_header("content-length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def faulty_proxy(served: ServedModel) -> Iterator[FaultyProxy]:
    """A :class:`FaultyProxy` in front of the real server."""
    proxy = FaultyProxy(served.url)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def server_4k(tiny_vlm: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny model served by vLLM with a 4096-token context and up to 4 images per prompt.

    For prompts that do not fit the shared ``served`` fixture's 2048 tokens: the one-pass
    capability rubric, and the agent's navigator (~1,700 prompt tokens with the tiny
    tokenizer, plus 384 answer tokens and a re-ask turn).
    """
    from mmcurate.models.server import VllmServer, free_port, server_command

    require_vllm_venv()
    port = free_port()
    cmd = server_command(
        str(VLLM_PYTHON), str(tiny_vlm), port=port, max_model_len=4096,
        served_model_name=SERVED_NAME,
        extra_args=["--limit-mm-per-prompt", '{"image": 4, "video": 1}'],
    )  # fmt: skip
    log = tmp_path_factory.mktemp("vllm-4k") / "server.log"
    server = VllmServer(cmd, host="127.0.0.1", port=port, log_path=log, env=SERVER_ENV)
    server.start()
    try:
        server.wait_healthy(timeout_s=600)
        yield server.url
    finally:
        server.stop()

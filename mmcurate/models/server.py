"""Starting and stopping a vLLM OpenAI-compatible server (``curate serve``, integration tests).

The server runs as ``<python> -m vllm.entrypoints.openai.api_server`` (the ``vllm`` script
of the CPU build looks for a distribution named ``vllm``, so the module form is used). The
Python is the first of: an explicit one, ``$MMCURATE_VLLM_PYTHON``, the current interpreter
when it has vLLM, ``./.venv-vllm/bin/python`` (made by ``scripts/setup_vllm_server.sh``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from mmcurate.errors import MissingDependencyError
from mmcurate.models.backends.vllm_server import ServerInfo, probe
from mmcurate.models.errors import ModelUnavailableError

#: Structured-output settings passed by default: xgrammar, and no free whitespace inside
#: JSON (compact output: fewer tokens, and no whitespace runs from weak models).
DEFAULT_STRUCTURED_OUTPUTS = '{"backend":"xgrammar","disable_any_whitespace":true}'
VLLM_PYTHON_ENV = "MMCURATE_VLLM_PYTHON"


def find_vllm_python(explicit: str | Path | None = None) -> str:
    """The Python interpreter that has vLLM (see the module docstring for the order).

    Raises:
        MissingDependencyError: None found; the message says how to get one.
    """
    if explicit:
        return str(explicit)
    if os.environ.get(VLLM_PYTHON_ENV):
        return os.environ[VLLM_PYTHON_ENV]
    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    local = Path(".venv-vllm/bin/python")
    if local.is_file():
        return str(local.absolute())  # not resolve(): a venv python is a symlink
    raise MissingDependencyError(
        "no Python with vLLM found: on a GPU machine `pip install vllm` (or "
        "'mmcurate[vllm]'); on a CPU machine run `bash scripts/setup_vllm_server.sh`; or set "
        f"{VLLM_PYTHON_ENV}=/path/to/python"
    )


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM it when the thread that started it dies.

    The server runs in its own session (so stop() can signal its whole group); without this
    a SIGKILLed ``curate serve`` would leave vLLM running, holding the port and the GPU.
    """
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def prefix_cache_counters(url: str) -> tuple[float, float]:
    """A vLLM server's cumulative prefix-cache (queries, hits) in tokens, from ``/metrics``."""
    import httpx

    text = httpx.get(url.rstrip("/") + "/metrics", timeout=10).text

    def total(name: str) -> float:
        vals = re.findall(rf"^{name}(?:_total)?(?:\{{[^}}]*\}})? ([0-9.e+]+)$", text, re.M)
        return sum(float(v) for v in vals)

    return total("vllm:prefix_cache_queries"), total("vllm:prefix_cache_hits")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_command(
    python: str,
    model: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    served_model_name: str | None = None,
    max_model_len: int | None = None,
    gpu_memory_utilization: float | None = None,
    structured_outputs: str | None = DEFAULT_STRUCTURED_OUTPUTS,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The command line that starts the server."""
    cmd = [python, "-m", "vllm.entrypoints.openai.api_server", "--model", model]
    cmd += ["--host", host, "--port", str(port)]
    if served_model_name:
        cmd += ["--served-model-name", served_model_name]
    if max_model_len is not None:
        cmd += ["--max-model-len", str(max_model_len)]
    if gpu_memory_utilization is not None:
        cmd += ["--gpu-memory-utilization", str(gpu_memory_utilization)]
    if structured_outputs:
        cmd += ["--structured-outputs-config", structured_outputs]
    return cmd + list(extra_args)


class VllmServer:
    """A vLLM server child process: start, wait for ``/health``, stop (always)."""

    def __init__(
        self,
        command: list[str],
        *,
        host: str,
        port: int,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """Prepare (not start) a server.

        Args:
            command: From :func:`server_command`.
            host: The host it binds (for the URL).
            port: The port it binds.
            log_path: File for the server's output (default: a temporary file).
            env: Extra environment variables for the server.
        """
        self.command = command
        self.host, self.port = host, port
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="vllm-server-", suffix=".log")[1])
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's root URL (use ``/v1`` for OpenAI clients)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> VllmServer:
        """Start the process (in its own process group, so stop() reaches its workers)."""
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            log.close()
        return self

    def log_tail(self, n: int = 30) -> str:
        """The last ``n`` lines of the server's log."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def wait_healthy(self, timeout_s: float = 600.0, poll_s: float = 1.0) -> ServerInfo:
        """Block until ``/health`` answers 200 and ``/v1/models`` lists the model.

        Raises:
            ModelUnavailableError: The process exited, or ``timeout_s`` passed (the message
                holds the log's tail).
        """
        if self.proc is None:
            raise RuntimeError("start() the server first")
        deadline = time.monotonic() + timeout_s
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ModelUnavailableError(
                    f"the vLLM server exited with status {code} before it was ready; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            info = probe(self.url, timeout_s=5.0)
            if info.healthy and info.models:
                return info
            if time.monotonic() > deadline:
                self.stop()
                raise ModelUnavailableError(
                    f"the vLLM server was not healthy after {timeout_s:.0f} s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(poll_s)

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM the process group, then SIGKILL after ``grace_s``; idempotent."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> VllmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

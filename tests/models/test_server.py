"""The vLLM server process wrapper: lifecycle guarantees that need no vLLM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from mmcurate.models.server import VllmServer

STARTER = """
import sys, time
from mmcurate.models.server import VllmServer
srv = VllmServer(["sleep", "300"], host="127.0.0.1", port=1).start()
print(srv.proc.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead too
        return f.read().split()[2] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_server_dies_when_its_starter_is_killed():
    # `curate serve` SIGKILLed must not leave vLLM running (holding the port and the GPU).
    starter = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    child = int(starter.stdout.readline())
    assert _alive(child)
    starter.send_signal(signal.SIGKILL)
    starter.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_stop_ends_the_process_group():
    srv = VllmServer(["sleep", "300"], host="127.0.0.1", port=1).start()
    assert srv.proc is not None and srv.proc.poll() is None
    srv.stop(grace_s=5)
    assert srv.proc.poll() is not None

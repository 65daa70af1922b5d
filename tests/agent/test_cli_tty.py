"""The agent in a real terminal (a pseudo-terminal): follow-ups refine the same session."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

CURATE = str(Path(sys.executable).parent / "curate")
PROMPT = b"follow-up ("


def _read_until(fd: int, marker: bytes, timeout_s: float, seen: bytearray) -> None:
    deadline = time.monotonic() + timeout_s
    start = len(seen)
    while marker not in seen[start:]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {marker!r} within {timeout_s}s; output:\n{seen.decode()}")
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"terminal closed before {marker!r}:\n{seen.decode()}")
            seen.extend(chunk)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_follow_ups_in_a_terminal_refine_the_same_session(demo_pool: Path, tmp_path: Path):
    out = tmp_path / "tty"
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "dumb"}
    proc = subprocess.Popen(
        [CURATE, "find diverse OCR-heavy samples", "--data", str(demo_pool), "--budget", "6",
         "--out", str(out), "--np", "1"],
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    seen = bytearray()
    try:
        _read_until(leader, PROMPT, 600, seen)
        first = [json.loads(x) for x in (out / "selected.jsonl").read_text().splitlines()]
        assert len(first) == 6
        os.write(leader, b"budget 3\n")
        _read_until(leader, PROMPT, 300, seen)
        os.write(leader, b"\n")  # Enter: finish
        assert proc.wait(timeout=60) == 0, seen.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "deterministic planner" in text
    second = [json.loads(x) for x in (out / "selected.jsonl").read_text().splitlines()]
    assert len(second) == 3  # the follow-up changed the budget of the same session
    turns = [json.loads(x) for x in (out / "transcript.jsonl").read_text().splitlines()]
    users = [t["text"] for t in turns if t["role"] == "user"]
    assert users == ["find diverse OCR-heavy samples", "budget 3"]  # the session transcript

"""The app as the image runs it: a real server process on $PORT, JSON logs, clean exit on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import BACKEND
from .support import free_port


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    # Generous: a cold start (first import, compiling bytecode) on a busy 2-core CI machine takes a while.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"{url} did not answer within {timeout}s; server output:\n{proc.communicate()[0]}")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"], id="uvicorn-cli"),
        pytest.param(["-m", "app.main"], id="python-m-app.main-reads-PORT"),
    ],
)
def test_serves_on_port_logs_json_and_stops_cleanly_on_sigterm(command, database_url, jwks_server):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JWT_", "JWKS_"))} | {
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "JWKS_URL": f"{jwks_server.url}/api/auth/jwks",
        "JWT_ISSUER": "http://todo.test",
        "JWT_AUDIENCE": "http://todo.test",
        "LOG_LEVEL": "info",
    }
    args = [sys.executable, *(part.format(port=port) for part in command)]
    proc = subprocess.Popen(args, cwd=BACKEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", proc)
        assert httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/x/tasks", timeout=10).status_code == 401
        proc.send_signal(signal.SIGTERM)
        # uvicorn drains, runs the shutdown hooks, then re-raises SIGTERM so the exit status tells how it ended.
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = proc.stdout.read() if proc.stdout else ""
    entries = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    messages = [e["message"] for e in entries]
    assert "starting" in messages
    assert "stopped: database connections closed" in messages
    assert "Application shutdown complete." in messages
    assert any("GET /ready" in m for m in messages), "access log goes through the JSON handler too"

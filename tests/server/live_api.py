"""`spotcheck serve` in its own process, for tests that talk to a real server over HTTP (a fuzzer,
a fault-injecting proxy, a login burst split across processes), on the suite's database.

It runs with the suite's cheap Argon2 parameters: a fuzzer creates users and tries passwords, and
production hashing would cost seconds.

    python -m tests.server.live_api --port 8123   # SPOTCHECK_* from the environment
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from server import cli
from server.core import passwords
from tests.conftest import ROOT, cli_env
from tests.server.peers import free_port

START_SECONDS = 60.0


@contextmanager
def running_server(database_url: str, workdir: Path, **extra_env: str) -> Iterator[str]:
    """Start the server on a free port with ``cli_env`` plus ``extra_env``; yield its base URL
    once /health answers; stop it after. Its stderr is kept in ``workdir`` for failures."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = cli_env(
        database_url,
        SPOTCHECK_MEDIA_DIR=str(workdir / "media"),
        SPOTCHECK_PUBLIC_BASE_URL=url,
        **extra_env,
    )
    stderr_path = workdir / "server.stderr.log"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.server.live_api", "--port", str(port)],
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        _wait_until_healthy(url, process, stderr_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited:\n{stderr.read_text()[-4000:]}", pytrace=False)
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the server did not start:\n{stderr.read_text()[-4000:]}", pytrace=False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    return cli.main(["serve", "--host", "127.0.0.1", "--port", str(port)])


if __name__ == "__main__":
    sys.exit(main())

"""`spotcheck` in a process of its own, for the tests that need a real server over HTTP: the browser
tests, the API fuzzer, the fault-injecting proxy, a login burst split across processes. One way to
start it, wait for it and stop it, whatever the test.

Every command run through here uses the suite's cheap Argon2 parameters (the production ones are
tested once, in tests/server/test_auth.py): a fuzzer creates users and tries passwords, the demo
hashes a dozen, and a browser test logs in on every phone. The processes run tests.cheap_spotcheck
(see there why not this module).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, cli_env
from tests.server.peers import free_port

START_SECONDS = 60.0
# With commands run before `serve` in its process (`migrate + demo`), /health answers only after
# them: as long as `run` gives a command.
SETUP_SECONDS = 300.0


def command(*args: str) -> list[str]:
    """`spotcheck <args>` with the cheap hasher, as a process's argument list."""
    return [sys.executable, "-m", "tests.cheap_spotcheck", *args]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`spotcheck <args>` run to its end with `env` (from `cli_env`) over this environment."""
    return subprocess.run(
        command(*args),
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass
class ServerProcess:
    url: str
    env: dict[str, str]
    """The SPOTCHECK_* variables it runs with (to run a command against the same database)."""
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr_tail(self, characters: int = 6000) -> str:
        return self.stderr_path.read_text(errors="replace")[-characters:]

    def fail_if_dead(self) -> None:
        status = self.process.poll()
        if status is not None:
            pytest.fail(
                f"The server exited with status {status}. Its stderr:\n{self.stderr_tail()}",
                pytrace=False,
            )


def server_env(database_url: str, workdir: Path, port: int, **extra_env: str) -> dict[str, str]:
    """What the server on `port` runs with; commands run before it (the demo, whose messages link
    to the server) need the same."""
    return cli_env(
        database_url,
        SPOTCHECK_MEDIA_DIR=str(workdir / "media"),
        SPOTCHECK_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        **extra_env,
    )


@contextmanager
def serving(
    database_url: str,
    workdir: Path,
    *,
    port: int | None = None,
    first: Sequence[str] = (),
    **extra_env: str,
) -> Iterator[ServerProcess]:
    """`spotcheck serve` on 127.0.0.1 (a free port unless given) with `server_env`, yielded once
    /health answers and stopped after; its stdout and stderr are kept in `workdir`.

    `first`: commands the same process runs before it serves, e.g. `("migrate", "+", "demo")`
    (tests.cheap_spotcheck chains them with "+"). A command of its own would start an interpreter
    and import the server once more, about two seconds of CPU; one that fails ends the process,
    and its output is in the failure's stderr tail."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(database_url, workdir, port, **extra_env)
    stderr_path = workdir / "server.stderr.log"
    chained = [*first, "+"] if first else []
    with (workdir / "server.stdout.log").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command(*chained, "serve", "--host", "127.0.0.1", "--port", str(port)),
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
        )
    server = ServerProcess(url=url, env=env, process=process, stderr_path=stderr_path)
    try:
        _wait_until_healthy(server, SETUP_SECONDS if first else START_SECONDS)
        yield server
    finally:
        _stop(process)


def _wait_until_healthy(server: ServerProcess, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    # One client for the whole wait: a new one per poll builds an SSL context each time, which
    # cost about a second and a half of CPU per start, on the core the server starts on.
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            server.fail_if_dead()
            try:
                if client.get(f"{server.url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(
        f"The server did not answer /health within {seconds:.0f} s. Its stderr:\n"
        f"{server.stderr_tail()}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

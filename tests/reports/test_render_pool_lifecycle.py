"""The render pool's processes end with the process that owns it, however that process ends.

They are the fork server (it preloads WeasyPrint), the render workers forked from it and
multiprocessing's resource tracker, about 100 MB each for the first two. The server stopped the
usual way (SIGTERM: uvicorn shuts down, then dies by the signal again, without exit handlers) or
killed left all of them running for ever, reparented to PID 1: forty after one run of the suite.

Once the owner is gone the fork server is no longer its descendant, so the pool's processes are
recorded (pid and start time, read from /proc) while it runs; a dead one may stay a zombie here
(PID 1 of a container may never reap it) and counts as ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, World
from tests.live_server import serving

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the processes from /proc (Linux)"
)

ENDED_WITHIN_SECONDS = 10.0


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process, or None if there is none with that pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return fields[0], int(fields[1]), fields[19]


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _descendants(root: int) -> dict[int, str]:
    """Every descendant of `root` now, as pid → start time (to tell it from a later reuse of the pid)."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = (stat[1], stat[2])
    found: dict[int, str] = {}
    frontier = {root}
    while frontier:
        frontier = {pid for pid, (ppid, _) in parents.items() if ppid in frontier} - found.keys()
        found.update({pid: parents[pid][1] for pid in frontier})
    return found


def _running(processes: dict[int, str]) -> dict[int, str]:
    """Those of `processes` still running (not ended, not a zombie), with their command lines."""
    running = {}
    for pid, started in processes.items():
        stat = _stat(pid)
        if stat is not None and stat[2] == started and stat[0] not in ("Z", "X"):
            running[pid] = _command_line(pid)
    return running


def _wait_until_ended(processes: dict[int, str]) -> dict[int, str]:
    deadline = time.monotonic() + ENDED_WITHIN_SECONDS
    while (running := _running(processes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def _kill_leftovers(processes: dict[int, str]) -> None:
    """A failing test leaves nothing behind: the processes it recorded and that still run."""
    for pid in _running(processes):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _assert_a_pool_runs(processes: dict[int, str]) -> None:
    """The fork server and at least one worker (forked from it, so also a fork server's command)."""
    forkservers = {pid for pid in processes if "multiprocessing.forkserver" in _command_line(pid)}
    workers = {pid for pid in forkservers if (stat := _stat(pid)) and stat[1] in forkservers}
    assert forkservers - workers and workers, {pid: _command_line(pid) for pid in processes}


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
async def test_the_render_pool_ends_with_the_server(
    client: httpx.AsyncClient,
    world: World,
    database_url: str,
    tmp_path: Path,
    stop: signal.Signals,
) -> None:
    leader = await world.login(client, "leader_d1")  # the same secret: valid on the server
    pool: dict[int, str] = {}
    try:
        with serving(database_url, tmp_path) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                response = await http.get("/api/v1/reports/summary.pdf", headers=leader)
            assert response.status_code == 200, response.text
            assert response.content.startswith(b"%PDF-")
            pool = _descendants(server.process.pid)
            _assert_a_pool_runs(pool)
            if stop == signal.SIGKILL:
                server.process.kill()
                server.process.wait()
            # else: leaving `serving` sends SIGTERM, as a process manager does.
        assert server.process.returncode == -stop, server.stderr_tail()

        left = _wait_until_ended(pool)

        assert not left, (
            f"still running {ENDED_WITHIN_SECONDS:.0f} s after the server ended: {left}"
        )
    finally:
        _kill_leftovers(pool)


# A process that renders in a pool of its own, as the tests do in the pytest process, then waits
# to be ended: a test run stopped by a timeout or by hand ends that way.
POOL_OWNER = """
import asyncio, sys
from reports.rendering import RenderPool

pool = RenderPool(workers=2, queue_limit=1)  # kept: a pool collected shuts its workers down
pdf = asyncio.run(pool.render("<p>Biên bản</p>", images=None, stylesheet=None))
assert pdf.startswith(b"%PDF-")
print("rendered", flush=True)
sys.stdin.read()
"""


def test_the_render_pool_ends_with_a_process_that_owns_it_and_is_killed() -> None:
    pool: dict[int, str] = {}
    with subprocess.Popen(
        [sys.executable, "-c", POOL_OWNER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as owner:
        try:
            assert owner.stdout is not None
            assert owner.stdout.readline().strip() == "rendered"
            pool = _descendants(owner.pid)
            _assert_a_pool_runs(pool)

            owner.terminate()  # no handler: it dies by the signal, without its exit handlers
            assert owner.wait(timeout=15) == -signal.SIGTERM
            left = _wait_until_ended(pool)

            assert not left, f"still running {ENDED_WITHIN_SECONDS:.0f} s after their owner: {left}"
        finally:
            owner.kill()
            _kill_leftovers(pool)

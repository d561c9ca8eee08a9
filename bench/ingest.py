"""Sync ingest, side by side: the real server (`spotcheck serve`, one worker and two) on PostgreSQL
against a bare Litestar + asyncpg endpoint inserting the same answers (bench/bare_ingest.py), and
the real server on SQLite, driven by the same load generator: phones each sending batches of 40
answer ops, 1, 10 and 50 of them at once, for a few seconds per level.

With SPOTCHECK_BENCH_BEFORE=<another checkout with its own .venv> (e.g. `git worktree add
/tmp/before <rev> && make -C /tmp/before install`), that checkout's server runs the same load on
both engines in the same run, for a before/after ratio on the same machine at the same time.

Writes bench/results/ingest.json: per side, engine and level, batches/s, answers/s, p50/p95/p99
latency and errors, the CPU time per batch of the load generator, the server's processes and the
PostgreSQL backends of its database (all three share the machine's cores, so this says where the
time goes when wall times are noisy), the load average, and the ratios. Everything runs on 127.0.0.1, on databases of its own that are
dropped at the end; the load stops by itself.

    python -m bench ingest        # SPOTCHECK_BENCH_POSTGRES, SPOTCHECK_BENCH_SECONDS to change
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from checklists.services import SHIPPED_TEMPLATES_DIR
from checklists.validator import load_template

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "SPOTCHECK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
LEVELS = (1, 10, 50)
BATCH = 40
SECONDS = float(os.environ.get("SPOTCHECK_BENCH_SECONDS", "8"))
PHONES = max(LEVELS)
ADMIN = ("admin", "admin-demo-2026")
LEADER = ("lanhdao.tinh", "leader-demo-2026")
PHONE_PASSWORD = "bench-phone-2026"
REQUEST_TIMEOUT_S = 120


@dataclass
class Phone:
    token: str
    inspection_id: str


@dataclass
class Run:
    side: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    # CPU seconds spent during the run by the load generator (this process), the server's
    # processes (all workers) and the PostgreSQL backends serving its database.
    generator_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    postgres_cpu_s: float | None = None
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def report(self) -> dict[str, Any]:
        done = len(self.latencies)
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

        return {
            "side": self.side,
            "concurrency": self.concurrency,
            "batches": done,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "batches_per_s": round(done / self.seconds, 2),
            "answers_per_s": round(done * BATCH / self.seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
            "p95_ms": percentile(0.95),
            "p99_ms": percentile(0.99),
            # Where the time goes, per completed batch: the 2 cores are shared by all three.
            "cpu_ms_per_batch": {
                name: round(seconds * 1000 / done, 2) if done and seconds is not None else None
                for name, seconds in (
                    ("generator", self.generator_cpu_s),
                    ("server", self.server_cpu_s),
                    ("postgres", self.postgres_cpu_s),
                )
            },
            "load_average_1m_at_end": round(self.load_average[0], 2),
        }


def answer_payloads() -> list[dict[str, Any]]:
    """40 answers that meet their items, cycling over the shipped template's simple items."""
    template = load_template(
        (SHIPPED_TEMPLATES_DIR / "one-stop-shop.yaml").read_text(encoding="utf-8")
    )
    answers = []
    for _section, item in template.items():
        if item.show_if or item.evidence.photo.value == "always":
            continue
        if item.evidence.note.value == "always":
            continue
        kind = item.answer_type.value
        if kind in ("yes_no", "yes_no_na"):
            answers.append({"item_key": item.key, "value": "yes"})
        elif kind == "count":
            answers.append({"item_key": item.key, "value": 0})
        elif kind == "percent":
            lower = item.scoring.direction.value == "lower_is_better"  # type: ignore[union-attr]
            answers.append(
                {"item_key": item.key, "numerator": 0 if lower else 10, "denominator": 10}
            )
    return [answers[index % len(answers)] for index in range(BATCH)]


def sync_body(device_id: str, kind: str, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """A phone's sync batch: one `kind` op per payload, all stamped now."""
    now = datetime.now(UTC).isoformat()
    return {
        "device_id": device_id,
        "sent_at": now,
        "ops": [
            {"op_id": str(uuid.uuid4()), "type": kind, "payload": {**payload, "device_time": now}}
            for payload in payloads
        ],
    }


def batch_body(inspection_id: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    return sync_body(
        f"bench-{inspection_id[:8]}",
        "answer",
        [{"inspection_id": inspection_id, **answer} for answer in answers],
    )


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spotcheck_env(database_url: str, workdir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_ENVIRONMENT": "development",
        "SPOTCHECK_MEDIA_DIR": str(workdir / "media"),
        "SPOTCHECK_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # The bench's phones log in once each; the throttle is for guessers.
        "SPOTCHECK_LOGIN_MAX_FAILURES": "1000000",
    }


@contextmanager
def process(
    command: list[str], env: dict[str, str], url: str, log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        running = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while True:
            if running.poll() is not None:
                raise SystemExit(f"{command[2:]} exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[2:]} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield running
    finally:
        running.terminate()
        try:
            running.wait(timeout=15)
        except subprocess.TimeoutExpired:
            running.kill()
            running.wait()


@dataclass(frozen=True)
class Tree:
    """A checkout whose server is measured: this one, or the one named by SPOTCHECK_BENCH_BEFORE."""

    label: str
    root: Path
    python: str


NOW = Tree("now", ROOT, sys.executable)


def trees() -> list[Tree]:
    before = os.environ.get("SPOTCHECK_BENCH_BEFORE")
    if not before:
        return [NOW]
    root = Path(before).resolve()
    return [NOW, Tree("before", root, str(root / ".venv" / "bin" / "python"))]


def spotcheck_server(
    database_url: str,
    workdir: Path,
    workers: int,
    tree: Tree = NOW,
    media_dir: Path | None = None,
) -> Any:
    """`spotcheck serve` of `tree` on 127.0.0.1 (its port, and the process to enter: it is up
    once entered); its files in `media_dir` (default: under `workdir`)."""
    port = free_port()
    command = [tree.python, "-m", "server.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    env = spotcheck_env(database_url, workdir, port)
    if media_dir is not None:
        env["SPOTCHECK_MEDIA_DIR"] = str(media_dir)
    log = workdir / f"spotcheck-{tree.label}-{workers}.log"
    return port, process(command, env, f"http://127.0.0.1:{port}/health", log, cwd=tree.root)


def bare_server(database_url: str, workdir: Path) -> Any:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.bare_ingest:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "SPOTCHECK_BENCH_DSN": database_url}
    return port, process(command, env, f"http://127.0.0.1:{port}/", workdir / "bare.log")


def cpu_ticks(pid: int) -> int:
    """User + system CPU of one process so far, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


async def postgres_backends(database_url: str) -> list[int]:
    """The pids of the client backends connected to `database_url`'s database, but this one."""
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


@dataclass
class _CpuSnapshot:
    server: dict[int, int]
    postgres: dict[int, int]


def _cpu_snapshot(server_pid: int, database_url: str | None) -> _CpuSnapshot:
    server = {pid: cpu_ticks(pid) for pid in [server_pid, *_children(server_pid)]}
    postgres = {}
    if database_url is not None:
        postgres = {pid: cpu_ticks(pid) for pid in asyncio.run(postgres_backends(database_url))}
    return _CpuSnapshot(server, postgres)


def _spent(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds between two snapshots (a process that appeared in between counts from 0)."""
    ticks = sum(max(0, now - before.get(pid, 0)) for pid, now in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


def drive_measured(
    base_url: str,
    side: str,
    phones: list[Phone],
    concurrency: int,
    server_pid: int,
    database_url: str | None,
) -> Run:
    """:func:`drive`, with the CPU each process spent during it and the load average after."""
    before = _cpu_snapshot(server_pid, database_url)
    run = asyncio.run(drive(base_url, side, phones, concurrency, answer_payloads()))
    after = _cpu_snapshot(server_pid, database_url)
    run.server_cpu_s = _spent(before.server, after.server)
    if database_url is not None:
        run.postgres_cpu_s = _spent(before.postgres, after.postgres)
    run.load_average = os.getloadavg()
    return run


# --- the phones ---------------------------------------------------------------------------------


async def login(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_name": "bench"},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def set_up_phones(base_url: str) -> list[Phone]:
    """One inspector per phone, each with a plan of their own visiting a demo commune, started."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        admin = {"Authorization": f"Bearer {await login(client, *ADMIN)}"}
        leader = {"Authorization": f"Bearer {await login(client, *LEADER)}"}
        units = {u["code"]: u for u in (await client.get("/api/v1/units", headers=admin)).json()}
        communes = [u for u in units.values() if u["kind"] in ("commune", "town")]
        version = (await client.get("/api/v1/checklists", headers=leader)).json()[0]["versions"][-1]
        now = datetime.now(UTC)
        phones = []
        for index in range(PHONES):
            username = f"bench.phone{index:02d}"
            created = await client.post(
                "/api/v1/users",
                headers=admin,
                json={
                    "username": username,
                    "full_name": f"Bench phone {index}",
                    "role": "inspector",
                    "home_unit_id": units["NB-SNV"]["id"],
                    "password": PHONE_PASSWORD,
                },
            )
            created.raise_for_status()
            unit = communes[index % len(communes)]
            plan = await client.post(
                "/api/v1/plans",
                headers=leader,
                json={
                    "title": f"Bench {index}",
                    "checklist_version_id": version["id"],
                    "scope_unit_id": unit["parent_id"],
                    "window_start": (now - timedelta(hours=1)).isoformat(),
                    "window_end": (now + timedelta(days=1)).isoformat(),
                    "assignment_visibility": "at_creation",
                    "teams": [{"head_id": created.json()["id"], "member_ids": []}],
                    "targets": [{"unit_id": unit["id"]}],
                },
            )
            plan.raise_for_status()
            inspection_id = plan.json()["targets"][0]["inspection_id"]
            token = await login(client, username, PHONE_PASSWORD)
            started = await client.post(
                "/mobile/v1/sync",
                headers={"Authorization": f"Bearer {token}"},
                json=start_batch(f"bench-{index}", inspection_id, unit),
            )
            started.raise_for_status()
            assert started.json()["results"][0]["status"] == "applied", started.text
            phones.append(Phone(token=token, inspection_id=inspection_id))
        return phones


def start_batch(device_id: str, inspection_id: str, unit: dict[str, Any]) -> dict[str, Any]:
    """A sync batch with one op: start `inspection_id` standing at `unit`'s location."""
    payload = {
        "inspection_id": inspection_id,
        "latitude": unit["latitude"],
        "longitude": unit["longitude"],
    }
    return sync_body(device_id, "start", [payload])


class _Connection:
    """One phone's keep-alive HTTP/1.1 connection, spoken by hand.

    The load generator shares the machine's cores with the servers and PostgreSQL. Driven by
    httpx, the bare endpoint fell from 525 batches/s at 10 phones to 186 at 50, which its own work
    per batch does not explain: the generator looked like the pace-setter. Written and read by
    hand, a batch costs the generator 0.4-0.6 ms of CPU (each run reports it), less than the bare
    endpoint's server, so what is measured is the servers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("ascii")
        self.writer.write(head + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length = None
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError("the bench reads only responses with a Content-Length")
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def drive(
    base_url: str, side: str, phones: list[Phone], concurrency: int, answers: list[dict[str, Any]]
) -> Run:
    """`concurrency` phones send batches back to back, each on a keep-alive connection of its
    own, each starting new ones for SECONDS and then waiting for its last answer; throughput is
    what completed over the time until the last one did (a slow server's batches all finish late,
    and would count as none in a fixed window)."""
    port = int(base_url.rsplit(":", 1)[1])
    run = Run(side=side, concurrency=concurrency, seconds=0.0)
    connections = [await _Connection.open(port) for _ in range(concurrency)]
    try:
        began = time.monotonic()
        cpu_began = time.process_time()
        stop_at = began + SECONDS

        async def phone(one: Phone, connection: _Connection) -> None:
            while time.monotonic() < stop_at:
                body = json.dumps(batch_body(one.inspection_id, answers)).encode()
                started = time.perf_counter()
                # As httpx's timeout did: a server that stops answering ends the run, not hangs it.
                status, content = await asyncio.wait_for(
                    connection.post("/mobile/v1/sync", one.token, body), REQUEST_TIMEOUT_S
                )
                elapsed = time.perf_counter() - started
                results = json.loads(content).get("results", []) if status == 200 else []
                if {result["status"] for result in results} == {"applied"}:
                    run.latencies.append(elapsed)
                else:
                    run.errors += 1

        await asyncio.gather(
            *(phone(one, connection) for one, connection in zip(phones, connections, strict=False))
        )
        run.seconds = time.monotonic() - began
        run.generator_cpu_s = time.process_time() - cpu_began
    finally:
        for connection in connections:
            await connection.close()
    return run


async def create_database(prefix: str = "spotcheck_bench") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(url: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


def prepare(tree: Tree, database_url: str, workdir: Path) -> list[Phone]:
    """Migrate and load the demo with `tree`'s own command, then give each phone an inspection."""
    for command in (["migrate"], ["demo"]):
        subprocess.run(
            [tree.python, "-m", "server.cli", *command],
            env=spotcheck_env(database_url, workdir, 8000),
            cwd=tree.root,
            check=True,
            capture_output=True,
        )
    port, server = spotcheck_server(database_url, workdir, workers=1, tree=tree)
    with server:
        return asyncio.run(set_up_phones(f"http://127.0.0.1:{port}"))


def measure(
    tree: Tree, engine: str, database_url: str, workdir: Path, workers: int, phones: list[Phone]
) -> list[Run]:
    port, server = spotcheck_server(database_url, workdir, workers=workers, tree=tree)
    side = f"spotcheck-{tree.label}-{engine}-{workers}w"
    postgres = database_url if engine == "postgres" else None
    with server as running:
        return [
            drive_measured(f"http://127.0.0.1:{port}", side, phones, level, running.pid, postgres)
            for level in LEVELS
        ]


def bench_ingest(workdir: Path) -> dict[str, Any]:
    runs: list[Run] = []
    for tree in trees():
        tree_dir = workdir / tree.label
        tree_dir.mkdir(exist_ok=True)
        database_url = asyncio.run(create_database())
        try:
            phones = prepare(tree, database_url, tree_dir)
            runs += measure(tree, "postgres", database_url, tree_dir, 1, phones)
            if tree is NOW:
                runs += measure(tree, "postgres", database_url, tree_dir, 2, phones)
                bare_port, bare = bare_server(database_url, tree_dir)
                with bare as running:
                    runs += [
                        drive_measured(
                            f"http://127.0.0.1:{bare_port}",
                            "bare",
                            phones,
                            level,
                            running.pid,
                            database_url,
                        )
                        for level in LEVELS
                    ]
        finally:
            asyncio.run(drop_database(database_url))
        sqlite_url = f"sqlite:///{tree_dir / 'ingest.sqlite3'}"
        phones = prepare(tree, sqlite_url, tree_dir)
        runs += measure(tree, "sqlite", sqlite_url, tree_dir, 1, phones)
    reports = [run.report() for run in runs]
    by = {(report["side"], report["concurrency"]): report for report in reports}
    ratios: dict[str, dict[str, float | None]] = {}
    for level in LEVELS:
        one = by[("spotcheck-now-postgres-1w", level)]
        figures = {
            "one_worker_over_bare": _ratio(one, by[("bare", level)]),
            "two_workers_over_one": _ratio(by[("spotcheck-now-postgres-2w", level)], one),
        }
        for engine in ("postgres", "sqlite"):
            before = by.get((f"spotcheck-before-{engine}-1w", level))
            if before is not None:
                now = by[(f"spotcheck-now-{engine}-1w", level)]
                figures[f"{engine}_now_over_before"] = _ratio(now, before)
        ratios[f"c{level}"] = figures
    return {
        "name": "ingest",
        "what": (
            f"sync batches of {BATCH} answer ops, {SECONDS:g} s per level: spotcheck serve on "
            "PostgreSQL (1 and 2 workers) and SQLite vs a bare Litestar + asyncpg endpoint "
            "inserting the same rows"
            + (
                ", and the same load on the checkout in SPOTCHECK_BENCH_BEFORE"
                if len(trees()) > 1
                else ""
            )
        ),
        "before": str(trees()[-1].root) if len(trees()) > 1 else None,
        "ratios": ratios,
        "runs": reports,
        "load_average_after": os.getloadavg(),
    }


def _ratio(project: dict[str, Any], baseline: dict[str, Any]) -> float | None:
    if not baseline["batches_per_s"]:
        return None
    return round(project["batches_per_s"] / baseline["batches_per_s"], 3)

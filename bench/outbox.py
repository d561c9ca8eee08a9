"""Notification delivery on PostgreSQL: real `spotcheck worker` processes (one, then two) draining
an outbox of N messages (3,000 by default) to a local webhook receiver, against a baseline in the
same run: a bare loop POSTing the same JSON bodies, with the same headers, to the same receiver at
the same concurrency with httpx (so the ratio is what the worker costs over raw HTTP).

- The receiver is a plain asyncio HTTP server in a process of its own on 127.0.0.1 that answers
  200 and counts every request by path and event key (the header, checked against the body's).
- Each worker run fills the outbox through the producers' own `enqueue` (an oversight recipient
  whose one target is the receiver) in one transaction while the workers already poll, so the run
  is timed from that commit to the moment every row is `sent` in the database; the deliveries/s
  are N over that time. Exactly once: the receiver saw N requests with N distinct event keys, and
  every row was sent at its first attempt.
- The baseline keeps its connections alive (httpx's default), as the worker does (a Session per
  target and delivery thread); a second baseline opens a new connection per request.
- The receiver's own CPU time per request is written beside each run, to show that it is not what
  limits the rate (it answers the workers and the baselines alike).
- So is the CPU time of the PostgreSQL backends that serve the workers (their pools' connections
  to the bench's database, read from /proc when PostgreSQL runs on this machine; null otherwise):
  on a machine that PostgreSQL shares with the workers, a delivery costs that too.

Writes bench/results/outbox.json: deliveries/s for one and two workers, the baselines, the ratios,
the workers' CPU time per delivery (a figure the machine's other load moves less than the rates),
the receiver's and PostgreSQL's CPU time, the duplicates (must be 0) and the load average. Everything runs on 127.0.0.1, on a database of
its own that is dropped at the end; every wait is bounded and the processes are stopped on the way
out.

    python -m bench outbox    # SPOTCHECK_BENCH_POSTGRES (admin URL), SPOTCHECK_BENCH_OUTBOX_MESSAGES
                              # (3000), SPOTCHECK_BENCH_WORKER_CONCURRENCY (8)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.ingest import (
    cpu_ticks,
    create_database,
    drop_database,
    free_port,
    postgres_backends,
    process,
)
from bench.scale import migrate

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = int(os.environ.get("SPOTCHECK_BENCH_OUTBOX_MESSAGES", "3000"))
CONCURRENCY = int(os.environ.get("SPOTCHECK_BENCH_WORKER_CONCURRENCY", "8"))
TARGET_TWO_WORKERS_PER_S = 500  # issue 13, item 4
RUN_TIMEOUT_SECONDS = 300.0
HOST = "127.0.0.1"
PUBLIC_BASE_URL = "http://spotcheck.bench.invalid"


# --- The receiver (a process of its own) ----------------------------------------------------------


class Tally:
    """What the receiver saw, per path: event keys with their counts, and when."""

    def __init__(self) -> None:
        self.keys: dict[str, Counter[str]] = defaultdict(Counter)
        self.mismatched: Counter[str] = Counter()
        self.first_at: dict[str, float] = {}
        self.last_at: dict[str, float] = {}

    def record(self, path: str, header_key: str, body: bytes) -> None:
        try:
            body_key = json.loads(body).get("event_key")
        except (ValueError, AttributeError):
            body_key = None
        self.keys[path][header_key] += 1
        if body_key != header_key:
            self.mismatched[path] += 1
        now = time.time()
        self.first_at.setdefault(path, now)
        self.last_at[path] = now

    def report(self) -> dict[str, Any]:
        return {
            path: {
                "received": sum(counts.values()),
                "distinct": len(counts),
                "duplicates": sum(counts.values()) - len(counts),
                "mismatched": self.mismatched[path],
                "first_at": self.first_at.get(path),
                "last_at": self.last_at.get(path),
            }
            for path, counts in self.keys.items()
        }


async def _receive(port: int, stop_after: float) -> None:
    tally = Tally()

    async def answer(writer: asyncio.StreamWriter, body: bytes, close: bool) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n".encode()
            + (b"connection: close\r\n" if close else b"")
            + b"\r\n"
            + body
        )
        await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path, _version = request_line.split(" ", 2)
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                close = headers.get("connection", "").lower() == "close"
                if method == "GET" and path == "/stats":
                    await answer(writer, json.dumps(tally.report()).encode(), close)
                else:
                    tally.record(path, headers.get("x-spotcheck-event-key", ""), body)
                    await answer(writer, b'{"ok": true}', close)
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client closed the connection (Apprise's plugins do after each request)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, HOST, port, backlog=1024)
    async with server:
        await asyncio.sleep(stop_after)  # stops by itself if the bench is gone


@dataclass(frozen=True)
class Receiver:
    base: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        return cpu_seconds([self.process])


@contextmanager
def receiver(workdir: Path) -> Iterator[Receiver]:
    port = free_port()
    base = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "bench.outbox", "receive", str(port)]
    with process(command, dict(os.environ), f"{base}/stats", workdir / "receiver.log") as running:
        yield Receiver(base, running)


def receiver_stats(base: str, path: str) -> dict[str, Any]:
    stats = httpx.get(f"{base}/stats", timeout=10).json()
    empty = {"received": 0, "distinct": 0, "duplicates": 0, "mismatched": 0}
    return dict(stats.get(path, empty))


# --- The outbox -----------------------------------------------------------------------------------


def worker_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_ENVIRONMENT": "development",
        "SPOTCHECK_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SPOTCHECK_NOTIFY_ALLOWED_HOSTS": HOST,
        "SPOTCHECK_WORKER_CONCURRENCY": str(CONCURRENCY),
        "PYTHONUNBUFFERED": "1",
    }


async def fill(database_url: str, target: str, prefix: str, count: int) -> float:
    """Queue `count` messages to `target` the way producers do, in one transaction; returns the
    moment it committed (time.monotonic())."""
    from server import registry
    from server.core import db
    from server.core.settings import Settings
    from server.notifications import services as notification_service
    from server.notifications.services import Recipient

    settings = Settings(
        database_url=database_url,
        environment="development",
        public_base_url=PUBLIC_BASE_URL,
        oversight_notification_urls=[target],
    )
    db.bind_engine(db.build_engine(settings), registry.all_tables())
    notification_service.configure(settings)
    # No pool: the one transaction needs one connection, and a pool would open ten at once on a
    # PostgreSQL that the workers (ten each) and other jobs share.
    try:
        now = datetime.now(UTC)
        async with db.write_transaction():
            for index in range(count):
                await notification_service.enqueue(
                    event_type="action.verified",
                    event_key=f"bench.outbox:{prefix}:{index:05d}",
                    recipients=[Recipient(kind="oversight")],
                    values={
                        "title": f"Niêm yết đủ thủ tục hành chính ({index})",
                        "unit": "Xã Phương Định",
                        "comment": "",
                    },
                    link=notification_service.link_to(f"/app/actions/{uuid.uuid4()}"),
                    now=now,
                )
        return time.monotonic()
    finally:
        await db.close_database()


async def outbox_state(database_url: str, prefix: str) -> dict[str, int]:
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT status, attempts, reclaimed_after_lease, count(*) AS n "
            "FROM notification_outbox WHERE event_key LIKE $1 "
            "GROUP BY status, attempts, reclaimed_after_lease",
            f"bench.outbox:{prefix}:%",
        )
    finally:
        await connection.close()
    state: dict[str, int] = Counter()
    for row in rows:
        state[row["status"]] += row["n"]
        if row["status"] == "sent" and (row["attempts"], row["reclaimed_after_lease"]) != (1, 0):
            state["sent_after_a_retry"] += row["n"]
    return dict(state)


async def wait_until_sent(database_url: str, prefix: str, count: int) -> tuple[float, dict]:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while True:
        state = await outbox_state(database_url, prefix)
        if state.get("sent", 0) >= count:
            return time.monotonic(), state
        if time.monotonic() > deadline:
            raise SystemExit(f"the workers did not send {count} messages in time: {state}")
        await asyncio.sleep(0.02)


async def bodies(database_url: str, prefix: str) -> list[tuple[str, bytes]]:
    """The event keys and the JSON bodies Apprise's json:// plugin sends for these rows."""
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT event_key, subject, body, link FROM notification_outbox "
            "WHERE event_key LIKE $1 ORDER BY event_key",
            f"bench.outbox:{prefix}:%",
        )
    finally:
        await connection.close()
    return [
        (
            row["event_key"],
            json.dumps(
                {
                    "version": "1.0",
                    "title": row["subject"],
                    "message": row["body"],
                    "attachments": [],
                    "type": "info",
                    "event_key": row["event_key"],
                    "url": row["link"],
                }
            ).encode(),
        )
        for row in rows
    ]


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """User and system CPU time the processes (all their threads) have used so far (Linux)."""
    return pids_cpu_seconds([running.pid for running in processes])


def pids_cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far; one that has ended counts nothing."""
    return sum(cpu_ticks(pid) for pid in pids) / os.sysconf("SC_CLK_TCK")


def backend_pids(database_url: str) -> list[int] | None:
    """The PostgreSQL backends connected to the bench's database now (the workers' pools), when
    they are processes of this machine (None when PostgreSQL runs elsewhere)."""
    pids = asyncio.run(postgres_backends(database_url))
    if not pids or not all(Path(f"/proc/{pid}/stat").exists() for pid in pids):
        return None
    return pids


@contextmanager
def workers(
    database_url: str, workdir: Path, count: int, run: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes, logs = [], []
    try:
        for index in range(count):
            name = f"bench-{run}-{index}"
            log_path = workdir / f"{name}.log"
            log = log_path.open("wb")
            logs.append((log, log_path, name))
            command = [sys.executable, "-m", "server.cli", "worker", "--name", name]
            command += ["--poll-seconds", "0.1"]
            processes.append(
                subprocess.Popen(
                    command, env=worker_env(database_url), cwd=ROOT, stdout=log, stderr=log
                )
            )
        deadline = time.monotonic() + 60
        for process, (_log, log_path, name) in zip(processes, logs, strict=True):
            while f"worker {name} started" not in log_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise SystemExit(f"worker {name} did not start:\n{tail}")
                time.sleep(0.05)
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log, _path, _name in logs:
            log.close()


def worker_run(database_url: str, workdir: Path, peer: Receiver, processes: int) -> dict[str, Any]:
    run = f"w{processes}"
    path = f"/{run}"
    with workers(database_url, workdir, processes, run) as running:
        hook = peer.base.replace("http://", "json://", 1) + path
        backends = backend_pids(database_url)
        cpu_before = cpu_seconds(running)
        receiver_before = peer.cpu_seconds()
        postgres_before = pids_cpu_seconds(backends or [])
        committed_at = asyncio.run(fill(database_url, hook, run, MESSAGES))
        sent_at, state = asyncio.run(wait_until_sent(database_url, run, MESSAGES))
        cpu = cpu_seconds(running) - cpu_before
        receiver_cpu = peer.cpu_seconds() - receiver_before
        postgres_cpu = pids_cpu_seconds(backends or []) - postgres_before
    seconds = sent_at - committed_at
    seen = receiver_stats(peer.base, path)
    return {
        "side": f"spotcheck worker x{processes}",
        "processes": processes,
        "concurrency": processes * CONCURRENCY,
        "messages": MESSAGES,
        "seconds": round(seconds, 3),
        "deliveries_per_s": round(MESSAGES / seconds, 1),
        # The workers' own CPU time (every thread) per delivery, idle polling during the fill
        # included: what a delivery costs whatever else the machine is doing.
        "worker_cpu_ms_per_delivery": round(cpu / MESSAGES * 1000, 3),
        "receiver_cpu_ms_per_request": round(receiver_cpu / seen["received"] * 1000, 3),
        # The backends the workers were connected to when the fill began (the fill's own
        # connection, and the bench's polling of the outbox, are not among them).
        "postgres_cpu_ms_per_delivery": (
            None if backends is None else round(postgres_cpu / MESSAGES * 1000, 3)
        ),
        "postgres_backends": None if backends is None else len(backends),
        "received": seen["received"],
        "distinct_event_keys": seen["distinct"],
        "duplicates": seen["duplicates"],
        "event_key_header_and_body_differ": seen["mismatched"],
        "rows": state,
    }


# --- The baseline ---------------------------------------------------------------------------------


async def post_all(
    base: str, path: str, messages: list[tuple[str, bytes]], concurrency: int, keep_alive: bool
) -> float:
    """POST every body with `concurrency` requests in flight; returns the seconds it took."""
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency if keep_alive else 0
    )
    pending = iter(messages)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def sender() -> None:
            for event_key, body in pending:
                response = await client.post(
                    path,
                    content=body,
                    headers={
                        "User-Agent": "Apprise",
                        "Content-Type": "application/json",
                        "X-Spotcheck-Event-Key": event_key,
                    },
                )
                response.raise_for_status()

        started = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.monotonic() - started


def baseline_run(
    peer: Receiver, messages: list[tuple[str, bytes]], concurrency: int, keep_alive: bool
) -> dict[str, Any]:
    path = f"/baseline-c{concurrency}{'' if keep_alive else '-new-connections'}"
    cpu_before = time.process_time()
    receiver_before = peer.cpu_seconds()
    seconds = asyncio.run(post_all(peer.base, path, messages, concurrency, keep_alive))
    cpu = time.process_time() - cpu_before
    receiver_cpu = peer.cpu_seconds() - receiver_before
    seen = receiver_stats(peer.base, path)
    return {
        "side": "httpx baseline" + ("" if keep_alive else ", a new connection per request"),
        "concurrency": concurrency,
        "keep_alive": keep_alive,
        "messages": len(messages),
        "seconds": round(seconds, 3),
        "deliveries_per_s": round(len(messages) / seconds, 1),
        "client_cpu_ms_per_request": round(cpu / len(messages) * 1000, 3),
        "receiver_cpu_ms_per_request": round(receiver_cpu / seen["received"] * 1000, 3),
        "received": seen["received"],
        "distinct_event_keys": seen["distinct"],
        "duplicates": seen["duplicates"],
    }


# --- The run --------------------------------------------------------------------------------------


def bench_outbox(workdir: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    database_url = asyncio.run(create_database())
    try:
        migrate(database_url, worker_env(database_url))
        with receiver(workdir) as peer:
            one = worker_run(database_url, workdir, peer, processes=1)
            messages = asyncio.run(bodies(database_url, "w1"))
            baselines = [baseline_run(peer, messages, CONCURRENCY, keep_alive=True)]
            two = worker_run(database_url, workdir, peer, processes=2)
            baselines.append(baseline_run(peer, messages, 2 * CONCURRENCY, keep_alive=True))
            for concurrency in (CONCURRENCY, 2 * CONCURRENCY):
                baselines.append(baseline_run(peer, messages, concurrency, keep_alive=False))
    finally:
        asyncio.run(drop_database(database_url))

    def rate(concurrency: int, keep_alive: bool) -> float:
        (run,) = [
            b for b in baselines if (b["concurrency"], b["keep_alive"]) == (concurrency, keep_alive)
        ]
        return float(run["deliveries_per_s"])

    duplicates = sum(run["duplicates"] for run in (one, two))
    lost = sum(MESSAGES - run["distinct_event_keys"] for run in (one, two))
    retried = sum(run["rows"].get("sent_after_a_retry", 0) for run in (one, two))
    exactly_once = duplicates == 0 and lost == 0 and retried == 0
    return {
        "name": "outbox",
        "what": (
            f"{MESSAGES} webhook messages from the outbox on PostgreSQL, delivered by 1 and 2 "
            f"`spotcheck worker` processes ({CONCURRENCY} deliveries in flight each) vs httpx "
            "POSTing the same bodies to the same receiver at the same concurrency"
        ),
        "deliveries_per_s": {
            "one_worker": one["deliveries_per_s"],
            "two_workers": two["deliveries_per_s"],
            f"baseline_httpx_c{CONCURRENCY}": rate(CONCURRENCY, True),
            f"baseline_httpx_c{2 * CONCURRENCY}": rate(2 * CONCURRENCY, True),
        },
        "ratios": {
            "one_worker_over_baseline": round(one["deliveries_per_s"] / rate(CONCURRENCY, True), 3),
            "two_workers_over_baseline": round(
                two["deliveries_per_s"] / rate(2 * CONCURRENCY, True), 3
            ),
            "one_worker_over_baseline_without_keep_alive": round(
                one["deliveries_per_s"] / rate(CONCURRENCY, False), 3
            ),
            "two_workers_over_baseline_without_keep_alive": round(
                two["deliveries_per_s"] / rate(2 * CONCURRENCY, False), 3
            ),
            "two_workers_over_one": round(two["deliveries_per_s"] / one["deliveries_per_s"], 3),
        },
        "worker_cpu_ms_per_delivery": {
            "one_worker": one["worker_cpu_ms_per_delivery"],
            "two_workers": two["worker_cpu_ms_per_delivery"],
        },
        "postgres_cpu_ms_per_delivery": {
            "one_worker": one["postgres_cpu_ms_per_delivery"],
            "two_workers": two["postgres_cpu_ms_per_delivery"],
        },
        "receiver_cpu_ms_per_request": {
            "one_worker": one["receiver_cpu_ms_per_request"],
            "two_workers": two["receiver_cpu_ms_per_request"],
            f"baseline_httpx_c{CONCURRENCY}": baselines[0]["receiver_cpu_ms_per_request"],
        },
        "duplicates": duplicates,
        "lost": lost,
        "sent_after_a_retry": retried,
        "exactly_once": exactly_once,
        "target_two_workers_per_s": TARGET_TWO_WORKERS_PER_S,
        "target_met": two["deliveries_per_s"] >= TARGET_TWO_WORKERS_PER_S and exactly_once,
        "runs": [one, two, *baselines],
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["receive"]:
        # The receiver's process: `python -m bench.outbox receive PORT`; gone after an hour at most.
        asyncio.run(_receive(int(sys.argv[2]), stop_after=3600))
    else:
        print("run it with `python -m bench outbox`", file=sys.stderr)
        sys.exit(2)

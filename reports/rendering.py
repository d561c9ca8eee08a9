"""HTML → PDF off the event loop: the report templates and the bounded pool of render processes.

- The rendering itself (WeasyPrint, fonts, the URL fetcher that refuses all but project assets)
  is in ``reports.pdf_engine``, imported only by the pool's worker processes.
- ``pdf_engine.render_pdf`` is blocking (WeasyPrint is CPU-bound); handlers call
  ``render_pdf_async``, which runs it in a small pool of worker *processes*
  (``SPOTCHECK_PDF_RENDER_WORKERS``) behind a bounded queue (``SPOTCHECK_PDF_RENDER_QUEUE_LIMIT``):
  when the queue is full the request gets a 503 with Retry-After instead of waiting. Processes, not threads: WeasyPrint holds the GIL for most of a
  render, and ten renders in threads stall the event loop (``/health`` included).
- The pool's processes end with the process that owns it, however it ends (``_exit_with_owner``).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, NamedTuple

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.core.errors import ServiceUnavailable
from server.core.settings import Settings

ASSETS_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = ASSETS_DIR / "templates"

log = logging.getLogger("spotcheck.reports")


@functools.cache
def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(
    html: str,
    *,
    images: Mapping[str, bytes] | None,
    stylesheet: str | None,
    charts: Mapping[str, bytes] | None = None,
) -> bytes:
    """Runs in a worker process, where WeasyPrint is loaded (the fork server preloads it)."""
    pdf_engine = importlib.import_module("reports.pdf_engine")
    return bytes(pdf_engine.render_pdf(html, images=images, stylesheet=stylesheet, charts=charts))


class Built(NamedTuple):
    """What a document builder returns: the HTML, and the PNG charts it shows as
    ``chart:<name>`` (made in the worker with the HTML; they never cross a process)."""

    html: str
    charts: Mapping[str, bytes]


def _render_built(
    builder: str, payload: str, *, images: Mapping[str, bytes] | None, stylesheet: str | None
) -> bytes:
    """Runs in a worker process: build the HTML and its charts with `builder` ("module:function",
    a pure function called with `payload`, returning :class:`Built`), then render them."""
    module_name, _, function_name = builder.partition(":")
    built: Built = getattr(importlib.import_module(module_name), function_name)(payload)
    return _render(built.html, images=images, stylesheet=stylesheet, charts=built.charts)


# A render worker's exit status when the pool's owner is gone (nobody reads it: for a reader of ps).
OWNER_GONE_EXIT_CODE = 3


def _exit_with_owner() -> None:
    """Initializer of every render worker: the worker exits as soon as the process that owns the
    pool (the server, or a test) is gone, by a thread waiting on the end of a pipe that only the
    owner holds open (``multiprocessing.parent_process().sentinel``).

    Without it the pool outlives a server stopped by a signal, for ever: uvicorn handles SIGTERM,
    shuts down, then raises SIGTERM again, so the process dies by the signal without running its
    exit handlers (nor does SIGKILL), and the executor never tells its workers to stop. An idle
    worker waits on its call queue, whose writing end it holds itself, so it never sees an end of
    file; and the fork server (the workers' parent, not the server's descendant once it is gone)
    only exits when every holder of its "alive" pipe has closed it, and each worker holds a copy.
    Once the workers exit, the fork server and the resource tracker see their pipes close and
    exit too."""
    owner = multiprocessing.parent_process()
    if owner is None:  # not started by multiprocessing: nothing to watch
        return
    sentinel = owner.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        # Nobody is left to take a result: drop any render in progress at once.
        os._exit(OWNER_GONE_EXIT_CODE)

    threading.Thread(target=watch, name="render-owner-watch", daemon=True).start()


class RenderPool:
    """At most ``workers`` renders at once and ``queue_limit`` more waiting; beyond that, refuse.

    The pool's processes start on the first render (nothing starts at import or app creation)
    and are reused; each loads WeasyPrint and the fonts once."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, *, workers: int, queue_limit: int) -> None:
        self.workers = workers
        self.queue_limit = queue_limit
        self._executor: Executor | None = None
        self._in_flight = 0
        self._lock = threading.Lock()
        self._starting = threading.Lock()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _start(self) -> Executor:
        if self._executor is None:
            # forkserver, not fork: the server process has threads (the event loop's helpers,
            # database drivers) that a forked child would inherit in an unknown state. The fork
            # server imports WeasyPrint once; the workers are forked from it, already loaded.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["reports.pdf_engine"])
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_exit_with_owner
            )
        return self._executor

    def _submit(
        self,
        function: Callable[..., bytes],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        submitted: list[Future[bytes]],
    ) -> tuple[Executor, Future[bytes]]:
        with self._starting:
            executor = self._start()
        future = executor.submit(function, *args, **kwargs)
        # Counted until the render is done (or, if it never started, cancelled), not until
        # this request gives up: a render that a worker has begun occupies it to the end.
        future.add_done_callback(self._release)
        submitted.append(future)
        return executor, future

    def _admit(self) -> None:
        with self._lock:
            if self._in_flight >= self.workers + self.queue_limit:
                raise ServiceUnavailable(
                    f"The server is busy rendering {self._in_flight} PDF documents; "
                    f"try again in {self.RETRY_AFTER_SECONDS} seconds.",
                    retry_after_seconds=self.RETRY_AFTER_SECONDS,
                )
            self._in_flight += 1

    def _release(self, _: Future[bytes] | None = None) -> None:
        with self._lock:
            self._in_flight -= 1

    async def render(
        self, html: str, *, images: Mapping[str, bytes] | None, stylesheet: str | None
    ) -> bytes:
        return await self._run(_render, html, images=images, stylesheet=stylesheet)

    async def render_built(
        self,
        builder: str,
        payload: str,
        *,
        images: Mapping[str, bytes] | None,
        stylesheet: str | None,
    ) -> bytes:
        return await self._run(
            _render_built, builder, payload, images=images, stylesheet=stylesheet
        )

    async def _run(self, function: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
        self._admit()
        submitted: list[Future[bytes]] = []
        try:
            # In a thread: the first submit starts the fork server, which imports WeasyPrint
            # before it forks a worker, and the caller waits for it (about a second).
            executor, future = await anyio.to_thread.run_sync(
                self._submit, function, args, kwargs, submitted
            )
        except BaseException:
            if not submitted:  # else the render's own completion releases its place
                self._release()
            raise
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as error:
            # A worker died (killed, out of memory): the pool is unusable, start a new one.
            if self._executor is executor:
                self.shutdown()
            raise ServiceUnavailable(
                "The PDF renderer stopped unexpectedly and is restarting; try again.",
                retry_after_seconds=self.RETRY_AFTER_SECONDS,
            ) from error

    def shutdown(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


class _Pools:
    current: RenderPool | None = None


_pools = _Pools()


def configure(settings: Settings) -> None:
    """Size the render pool from the settings (called when the app is wired)."""
    if _pools.current is not None:
        if (_pools.current.workers, _pools.current.queue_limit) == (
            settings.pdf_render_workers,
            settings.pdf_render_queue_limit,
        ):
            return
        _pools.current.shutdown()
    _pools.current = RenderPool(
        workers=settings.pdf_render_workers, queue_limit=settings.pdf_render_queue_limit
    )


def render_pool() -> RenderPool:
    if _pools.current is None:
        _pools.current = RenderPool(
            workers=Settings.model_fields["pdf_render_workers"].default,
            queue_limit=Settings.model_fields["pdf_render_queue_limit"].default,
        )
    return _pools.current


async def render_pdf_async(
    html: str, *, images: Mapping[str, bytes] | None = None, stylesheet: str | None = None
) -> bytes:
    """Render in the bounded pool of worker processes; 503 (ServiceUnavailable) when it is full.
    ``images``: the evidence photos the HTML shows as ``evidence:<sha256>`` (sent along to the
    worker process, which reads no storage)."""
    return await render_pool().render(html, images=images, stylesheet=stylesheet)


async def render_built_async(
    builder: str,
    payload: str,
    *,
    images: Mapping[str, bytes] | None = None,
    stylesheet: str | None = None,
) -> bytes:
    """Like :func:`render_pdf_async`, with the HTML and its charts built in the worker too, by
    `builder` ("module:function", pure, called with `payload`, returning :class:`Built`): for
    documents whose HTML is itself costly to build, which would otherwise hold the API process's
    GIL."""
    return await render_pool().render_built(builder, payload, images=images, stylesheet=stylesheet)


# --- Rendered documents kept for identical requests ----------------------------------------------


class RenderedCache:
    """The PDFs rendered last, by a key naming everything they show but the time they were made
    (the caller's: e.g. a hash of the figures and of the templates). A request for the same
    document within `max_age_seconds` of its render is answered with it: the time it prints is
    then a few minutes old, and still true (the figures have not changed since, or the key
    would differ). Bounded by count and by bytes; the least recently used go first, and those
    past their age go at the next put (they can no longer be served, so they would only hold
    memory until pushed out). Per process: a replica or worker that has not rendered a document
    renders it once itself.

    16 MiB: dozens of the province's summaries (120–180 KB each since the charts are images with
    their text laid over: bench/results/reports.json, summary-pdf.json), so the 32 documents bind
    first; a bounded share of the API process's 200 MB budget (issue 13)."""

    def __init__(
        self,
        *,
        max_entries: int = 32,
        max_bytes: int = 16 * 1024 * 1024,
        max_age_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self.hits = 0
        self.misses = 0
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and self._clock() - found[0] > self.max_age_seconds:
                self._drop(key)
                found = None
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: str, document: bytes) -> None:
        if len(document) > self.max_bytes:
            return
        with self._lock:
            self._drop(key)
            now = self._clock()
            for stale in [
                k for k, (at, _) in self._entries.items() if now - at > self.max_age_seconds
            ]:
                self._drop(stale)
            self._entries[key] = (now, document)
            self._bytes += len(document)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        dropped = self._entries.pop(key, None)
        if dropped is not None:
            self._bytes -= len(dropped[1])

    def __len__(self) -> int:
        return len(self._entries)


_rendered = RenderedCache()


def rendered_cache() -> RenderedCache:
    return _rendered


def template_digest(*names: str) -> str:
    """SHA-256 of the named template files as they are on disk now (Jinja reloads a template
    that changed, so a cached document must not outlive one)."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (TEMPLATES_DIR / name).read_bytes() + b"\0")
    return digest.hexdigest()

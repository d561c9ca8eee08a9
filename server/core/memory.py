"""Handing the memory a process has freed back to the system, so that its resident size follows
what it holds now rather than the most it ever held at once (issue 13: the API process < 200 MB).

glibc's malloc keeps freed memory inside its heaps for reuse; a burst of concurrent requests
(several phones' bootstraps at once, a few exports) leaves the process resident at that burst's
high-water mark for ever. ``malloc_trim(0)`` releases the free pages of every heap (not only the
top), a few milliseconds for a heap of this size; each API process calls it every
TRIM_INTERVAL_SECONDS. Elsewhere than glibc (musl, macOS) there is no such call, and nothing is
done.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Callable

log = logging.getLogger("spotcheck.memory")

TRIM_INTERVAL_SECONDS = 30.0


def _glibc_malloc_trim() -> Callable[[], object] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own symbols: libc's, on Linux
    except (AttributeError, OSError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


malloc_trim = _glibc_malloc_trim()


async def keep_trimming(
    interval_seconds: float,
    stop: asyncio.Event,
    trim: Callable[[], object] | None = malloc_trim,
) -> None:
    """Trim every `interval_seconds` until `stop` is set (each API process runs this)."""
    if trim is None:
        return
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            # In a thread: a trim after a burst walks every arena, and the event loop must not
            # wait for it (ctypes lets go of the GIL during the call).
            await asyncio.to_thread(trim)

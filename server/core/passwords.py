"""Argon2id hashing, always off the event loop: one hash takes tens of milliseconds of CPU.

At most PASSWORD_HASHES_AT_ONCE hashes run at once in a process: each holds its whole memory
cost (64 MiB with the production parameters) until it ends, and anyio's default thread limiter
would let 40 run together (2.5 GiB for a burst of logins). Beyond a couple at once there is no
gain anyway: a hash is CPU-bound, so more at once only share the same cores."""

from __future__ import annotations

import functools

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106 low-memory params

PASSWORD_HASHES_AT_ONCE = 2
# One limiter per event loop (a limiter belongs to the loop it was made in; tests run several).
_hash_limiter: RunVar[CapacityLimiter] = RunVar("password_hash_limiter")


def _limiter() -> CapacityLimiter:
    try:
        return _hash_limiter.get()
    except LookupError:
        limiter = CapacityLimiter(PASSWORD_HASHES_AT_ONCE)
        _hash_limiter.set(limiter)
        return limiter


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the hashing parameters for new hashes (the test suite uses cheap ones, so that
    hundreds of logins do not cost a production-strength hash each). A stored hash carries its
    own parameters, so existing hashes still verify."""
    global _hasher
    _hasher = hasher
    _dummy_hash.cache_clear()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this when the username is unknown keeps the response time the same.
    Made on first use (in a worker thread), not at import."""
    return _hasher.hash("spotcheck-timing-equaliser")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=_limiter())


async def verify_password(password_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify, limiter=_limiter())

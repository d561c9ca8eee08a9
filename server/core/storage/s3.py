"""Objects in an S3-compatible bucket (MinIO, Amazon S3, …) through obstore, under the prefix of
``SPOTCHECK_STORAGE_URL``; the key below the prefix is the media directory's relative path.

- Write once: a put first asks whether the key is taken (HEAD), then writes with
  ``If-None-Match: *``, so of two replicas storing the same key at once, one writes and the other
  is told it exists; nothing is ever overwritten. A PUT is atomic in S3: an object is whole or
  absent, never half written.
- The signed request carries the body's SHA-256 (``x-amz-content-sha256``) and a SHA-256 checksum
  header, which the server checks against what arrived.
- obstore reports a missing object as the built-in FileNotFoundError (or its NotFoundError).
- A store that cannot be reached, or that refuses the credentials, is a 503 with Retry-After to
  the client (after a few quick retries), never a stack trace; the log says why.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

import anyio.to_thread
import obstore
from obstore.exceptions import AlreadyExistsError, BaseError, NotFoundError, PreconditionError
from obstore.store import S3Store

from server.core.errors import ServiceUnavailable
from server.core.storage.base import (
    StorageIntegrityError,
    StoredObjectMissing,
    StoredObjectReader,
    checked_key,
)

if TYPE_CHECKING:
    from obstore import GetResult
    from obstore.store import RetryConfig

log = logging.getLogger("spotcheck.storage")

RETRY_AFTER_SECONDS = 5
# /health's probe: one listing, no retries, answered within this or counted as not answering.
PROBE_TIMEOUT = "2s"

_RETRIES: RetryConfig = {
    "max_retries": 3,
    "retry_timeout": timedelta(seconds=15),
    "backoff": {
        "init_backoff": timedelta(milliseconds=100),
        "max_backoff": timedelta(seconds=2),
        "base": 2,
    },
}
_NO_RETRIES: RetryConfig = {
    "max_retries": 0,
    "retry_timeout": timedelta(seconds=2),
    "backoff": {
        "init_backoff": timedelta(milliseconds=100),
        "max_backoff": timedelta(seconds=1),
        "base": 2,
    },
}
STREAM_CHUNK_BYTES = 256 * 1024


class S3Storage:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str,
        secret_access_key: str,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        allow_http = bool(endpoint_url and endpoint_url.startswith("http://"))

        def store(timeout: str, connect_timeout: str, retry_config: RetryConfig) -> S3Store:
            return S3Store(
                bucket,
                prefix=prefix or None,
                endpoint=endpoint_url,
                region=region,
                access_key_id=access_key_id,
                secret_access_key=secret_access_key,
                # Path style (endpoint/bucket/key): what MinIO and most S3-compatible stores
                # serve without wildcard DNS for bucket names.
                virtual_hosted_style_request=False,
                conditional_put="etag",
                checksum_algorithm="sha256",
                client_options={
                    "allow_http": allow_http,
                    "connect_timeout": connect_timeout,
                    "timeout": timeout,
                },
                retry_config=retry_config,
            )

        # A request waits for the store a few seconds, not the library's three minutes.
        self._store = store("60s", "5s", _RETRIES)
        # /health's: one try, answered within PROBE_TIMEOUT or not at all.
        self._probe_store = store(PROBE_TIMEOUT, PROBE_TIMEOUT, _NO_RETRIES)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    async def put(self, key: str, data: bytes, *, sha256: str) -> bool:
        key = checked_key(key)
        actual = await anyio.to_thread.run_sync(lambda: hashlib.sha256(data).hexdigest())
        if actual != sha256:
            raise StorageIntegrityError(f"the bytes for {key} hash to {actual}, not {sha256}")
        if await self.exists(key):
            return False
        try:
            await obstore.put_async(self._store, key, data, mode="create", use_multipart=False)
        except (AlreadyExistsError, PreconditionError):
            return False  # another replica stored it between our HEAD and our PUT
        except BaseError as error:
            raise self._unavailable("store", key, error) from error
        return True

    async def get(self, key: str) -> bytes:
        key = checked_key(key)
        try:
            result = await obstore.get_async(self._store, key)
            return bytes(await result.bytes_async())
        except (FileNotFoundError, NotFoundError) as error:
            raise StoredObjectMissing(key) from error
        except BaseError as error:
            raise self._unavailable("read", key, error) from error

    async def open(self, key: str) -> StoredObjectReader:
        key = checked_key(key)
        try:
            result = await obstore.get_async(self._store, key)
        except (FileNotFoundError, NotFoundError) as error:
            raise StoredObjectMissing(key) from error
        except BaseError as error:
            raise self._unavailable("read", key, error) from error
        return StoredObjectReader(size=int(result.meta["size"]), chunks=self._chunks(result, key))

    async def _chunks(self, result: GetResult, key: str) -> AsyncIterator[bytes]:
        try:
            async for chunk in result.stream(min_chunk_size=STREAM_CHUNK_BYTES):
                yield bytes(chunk)
        except BaseError as error:
            # The response has started: all that is left is to cut it short and say why.
            log.error("object storage %s: reading %s broke off: %s", self.location, key, error)
            raise

    async def exists(self, key: str) -> bool:
        key = checked_key(key)
        try:
            await obstore.head_async(self._store, key)
        except (FileNotFoundError, NotFoundError):
            return False
        except BaseError as error:
            raise self._unavailable("look up", key, error) from error
        return True

    async def ping(self) -> None:
        # A listing under a name no object has: one small request that a missing bucket or
        # refused credentials fail (a HEAD of a missing key would not tell a missing bucket).
        await obstore.list_with_delimiter_async(self._probe_store, "health-probe")

    def _unavailable(self, verb: str, key: str, error: BaseError) -> ServiceUnavailable:
        # The library's message names the endpoint and the status, never the secret.
        log.error("object storage %s: cannot %s %s: %s", self.location, verb, key, error)
        return ServiceUnavailable(
            "The file store cannot be reached right now; nothing was changed. Try again in a "
            "moment.",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        )

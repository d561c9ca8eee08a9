"""Health and version endpoints for load balancers and operators."""

from __future__ import annotations

import logging
import time
from importlib.metadata import PackageNotFoundError, version

import anyio
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from pydantic import BaseModel, Field

from server.auth.openapi import PublicOperation
from server.core import db, storage
from server.core.settings import Settings

log = logging.getLogger("spotcheck.health")

# A load balancer may ask every second or two: the file store is asked at most once in this long
# per process, and must answer within the other (the S3 probe's own timeout is shorter).
STORAGE_CHECK_CACHE_SECONDS = 5.0
STORAGE_CHECK_TIMEOUT_SECONDS = 3.0


class HealthOut(BaseModel):
    status: str = Field(
        description="ok, or unavailable when the database or the file store does not answer"
    )
    database: str = Field(description="ok or unreachable")
    storage: str = Field(
        description="ok or unreachable: the media directory or the bucket of "
        "SPOTCHECK_STORAGE_URL (checked at most every few seconds)"
    )


class _StorageCheck:
    """The last answer of the file store, kept a few seconds; one probe at a time."""

    def __init__(self) -> None:
        self._answers: dict[str, tuple[float, bool]] = {}
        self._lock = anyio.Lock()

    async def answers(self, files: storage.ObjectStorage) -> bool:
        async with self._lock:
            checked = self._answers.get(files.location)
            now = time.monotonic()
            if checked is not None and now - checked[0] < STORAGE_CHECK_CACHE_SECONDS:
                return checked[1]
            ok = True
            try:
                with anyio.fail_after(STORAGE_CHECK_TIMEOUT_SECONDS):
                    await files.ping()
            except Exception as error:  # whatever it is, the store did not answer
                log.warning("file store %s does not answer: %s", files.location, error)
                ok = False
            self._answers[files.location] = (time.monotonic(), ok)
            return ok

    def forget(self) -> None:
        self._answers.clear()


storage_check = _StorageCheck()


class VersionOut(BaseModel):
    name: str
    version: str
    api: str


def package_version() -> str:
    try:
        return version("spotcheck")
    except PackageNotFoundError:
        return "0+unknown"


class OpsController(Controller):
    tags = ["ops"]

    @get(
        "/health",
        operation_id="health",
        operation_class=PublicOperation,
        responses={
            503: ResponseSpec(
                data_container=HealthOut,
                generate_examples=False,
                description="The database or the file store does not answer.",
            )
        },
    )
    async def health(self, settings: NamedDependency[Settings]) -> Response[HealthOut]:
        """200 when the database and the file store answer, 503 when either does not."""
        try:
            await db.ping()
            database = "ok"
        except Exception:
            database = "unreachable"
        files = (
            "ok" if await storage_check.answers(storage.for_settings(settings)) else "unreachable"
        )
        healthy = database == "ok" and files == "ok"
        return Response(
            HealthOut(status="ok" if healthy else "unavailable", database=database, storage=files),
            status_code=200 if healthy else 503,
        )

    @get("/version", operation_id="version", operation_class=PublicOperation)
    async def version(self) -> VersionOut:
        return VersionOut(name="spotcheck", version=package_version(), api="v1")

"""Health and version endpoints for load balancers and operators."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec
from pydantic import BaseModel

from server.auth.openapi import PublicOperation
from server.core import db


class HealthOut(BaseModel):
    status: str
    database: str


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
                description="The database does not answer.",
            )
        },
    )
    async def health(self) -> Response[HealthOut]:
        """200 when the database answers, 503 when it does not."""
        try:
            await db.ping()
        except Exception:
            return Response(
                HealthOut(status="unavailable", database="unreachable"), status_code=503
            )
        return Response(HealthOut(status="ok", database="ok"))

    @get("/version", operation_id="version", operation_class=PublicOperation)
    async def version(self) -> VersionOut:
        return VersionOut(name="spotcheck", version=package_version(), api="v1")

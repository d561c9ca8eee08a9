from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from mobile_api import services as mobile_service
from mobile_api.schemas import BootstrapOut, ChangesOut, SyncIn, SyncOut
from server.core.errors import PayloadTooLarge
from server.core.openapi import Sha256Path, problem_response
from server.core.scopes import Principal
from server.core.settings import Settings
from server.evidence import services as evidence_service
from server.evidence.services import EvidenceOut

# The evidence route reads at most this much more than the configured limit, so the limit check
# gives a clear 413 rather than the framework's generic one.
EVIDENCE_ROUTE_MAX_BYTES = 64 * 1024 * 1024


class MobileController(Controller):
    path = "/mobile/v1"
    tags = ["mobile"]

    @get("/bootstrap", operation_id="mobileBootstrap")
    async def bootstrap(self, principal: NamedDependency[Principal]) -> BootstrapOut:
        """Everything a phone needs to work offline: me, assignments, their checklist versions,
        the server time and a sync cursor."""
        return await mobile_service.bootstrap(principal=principal)

    @get("/changes", operation_id="mobileChanges")
    async def changes(
        self, principal: NamedDependency[Principal], cursor: FromQuery[str]
    ) -> ChangesOut:
        """Inspections that changed for me since the cursor (with a short overlap; upsert by id)."""
        return await mobile_service.changes(cursor=cursor, principal=principal)

    @post("/sync", operation_id="mobileSync", status_code=HTTP_200_OK)
    async def sync(self, data: JSONBody[SyncIn], principal: NamedDependency[Principal]) -> SyncOut:
        """Apply a batch of ops in order; one result per op: applied, duplicate, conflict or
        rejected (with a reason). Safe to resend: ops are idempotent by op_id."""
        return await mobile_service.sync(data=data, principal=principal)

    @put(
        "/evidence/{sha256:str}",
        operation_id="uploadEvidence",
        status_code=HTTP_200_OK,
        request_max_body_size=EVIDENCE_ROUTE_MAX_BYTES,
        responses={
            409: problem_response("The body's SHA-256 is not the one in the path."),
            413: problem_response("The file is larger than the server accepts."),
            415: problem_response("The file is not a JPEG, PNG, WebP or PDF."),
        },
    )
    async def upload_evidence(
        self,
        sha256: Sha256Path,
        request: Request[Principal, None, Any],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
    ) -> EvidenceOut:
        """Upload one evidence file as the raw body, addressed by its SHA-256 (idempotent).

        409 when the body's hash differs, 413 when too large, 415 when not JPEG/PNG/WebP/PDF."""
        sha256 = evidence_service.checked_sha256(sha256)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.evidence_max_bytes:
            raise PayloadTooLarge(
                f"The file has {declared} bytes; evidence files may have at most "
                f"{settings.evidence_max_bytes} bytes."
            )
        body = await request.body()
        return await evidence_service.store(
            sha256=sha256, data=body, principal=principal, settings=settings
        )

from __future__ import annotations

from typing import Literal
from uuid import UUID

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from reports import minutes_service
from reports.minutes_service import VerificationOut
from server.auth.openapi import PublicOperation
from server.core.errors import InvalidInput
from server.core.http_headers import content_disposition
from server.core.openapi import Sha256Path
from server.core.scopes import Principal
from server.core.settings import Settings


class MinutesController(Controller):
    path = "/api/v1/inspections"
    tags = ["reports"]

    @get(
        "/{inspection_id:uuid}/minutes.pdf",
        operation_id="getMinutesPdf",
        media_type="application/pdf",
    )
    async def minutes_pdf(
        self,
        inspection_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        lang: FromQuery[Literal["vi", "en"]] = "vi",
    ) -> Response[bytes]:
        """The minutes in the Decree 30 layout (`?lang=en` for the English translation). Signed
        minutes are rendered once, stored, and returned byte-identical afterwards; before
        signing a draft is rendered on the fly."""
        if lang not in ("vi", "en"):
            raise InvalidInput("lang must be 'vi' or 'en'.")
        rendered = await minutes_service.minutes_pdf(
            inspection_id=inspection_id, principal=principal, settings=settings, language=lang
        )
        return Response(
            rendered.pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": content_disposition(rendered.filename, inline=True)},
        )


class VerifyController(Controller):
    path = "/verify"
    tags = ["reports"]

    @get("/{sha256:str}", operation_id="verifyDocument", operation_class=PublicOperation)
    async def verify(self, sha256: Sha256Path) -> VerificationOut:
        """Public: the number, date, unit and status of the document with this SHA-256."""
        if len(sha256) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha256):
            raise InvalidInput("Give the document's SHA-256 as 64 hexadecimal characters.")
        return await minutes_service.verify_document(sha256)

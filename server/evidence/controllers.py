"""The screens' read route for evidence files (the phone uploads them through the phone API)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Stream

from server.core.http_headers import content_disposition
from server.core.openapi import Sha256Path
from server.core.scopes import Principal
from server.core.settings import Settings
from server.evidence import services as evidence_service
from server.evidence.services import EvidenceVariant

# Evidence is content-addressed: the bytes behind a hash never change, so a screen may keep them
# for a year; "private" keeps shared caches (proxies) from storing what needs a token.
EVIDENCE_CACHE_CONTROL = "private, max-age=31536000, immutable"


class EvidenceController(Controller):
    path = "/api/v1/evidence"
    tags = ["evidence"]

    @get(
        "/{sha256:str}",
        operation_id="getEvidence",
        media_type="application/octet-stream",
        response_description="The evidence file's bytes",
        response_headers=[
            ResponseHeader(
                name="Cache-Control", value=EVIDENCE_CACHE_CONTROL, documentation_only=False
            ),
            ResponseHeader(
                name="Content-Length", description="File size in bytes", documentation_only=True
            ),
            ResponseHeader(
                name="ETag",
                description="The hash and the variant: the bytes behind it never change",
                documentation_only=True,
            ),
        ],
    )
    async def get_evidence(
        self,
        sha256: Sha256Path,
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        variant: FromQuery[EvidenceVariant] = EvidenceVariant.screen,
    ) -> Stream:
        """An evidence file for a screen: by default the downscaled JPEG (long side ≤ 1600 px;
        a PDF is returned as it is), `?variant=original` for the bytes as uploaded. Only when you
        may see an inspection (answers, findings, signatures, addenda) or a corrective action
        (its evidence or history, or its finding's photos) that references it; 404 otherwise,
        whether or not the file exists. Send the bearer token (fetch it, then show a blob URL);
        the answer may be cached for a year."""
        found = await evidence_service.file_for_screen(
            sha256=sha256, variant=variant, principal=principal, settings=settings
        )
        # Streamed from wherever it is kept (the media directory or the bucket), in chunks. The
        # type goes in as a header: the route's declared media type would win over Stream's own.
        return Stream(
            found.content.chunks,
            headers={
                "content-type": found.media_type,
                "content-length": str(found.content.size),
                "ETag": f'"{sha256.lower()}-{variant.value}"',
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": content_disposition(found.filename, inline=True),
            },
        )

"""The dossier-ledger routes: upload a unit's ledger, list its imports, its flagged dossiers and
its indicators. Thin: the service decides who may do what and does the work."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Final, Literal
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body, FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, ConfigDict, Field

from server.core.errors import PROBLEM_MEDIA_TYPE
from server.core.guards import requires_role
from server.core.openapi import problem_response
from server.core.pagination import DEFAULT_LIMIT
from server.core.pagination_http import TOTAL_COUNT_HEADERS, Limit, Offset, page_response
from server.core.scopes import Principal
from server.dossiers import services as dossier_service
from server.dossiers.mapping import SHIPPED_LAYOUTS
from server.dossiers.schemas import (
    FeeCatalogueOut,
    FlaggedDossierOut,
    IndicatorsOut,
    LedgerImportOut,
    LedgerImportSummaryOut,
    LedgerLayoutOut,
    LedgerRefusalOut,
    LedgerRuleOut,
)
from server.dossiers.texts import pick_language

# A quarter of a big district's one-stop shop is 100,000 rows: about 21 MB as CSV, 7.5 MB as XLSX.
LEDGER_MAX_BYTES: Final = 64 * 1024 * 1024

Lang = FromQuery[Literal["vi", "en"] | None]
"""The language of the answer's texts (`detail`, `message`); default: the user's language.
Both languages are in the answer anyway (`…_vi`, `…_en`)."""


def _refusal(description: str) -> ResponseSpec:
    """A problem of the import, its `detail` in the request's language and in both."""
    return ResponseSpec(
        data_container=LedgerRefusalOut,
        generate_examples=False,
        description=description,
        media_type=PROBLEM_MEDIA_TYPE,
    )


class LedgerUploadIn(BaseModel):
    """A multipart form: the ledger file and the name of a shipped column layout."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile
    layout: str = Field(description=f"A shipped column layout: {', '.join(SHIPPED_LAYOUTS)}")
    period_start: date | None = Field(
        default=None, description="The period the file covers (both or neither; default: its days)"
    )
    period_end: date | None = Field(default=None, description="The period's last day")


class DossierLedgerController(Controller):
    path = "/api/v1/units/{unit_id:uuid}/dossier-ledgers"
    tags = ["dossier-ledgers"]

    @post(
        "/",
        operation_id="importDossierLedger",
        status_code=HTTP_200_OK,
        guards=[requires_role(*dossier_service.IMPORT_ROLES)],
        request_max_body_size=LEDGER_MAX_BYTES,
        responses={
            400: problem_response(
                "The body is not a valid multipart/form-data form with a `file` and a `layout`."
            ),
            409: _refusal(
                "Another import for the unit finished while this one was read: send it again."
            ),
            413: problem_response("The file is larger than the server accepts (64 MB)."),
            415: _refusal("The file is not a CSV or XLSX ledger."),
            422: _refusal(
                "The ledger was refused and nothing was saved: `issues` lists every problem "
                "(line, column, header, value and what is accepted, in vi and en), "
                "`issue_count` their total. A refused period or layout has no `issues`."
            ),
        },
    )
    async def import_ledger(
        self,
        unit_id: FromPath[UUID],
        data: Annotated[LedgerUploadIn, Body(media_type=RequestEncodingType.MULTI_PART)],
        principal: NamedDependency[Principal],
        lang: Lang = None,
    ) -> LedgerImportSummaryOut:
        """Import a unit's dossier ledger (CSV or XLSX) in a shipped column layout (admin, or a
        leader of a unit above it). All or nothing; the same file again answers with its first
        import (`already_imported`); a later overlapping file updates dossiers by code, keeping
        their previous values as history. Answers the import, the flags per rule and the
        indicators of the period the file covers."""
        language = pick_language(lang, principal.language)
        upload = data.file
        file_name = upload.filename or "ledger"
        head = await upload.read(8)
        await upload.seek(0)
        file_format = dossier_service.file_format_of(file_name, upload.content_type, head, language)
        # Litestar's multipart parser already keeps at most 1 MB of a file part in memory (its
        # UploadFile is a SpooledTemporaryFile that rolls to disk beyond that); the body as a
        # whole is capped by `request_max_body_size`. The copy to a named file, hashed on the
        # way, goes in 1 MB chunks; the reader then streams from its path.
        spooled = await anyio.to_thread.run_sync(
            dossier_service.spool_to_file, upload.file, Path(file_name).suffix
        )
        path = spooled.path
        try:
            return await dossier_service.import_ledger(
                unit_id=unit_id,
                path=path,
                sha256=spooled.sha256,
                file_name=file_name,
                file_format=file_format,
                layout=data.layout,
                principal=principal,
                period_start=data.period_start,
                period_end=data.period_end,
                language=language,
            )
        finally:
            path.unlink(missing_ok=True)
            await upload.close()

    @get(
        "/",
        operation_id="listDossierLedgerImports",
        guards=[requires_role(*dossier_service.READ_ROLES)],
        response_headers=TOTAL_COUNT_HEADERS,
    )
    async def list_imports(
        self,
        unit_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Response[list[LedgerImportOut]]:
        """The unit's ledger imports, newest first (one page; `X-Total-Count` has the total)."""
        page = await dossier_service.list_imports(
            unit_id=unit_id, principal=principal, limit=limit, offset=offset
        )
        return page_response(page)

    @get(
        "/flagged",
        operation_id="listFlaggedDossiers",
        guards=[requires_role(*dossier_service.READ_ROLES)],
        response_headers=TOTAL_COUNT_HEADERS,
    )
    async def list_flagged(
        self,
        unit_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        period_start: FromQuery[date | None] = None,
        period_end: FromQuery[date | None] = None,
        rule: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
        lang: Lang = None,
    ) -> Response[list[FlaggedDossierOut]]:
        """The unit's dossiers received in the period (both ends, or neither for the latest
        import's) that a rule flags, judged at the period's end, by dossier code; `rule` keeps
        one rule's flags. Flags are recomputed from the stored dossiers. Each flag's `detail` is
        in `lang` (default: the user's language), and in both languages beside it."""
        page = await dossier_service.list_flagged(
            unit_id=unit_id,
            principal=principal,
            period_start=period_start,
            period_end=period_end,
            rule=rule,
            limit=limit,
            offset=offset,
            language=pick_language(lang, principal.language),
        )
        return page_response(page)

    @get(
        "/indicators",
        operation_id="getDossierIndicators",
        guards=[requires_role(*dossier_service.READ_ROLES)],
        responses={404: problem_response("The unit is not yours to see, or has no ledger yet.")},
    )
    async def indicators(
        self,
        unit_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        period_start: FromQuery[date | None] = None,
        period_end: FromQuery[date | None] = None,
    ) -> IndicatorsOut:
        """The unit's indicators for the period (default: the latest import's): online share,
        online payment share, on-time share, backlog, dossiers pending and flagged share."""
        return await dossier_service.period_indicators_for(
            unit_id=unit_id, principal=principal, period_start=period_start, period_end=period_end
        )


class DossierLedgerCatalogueController(Controller):
    """What the import and ledger screens name: the shipped layouts and rules (read-only data,
    the same for everyone signed in)."""

    tags = ["dossier-ledgers"]

    @get("/api/v1/dossier-ledger-layouts", operation_id="listDossierLedgerLayouts")
    async def layouts(self) -> list[LedgerLayoutOut]:
        """The shipped column layouts (`layout` of an upload): id, name in vi and en, and for
        each canonical field whether it is required and the headers it is found under."""
        return dossier_service.shipped_layouts()

    @get("/api/v1/dossier-ledger-rules", operation_id="listDossierLedgerRules")
    async def rules(self) -> list[LedgerRuleOut]:
        """The rules run over every dossier (the `rule` of a flag): severity, title in vi and
        en, and the legal bases with the dates they apply from and until."""
        return dossier_service.ledger_rules()

    @get("/api/v1/dossier-fee-catalogue", operation_id="getDossierFeeCatalogue")
    async def fee_catalogue(self) -> FeeCatalogueOut:
        """The posted-fee catalogue the fee rules (`fee_not_due`, `fee_differs`) compare each
        dossier's fee with: the province, the resolution setting the fees, whether it was
        checked, and each procedure's fee (per dossier or per page)."""
        return dossier_service.fee_catalogue_out()

"""The one application factory. Nothing connects or reads files at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag

from server import registry
from server.auth.controllers import AuthController, MeController
from server.auth.middleware import BearerAuthenticationMiddleware
from server.core import db, memory
from server.core.audit import services as audit_service
from server.core.openapi import openapi_plugins
from server.core.pagination import TOTAL_COUNT_HEADER
from server.core.problems import EXCEPTION_HANDLERS
from server.core.scopes import Principal
from server.core.security_headers import add_security_headers
from server.core.settings import Settings, load_settings
from server.ops import OpsController, package_version
from server.units.controllers import UnitController
from server.users.controllers import UserController
from server.wiring import wire_packages

# Routes reachable without a token. Everything else must authenticate.
PUBLIC_PATHS = [
    "^/health$",
    "^/version$",
    "^/schema",
    "^/api/v1/auth/login$",
    "^/api/v1/auth/refresh$",
    "^/verify/",
    "^/$",
    "^/app(/|$)",
]

TAGS = [
    Tag(name="auth", description="Login, token refresh and logout"),
    Tag(name="units", description="The unit tree"),
    Tag(name="users", description="Accounts, roles and home units"),
    Tag(name="checklists", description="Checklist templates and their published versions"),
    Tag(name="plans", description="Sealed plans of unannounced inspections"),
    Tag(name="inspections", description="Inspections, their findings and addenda"),
    Tag(name="actions", description="Corrective actions and their history"),
    Tag(name="notifications", description="The notification outbox and test messages (admin)"),
    Tag(name="evidence", description="Evidence files (photos, signatures) for screens"),
    Tag(
        name="dossier-ledgers",
        description="A unit's one-stop dossier ledger: imports, flagged dossiers, indicators",
    ),
    Tag(name="mobile", description="The phone's bootstrap, sync and evidence upload"),
    Tag(name="reports", description="Minutes, summaries, rankings, exports and verification"),
    Tag(name="ops", description="Health and version"),
]


def _configure_openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Spotcheck API",
        version=package_version(),
        description="Unannounced inspections of public-administration units.",
        path="/schema",
        tags=TAGS,
        security=[{"BearerToken": []}],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="Access token from POST /api/v1/auth/login",
                )
            }
        ),
    )


def _configure_dependencies(settings: Settings) -> dict[str, Provide]:
    def provide_settings() -> Settings:
        return settings

    def provide_principal(request: Request[Any, Any, Any]) -> Principal:
        user = request.user
        assert isinstance(user, Principal)
        return user

    return {
        "settings": Provide(provide_settings, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }


def _route_handlers() -> list[Any]:
    from checklists.controllers import ChecklistController
    from mobile_api.app_files import AppFilesController
    from mobile_api.controllers import MobileController
    from reports.controllers import MinutesController, VerifyController
    from reports.summary_controllers import ExportController, ReportController
    from server.actions.controllers import ActionController, FollowUpController
    from server.dossiers.controllers import (
        DossierLedgerCatalogueController,
        DossierLedgerController,
    )
    from server.evidence.controllers import EvidenceController
    from server.inspections.controllers import InspectionController
    from server.notifications.controllers import (
        NotificationController,
        UnitNotificationTestController,
    )
    from server.plans.controllers import PlanController

    return [
        OpsController,
        AuthController,
        MeController,
        UnitController,
        UserController,
        ChecklistController,
        PlanController,
        InspectionController,
        FollowUpController,
        ActionController,
        NotificationController,
        UnitNotificationTestController,
        MobileController,
        EvidenceController,
        DossierLedgerController,
        DossierLedgerCatalogueController,
        AppFilesController,
        MinutesController,
        VerifyController,
        ReportController,
        ExportController,
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for chatty in ("weasyprint", "fontTools"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    db.bind_engine(db.build_engine(settings), registry.all_tables())
    wire_packages(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.open_database(settings)
        stop = asyncio.Event()
        sealer = None
        if settings.audit_seal_interval_seconds > 0:
            # Audit events are written unchained; every API process keeps chaining them (one at a
            # time across processes, by a lock), so the chain is never far behind (docs/audit.md).
            sealer = asyncio.create_task(
                audit_service.keep_sealing(settings.audit_seal_interval_seconds, stop)
            )
        # Freed memory back to the system after bursts of requests (server/core/memory.py).
        trimmer = asyncio.create_task(memory.keep_trimming(memory.TRIM_INTERVAL_SECONDS, stop))
        try:
            yield
        finally:
            stop.set()
            if sealer is not None:
                await sealer
            await trimmer
            await db.close_database()

    return Litestar(
        route_handlers=_route_handlers(),
        lifespan=[lifespan],
        dependencies=_configure_dependencies(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        # Wraps `send` itself, so the framework's own 404s and 405s get the headers too.
        before_send=[add_security_headers],
        middleware=[
            # Built per app so the public path list travels with it.
            _auth_middleware(),
        ],
        openapi_config=_configure_openapi(),
        plugins=openapi_plugins(public_paths=PUBLIC_PATHS),
        state=State({"settings": settings}),
        request_max_body_size=settings.request_max_body_bytes,
        cors_config=CORSConfig(
            allow_origins=[settings.public_base_url], expose_headers=[TOTAL_COUNT_HEADER]
        ),
        debug=False,
    )


def _auth_middleware() -> Any:
    from litestar.middleware.base import DefineMiddleware

    return DefineMiddleware(BearerAuthenticationMiddleware, exclude=PUBLIC_PATHS)

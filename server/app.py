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
from server.core.errors import EXCEPTION_HANDLERS
from server.core.openapi import openapi_plugins
from server.core.pagination import TOTAL_COUNT_HEADER
from server.core.scopes import Principal
from server.core.security_headers import add_security_headers
from server.core.settings import Settings, SettingsError, load_settings
from server.ops import OpsController, package_version
from server.units import services as unit_service
from server.units.controllers import UnitController
from server.users import services as user_service
from server.users.controllers import UserController

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


def apply_fee_catalogue(settings: Settings) -> None:
    """The posted fees every run of the fee rules compares with; an unknown key is a settings
    error, so the server and the CLI stop with a readable message."""
    from server.dossiers.fees import FeeCatalogueInvalid, use_fee_catalogue

    try:
        use_fee_catalogue(settings.fee_catalogue)
    except FeeCatalogueInvalid as error:
        raise SettingsError(f"Invalid configuration: SPOTCHECK_FEE_CATALOGUE: {error}") from None


def wire_packages(settings: Settings) -> None:
    """Connect the packages' hooks (also used by the CLI, which builds no app)."""
    from mobile_api import services as mobile_service
    from mobile_api.schemas import OpType
    from reports import minutes_service, rendering
    from server.actions import scheduled as action_scheduled
    from server.actions import services as action_service
    from server.actions.schemas import OfflineTransitionIn
    from server.auth import services as auth_service
    from server.dossiers import samples as sample_service
    from server.dossiers import services as dossier_service
    from server.dossiers.schemas import DossierCheckIn
    from server.evidence import services as evidence_service
    from server.inspections import events
    from server.inspections import services as inspection_service
    from server.inspections.events import InspectionSigned, InspectionStarted, InspectionSubmitted
    from server.notifications import services as notification_service
    from server.notifications import triggers
    from server.units.recipients import UnitRecipients
    from server.users.recipients import UserRecipients

    audit_service.configure(settings)
    rendering.configure(settings)
    unit_service.register_history_check(user_service.unit_history_reason)
    user_service.on_credentials_changed(auth_service.revoke_all_sessions)
    unit_service.register_history_check(inspection_service.unit_history_reason)
    unit_service.register_history_check(action_service.unit_history_reason)
    from server.plans import follow_ups
    from server.plans import services as plan_service

    for rewriter in (
        inspection_service.rewrite_unit_paths,
        action_service.rewrite_unit_paths,
        plan_service.rewrite_unit_paths,
    ):
        unit_service.register_path_rewriter(rewriter)
    notification_service.configure(settings)
    # Who a "unit" or "user" recipient is: kept by the packages that own them.
    notification_service.register_recipients("unit", UnitRecipients())
    notification_service.register_recipients("user", UserRecipients())
    for trigger in (
        action_scheduled.due_soon,
        action_scheduled.overdue,
        action_scheduled.daily_digests,
    ):
        triggers.register_trigger(trigger)
    # Who may see an evidence file: whoever may see an inspection or an action that references it.
    evidence_service.register_visibility_check(inspection_service.evidence_visible)
    follow_ups.on_follow_up_scheduled(action_service.link_open_actions_to_follow_up)
    # Open and overdue actions weigh in the draw of the next visits.
    plan_service.register_risk_facts(action_service.risk_facts)
    # With draw.dossier_indicators, the units' ledgers weigh in too (draw algorithm v2).
    plan_service.register_dossier_facts(dossier_service.draw_facts)
    evidence_service.register_visibility_check(action_service.evidence_visible)
    # What reacts to an inspection's lifecycle, in order, inside the event's transaction.
    events.subscribe(InspectionStarted, action_service.on_inspection_started)
    events.subscribe(InspectionSubmitted, action_service.on_inspection_submitted)
    events.subscribe(InspectionSigned, minutes_service.on_inspection_signed)
    events.subscribe(InspectionSigned, action_service.on_inspection_signed)
    mobile_service.register_op(
        OpType.action_transition, OfflineTransitionIn, action_service.offline_transition
    )
    # The sealed dossier sample: its checks are an op, make findings on submit (which waits for
    # their evidence), and their photos are the team's and the leaders' above the unit.
    mobile_service.register_op(
        OpType.dossier_check, DossierCheckIn, sample_service.dossier_check_op
    )
    inspection_service.register_submit_contributor(
        sample_service.submit_evidence, sample_service.submit_findings
    )
    # Items pre-filled from the unit's dossier ledger or from the sample's checks, offered on the
    # phone and judged at submit.
    inspection_service.register_prefill_sources(
        ledger=dossier_service.ledger_prefill, sample=dossier_service.sample_prefill
    )
    evidence_service.register_visibility_check(sample_service.evidence_visible)
    apply_fee_catalogue(settings)


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

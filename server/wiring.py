"""The packages' hooks, connected once per process: by the app factory (server/app.py) and by
the commands that build no app (server/cli.py: the worker, the demo, …).

Apart from the app factory so that a command imports the packages it wires and not the web
application (its routes, controllers and OpenAPI): a `spotcheck worker` starts without them.
"""

from __future__ import annotations

from mobile_api import services as mobile_service
from mobile_api.schemas import OpType
from reports import minutes_service, rendering
from server.actions import scheduled as action_scheduled
from server.actions import services as action_service
from server.actions.schemas import OfflineTransitionIn
from server.auth import services as auth_service
from server.core.audit import services as audit_service
from server.core.settings import Settings, SettingsError
from server.dossiers import samples as sample_service
from server.dossiers import services as dossier_service
from server.dossiers.fees import FeeCatalogueInvalid, use_fee_catalogue
from server.dossiers.schemas import DossierCheckIn
from server.evidence import services as evidence_service
from server.inspections import events
from server.inspections import services as inspection_service
from server.inspections.events import InspectionSigned, InspectionStarted, InspectionSubmitted
from server.notifications import services as notification_service
from server.notifications import triggers
from server.plans import follow_ups
from server.plans import services as plan_service
from server.units import services as unit_service
from server.units.recipients import UnitRecipients
from server.users import services as user_service
from server.users.recipients import UserRecipients


def apply_fee_catalogue(settings: Settings) -> None:
    """The posted fees every run of the fee rules compares with; an unknown key is a settings
    error, so the server and the CLI stop with a readable message."""
    try:
        use_fee_catalogue(settings.fee_catalogue)
    except FeeCatalogueInvalid as error:
        raise SettingsError(f"Invalid configuration: SPOTCHECK_FEE_CATALOGUE: {error}") from None


def wire_packages(settings: Settings) -> None:
    """Connect the packages' hooks (also used by the CLI, which builds no app)."""
    audit_service.configure(settings)
    rendering.configure(settings)
    unit_service.register_history_check(user_service.unit_history_reason)
    user_service.on_credentials_changed(auth_service.revoke_all_sessions)
    unit_service.register_history_check(inspection_service.unit_history_reason)
    unit_service.register_history_check(action_service.unit_history_reason)
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

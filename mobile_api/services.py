"""The phone's sync protocol: idempotent ops, applied in order, each with its own outcome.

Most ops go one at a time, each in its own transaction. A run of consecutive answer ops (what a
batch mostly is) is applied as a set in one transaction of a few statements
(``inspection_service.record_answers``), with exactly the outcomes the ops would have one at a
time; if anything unexpected happens, or an op of the run was recorded meanwhile by a racing copy,
the run is undone and its ops go one at a time after all.

For each op the server keeps (op_id, user, payload hash, first result). A replay of the same op_id
with the same payload returns that first result as ``duplicate`` and applies nothing; the same op_id
with a different payload is a ``conflict``. An op that fails its checks is ``rejected`` with a
reason and does not undo the ops before it. The op record is inserted in the same transaction as
the change, so a crash between them is impossible, and two copies of a batch racing each other
leave one applied op and one duplicate.

No single op fails the batch: an unexpected error while applying one (a bug, a value the database
cannot hold) rolls back that op alone, is logged with its traceback, and is recorded as that op's
``rejected``. Only a database that is gone stops the batch: the phone retries later, the ops
committed before it are duplicates then (an unfinished run of answers was undone whole and is
applied then), so nothing is lost.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from piccolo.utils.encoding import load_json
from pydantic import BaseModel, ValidationError

from checklists import services as checklist_service
from checklists.format import PrefillSource
from checklists.schemas import PrefillValueOut
from mobile_api.schemas import (
    AssignmentOut,
    BootstrapOut,
    ChangesOut,
    OpResult,
    OpStatus,
    OpType,
    SyncIn,
    SyncOp,
    SyncOut,
)
from mobile_api.tables import SyncOperation
from server.core import canonical, db
from server.core.errors import DomainError, InvalidInput, ServiceUnavailable
from server.core.scopes import Principal
from server.core.timeutil import is_sane_instant
from server.dossiers import samples as sample_service
from server.dossiers import services as dossier_service
from server.dossiers.schemas import DossierCheckOut, SampledDossier
from server.inspections import services as inspection_service
from server.inspections.schemas import (
    AnswerIn,
    FindingIn,
    InspectionStatus,
    InspectionSummary,
    SignIn,
    StartIn,
    SubmitIn,
)
from server.users import services as user_service

log = logging.getLogger(__name__)

# Said to the phone when applying an op failed on the server's side; the details are in the log.
UNAPPLICABLE_REASON = (
    "The server could not apply this change (an error on the server's side, logged for the "
    "administrator). Do not resend it unchanged: correct it or record it again, and tell an "
    "administrator if it keeps happening."
)

# A change committed just before a cursor was taken may carry a slightly earlier timestamp than a
# concurrent one; re-sending a short overlap costs little (the phone upserts by id) and loses nothing.
CURSOR_OVERLAP = timedelta(seconds=5)

# (payload, principal, server receipt time, op id, device clock − server clock for the batch)
OpHandler = Callable[[Any, Principal, datetime, UUID, timedelta], Awaitable[dict[str, Any]]]


async def _start(
    payload: StartIn, principal: Principal, now: datetime, op_id: UUID, clock_offset: timedelta
) -> dict[str, Any]:
    return await inspection_service.start(
        payload, principal=principal, received_at=now, device_clock_offset=clock_offset
    )


async def _answer(
    payload: AnswerIn, principal: Principal, now: datetime, op_id: UUID, clock_offset: timedelta
) -> dict[str, Any]:
    return await inspection_service.record_answer(
        payload,
        principal=principal,
        received_at=now,
        op_id=op_id,
        device_clock_offset=clock_offset,
    )


async def _finding(
    payload: FindingIn, principal: Principal, now: datetime, op_id: UUID, clock_offset: timedelta
) -> dict[str, Any]:
    return await inspection_service.add_finding(payload, principal=principal, received_at=now)


async def _sign(
    payload: SignIn, principal: Principal, now: datetime, op_id: UUID, clock_offset: timedelta
) -> dict[str, Any]:
    return await inspection_service.sign(payload, principal=principal, received_at=now)


async def _submit(
    payload: SubmitIn, principal: Principal, now: datetime, op_id: UUID, clock_offset: timedelta
) -> dict[str, Any]:
    return await inspection_service.submit(payload, principal=principal, received_at=now)


def _submit_with_ledger(ledger: inspection_service.LedgerPrefill) -> OpHandler:
    async def handler(
        payload: SubmitIn,
        principal: Principal,
        now: datetime,
        op_id: UUID,
        clock_offset: timedelta,
    ) -> dict[str, Any]:
        return await inspection_service.submit(
            payload, principal=principal, received_at=now, ledger=ledger
        )

    return handler


HANDLERS: dict[OpType, tuple[type[BaseModel], OpHandler]] = {
    OpType.start: (StartIn, _start),
    OpType.answer: (AnswerIn, _answer),
    OpType.finding: (FindingIn, _finding),
    OpType.sign: (SignIn, _sign),
    OpType.submit: (SubmitIn, _submit),
}


def register_op(op_type: OpType, payload_model: type[BaseModel], handler: OpHandler) -> None:
    """Other packages add op types (corrective actions add ``action_transition``)."""
    HANDLERS[op_type] = (payload_model, handler)


def payload_hash(op: SyncOp) -> str:
    return canonical.canonical_sha256(
        {"type": op.type.value, "payload": op.payload}, version=canonical.CANONICAL_V3
    )


async def sync(*, data: SyncIn, principal: Principal) -> SyncOut:
    # The phone's clock against ours, measured on the batch (its `sent_at`), not on each op: an
    # answer recorded offline two days ago is late, not from a skewed clock.
    clock_offset = data.sent_at - datetime.now(UTC)
    # Ops already recorded (a resent batch) are found when they are claimed: a run of answers
    # then looks them all up at once (see _apply_answer_run) and notes them here for the rest of
    # the batch; any other op fails on the primary key of its claim and is looked up then.
    recorded: dict[UUID, dict[str, Any]] = {}
    results: list[OpResult] = []
    # The set path is the built-in answer handler's; a replaced one (a test's) gets every op.
    as_sets = HANDLERS.get(OpType.answer) == (AnswerIn, _answer)
    start = 0
    while start < len(data.ops):
        end = start
        while end < len(data.ops) and data.ops[end].type == OpType.answer:
            end += 1
        if as_sets and end - start >= 2:
            # A run of answers (what a batch mostly is) is applied as a set.
            run = data.ops[start:end]
            results += await _apply_answer_run(
                run, data.device_id, principal, clock_offset, recorded
            )
            start = end
        else:
            op = data.ops[start]
            results.append(
                await _apply_one(
                    op, data.device_id, principal, clock_offset, recorded.get(op.op_id)
                )
            )
            start += 1
    now = datetime.now(UTC)
    return SyncOut(server_time=now, results=results, cursor=encode_cursor(now))


class _AlreadyClaimed(Exception):
    """An op of the run was recorded already (a resent batch, a racing copy, or one op id twice
    in the batch): the run is undone (see _apply_answer_run)."""


async def _apply_answer_run(
    run: list[SyncOp],
    device_id: str,
    principal: Principal,
    clock_offset: timedelta,
    recorded: dict[UUID, dict[str, Any]],
) -> list[OpResult]:
    """Consecutive answer ops with the results :func:`_apply_one` would give each in turn, in one
    transaction of a few statements (``inspection_service.record_answers``) instead of a dozen per
    op. Anything unexpected undoes the run and sends its ops through ``_apply_one``, which isolates
    the op at fault.

    Ops already recorded (a resent batch) are found when their claims are refused: the run is
    undone, they are looked up and answered from their records, and the rest is tried once more.
    A new batch, most of what arrives, so costs no look-up."""
    now = datetime.now(UTC)
    results: dict[int, OpResult] = {}
    pending: list[_Pending] = []
    for position, op in enumerate(run):
        digest = payload_hash(op)
        if op.op_id in recorded:
            results[position] = _replay(op, principal, digest, recorded[op.op_id])
            continue
        try:
            payload = AnswerIn.model_validate(op.payload)
        except ValidationError as error:
            reason = _describe_validation(error)
            results[position] = await _record_rejection(
                op, device_id, principal, digest, now, reason
            )
            continue
        pending.append(_Pending(position, op, payload, digest))
    looked_up = False
    while pending:
        try:
            results |= await _record_run(pending, device_id, principal, clock_offset, now)
            break
        except ServiceUnavailable:
            raise
        except _AlreadyClaimed:
            if not looked_up:
                looked_up = True
                found = await _recorded([one.op.op_id for one in pending])
                recorded |= found
                for one in pending:
                    if one.op.op_id in found:
                        results[one.position] = _replay(
                            one.op, principal, one.digest, found[one.op.op_id]
                        )
                pending = [one for one in pending if one.op.op_id not in found]
                if found:
                    continue
        except Exception as error:
            if db.is_unavailable(error):
                raise
            log.exception(
                "a run of %d answer ops failed as a set; applying one by one", len(pending)
            )
        # A racing copy, one op id twice in the run, or a failure: one at a time, which answers
        # each exactly.
        for one in pending:
            results[one.position] = await _apply_one(
                one.op, device_id, principal, clock_offset, recorded.get(one.op.op_id)
            )
        break
    return [results[position] for position in range(len(run))]


@dataclass(frozen=True)
class _Pending:
    """An answer op of a run, checked and not recorded yet, at its place in the run."""

    position: int
    op: SyncOp
    payload: AnswerIn
    digest: str


async def _record_run(
    pending: list[_Pending],
    device_id: str,
    principal: Principal,
    clock_offset: timedelta,
    now: datetime,
) -> dict[int, OpResult]:
    """The answers of `pending` recorded, with their op claims, in one transaction; each op's
    result by its place. Raises _AlreadyClaimed, undoing it all, when a claim is refused."""
    results: dict[int, OpResult] = {}
    async with db.write_transaction():
        # The answers' writes and the op claims go to the database together.
        writes = db.Writes()
        outcomes = await inspection_service.record_answers(
            [(one.payload, one.op.op_id) for one in pending],
            principal=principal,
            received_at=now,
            device_clock_offset=clock_offset,
            writes=writes,
        )
        claims = []
        stored: dict[str, Any]
        for one, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, DomainError):
                status, stored = OpStatus.rejected, {"reason": outcome.detail}
                results[one.position] = OpResult(
                    op_id=one.op.op_id, status=OpStatus.rejected, reason=outcome.detail
                )
            else:
                status, stored = OpStatus.applied, {"result": outcome}
                results[one.position] = OpResult(
                    op_id=one.op.op_id, status=OpStatus.applied, result=outcome
                )
            claims.append(_op_values(one.op, device_id, principal, one.digest, status, stored, now))
        writes.insert(
            SyncOperation,
            claims,
            conflict_target=(SyncOperation.op_id,),
            returning=SyncOperation.op_id,
        )
        claimed = await writes.send()
        if len(claimed) != len(claims):
            raise _AlreadyClaimed
    return results


# What a replay answers from, and no more: every batch asks, and most ask about new ops.
_RECORDED_SQL = (
    "SELECT op_id, user_id, payload_sha256, status, result "  # noqa: S608 (no value in the text)
    f'FROM "{SyncOperation._meta.tablename}" WHERE op_id = ANY($1)'
)


async def _recorded(op_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    if db.is_postgres():
        # Fixed SQL: every batch runs it (see db.fetch_postgres).
        records = await db.fetch_postgres(_RECORDED_SQL, op_ids)
        return {
            UUID(str(record["op_id"])): dict(record, result=load_json(record["result"]))
            for record in records
        }
    rows = (
        await SyncOperation.select(
            SyncOperation.op_id,
            SyncOperation.user_id,
            SyncOperation.payload_sha256,
            SyncOperation.status,
            SyncOperation.result,
        )
        .where(db.one_of(SyncOperation.op_id, op_ids))
        .output(load_json=True)
    )
    return {UUID(str(row["op_id"])): row for row in rows}


async def _previous(op: SyncOp, principal: Principal, digest: str) -> OpResult | None:
    row = (await _recorded([op.op_id])).get(op.op_id)
    return None if row is None else _replay(op, principal, digest, row)


def _replay(op: SyncOp, principal: Principal, digest: str, row: dict[str, Any]) -> OpResult:
    """The answer to an op already recorded: its first result, or a conflict when the op_id was
    used for another change."""
    if row["user_id"] != principal.user_id or row["payload_sha256"] != digest:
        return OpResult(
            op_id=op.op_id,
            status=OpStatus.conflict,
            reason="This op_id was already used for a different change; make a new op_id.",
        )
    first = row["result"]
    return OpResult(
        op_id=op.op_id,
        status=OpStatus.duplicate,
        reason=first.get("reason"),
        result={"first_status": row["status"], **(first.get("result") or {})},
    )


async def _apply_one(
    op: SyncOp,
    device_id: str,
    principal: Principal,
    clock_offset: timedelta,
    recorded: dict[str, Any] | None,
) -> OpResult:
    digest = payload_hash(op)
    if recorded is not None:
        return _replay(op, principal, digest, recorded)
    now = datetime.now(UTC)
    try:
        handler_entry = HANDLERS.get(op.type)
        if handler_entry is None:
            raise InvalidInput(f"Op type {op.type.value} is not supported by this server yet.")
        model, handler = handler_entry
        try:
            payload = model.model_validate(op.payload)
        except ValidationError as error:
            raise InvalidInput(_describe_validation(error)) from error
        if isinstance(payload, SubmitIn) and handler is _submit:
            # The ledger's values are recomputed from every dossier of the unit: before the
            # write transaction, not while holding it.
            handler = _submit_with_ledger(
                await inspection_service.ledger_prefill_for(payload.inspection_id)
            )
        async with db.write_transaction():
            # Claim the op id first: a concurrent copy of this op blocks here, then fails on the
            # primary key and is answered as a duplicate below.
            await db.insert_rows(
                SyncOperation,
                [_op_values(op, device_id, principal, digest, OpStatus.applied, {}, now)],
            )
            outcome = await handler(payload, principal, now, op.op_id, clock_offset)
            await SyncOperation.update({SyncOperation.result: {"result": outcome}}).where(
                SyncOperation.op_id == op.op_id
            )
        return OpResult(op_id=op.op_id, status=OpStatus.applied, result=outcome)
    except ServiceUnavailable:
        raise  # passing (the database is overloaded or gone): not recorded, the phone retries
    except DomainError as error:
        return await _record_rejection(op, device_id, principal, digest, now, error.detail)
    except Exception as error:
        if db.is_unavailable(error):
            # Not this op's fault: stop here and let the phone send the batch again later.
            raise
        if not db.is_unique_violation(error):
            # This op's transaction was rolled back; the batch goes on without it.
            log.exception(
                "sync op %s (%s) from user %s could not be applied; recorded as rejected",
                op.op_id,
                op.type.value,
                principal.user_id,
            )
            return await _record_rejection(
                op, device_id, principal, digest, now, UNAPPLICABLE_REASON
            )
        again = await _previous(op, principal, digest)
        if again is not None:
            return again
        # Another op changed the same record at the same moment and won; this one was rolled
        # back whole. Say so, rather than failing the rest of the batch.
        return await _record_rejection(
            op,
            device_id,
            principal,
            digest,
            now,
            "A change to the same record arrived at the same moment and was applied first; "
            "check the current state and send a new op if this one is still needed.",
        )


async def _record_rejection(
    op: SyncOp, device_id: str, principal: Principal, digest: str, now: datetime, reason: str
) -> OpResult:
    """Remember the rejection too, so a replay gets the same answer instead of a second try
    that might now succeed out of order."""
    try:
        async with db.write_transaction():
            await db.insert_rows(
                SyncOperation,
                [
                    _op_values(
                        op, device_id, principal, digest, OpStatus.rejected, {"reason": reason}, now
                    )
                ],
            )
    except Exception as error:
        if not db.is_unique_violation(error):
            raise
        again = await _previous(op, principal, digest)
        if again is not None:
            return again
    return OpResult(op_id=op.op_id, status=OpStatus.rejected, reason=reason)


def _op_values(
    op: SyncOp,
    device_id: str,
    principal: Principal,
    digest: str,
    status: OpStatus,
    result: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The op's record, column by column, for ``db.insert_rows``."""
    return {
        "op_id": op.op_id,
        "user_id": principal.user_id,
        "device_id": device_id,
        "op_type": op.type.value,
        "payload_sha256": digest,
        "status": status.value,
        "result": result,
        "received_at": now,
    }


def _describe_validation(error: ValidationError) -> str:
    return "Invalid op payload: " + "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'payload'}: {item['msg']}"
        for item in error.errors()
    )


def encode_cursor(moment: datetime) -> str:
    return base64.urlsafe_b64encode(moment.astimezone(UTC).isoformat().encode()).decode()


def decode_cursor(cursor: str) -> datetime:
    try:
        moment = datetime.fromisoformat(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(
            "The cursor is not one this server gave out; bootstrap again."
        ) from error
    if not is_sane_instant(moment):
        raise InvalidInput("The cursor is not one this server gave out; bootstrap again.")
    return moment


async def bootstrap(*, principal: Principal) -> BootstrapOut:
    now = datetime.now(UTC)
    me = await user_service.me(principal)
    assignments = (
        await inspection_service.list_inspections(principal=principal, assigned_to_me=True)
    ).items
    open_assignments = [a for a in assignments if a.status.value not in ("closed", "cancelled")]
    version_ids = sorted({a.checklist_version_id for a in open_assignments})
    versions = await checklist_service.get_versions(list(version_ids))
    # Only my assignments that I may see now (the list above applies the visibility rule): the
    # sealed sample goes to the team with its assignment, and to nobody else.
    ids = [a.id for a in open_assignments]
    samples = await sample_service.samples_of(ids)
    checks: dict[UUID, list[Any]] = {}
    for check in await sample_service.checks_of(ids):
        checks.setdefault(check.inspection_id, []).append(check)
    prefills: _PrefillMemo = {}
    return BootstrapOut(
        me=me,
        server_time=now,
        assignments=[
            await _assignment(
                summary,
                dossier_sample=samples.get(summary.id),
                dossier_checks=checks.get(summary.id, []),
                prefills=prefills,
            )
            for summary in open_assignments
        ],
        checklist_versions=versions,
        sync_cursor=encode_cursor(now),
    )


# Only an inspection still to be answered needs the ledger's values.
_PREFILLED_STATUSES = frozenset({InspectionStatus.planned, InspectionStatus.in_progress})


# (unit, visit date, checklist version) -> the ledger's values for those items then; one
# bootstrap's assignments often share all three (a team visiting a unit several times a day).
_PrefillMemo = dict[tuple[UUID, date, UUID], dict[str, PrefillValueOut] | None]


async def _assignment(
    summary: InspectionSummary,
    *,
    dossier_sample: list[SampledDossier] | None,
    dossier_checks: list[DossierCheckOut],
    prefills: _PrefillMemo,
) -> AssignmentOut:
    """An assignment as the phone gets it: the inspection, its sealed dossier sample and the checks
    recorded so far, and what the unit's dossier ledger says for its pre-filled items (the
    assignment is the principal's own, so they may see it), worked out once per unit, visit date
    and checklist version in ``prefills``."""
    prefill = None
    if summary.status in _PREFILLED_STATUSES:
        key = (summary.unit.id, summary.visit_date, summary.checklist_version_id)
        if key not in prefills:
            template = await checklist_service.load_version_template(summary.checklist_version_id)
            prefills[key] = await dossier_service.ledger_prefill(
                unit_id=summary.unit.id,
                visit_date=summary.visit_date,
                measures=inspection_service.prefill_measures(
                    template, PrefillSource.DOSSIER_LEDGER
                ),
            )
        prefill = prefills[key]
    return AssignmentOut(
        **summary.model_dump(),
        dossier_sample=dossier_sample,
        dossier_checks=dossier_checks,
        prefill=prefill,
    )


async def changes(*, cursor: str, principal: Principal) -> ChangesOut:
    since = decode_cursor(cursor) - CURSOR_OVERLAP
    now = datetime.now(UTC)
    ids = await inspection_service.visible_ids(principal, updated_since=since)
    details = [
        await inspection_service.get_inspection(inspection_id=inspection_id, principal=principal)
        for inspection_id in ids
    ]
    # Checks are the team's: a unit head sees the changed inspection, never its dossier checks.
    mine = set(await inspection_service.inspections_of_member(principal.user_id))
    checks = await sample_service.checks_of([i for i in ids if i in mine])
    return ChangesOut(
        server_time=now, inspections=details, cursor=encode_cursor(now), dossier_checks=checks
    )

"""Importing a unit's dossier ledger and reading what it adds up to.

**An import** streams the upload to a temporary file (hashing it on the way), then reads the
whole file (in a worker thread: parsing 100,000 rows takes seconds of CPU, which must not stall
the event loop), so every problem is reported at once and nothing is written unless the file is
valid. It then compares each record with the unit's stored dossier of the same code (read with
plain SQL, compared column by column; a stored dossier becomes a record again only when it
changes or the file lacks it) and writes, in one short write transaction: the import row, every
new dossier, every changed one (updated by (unit_id, dossier_code)), a history row with the
previous values of every changed one, and the audit event. ``db.insert_rows_in_bulk`` writes the
rows: COPY on PostgreSQL (changed ones through a staging table and one upsert), multi-row inserts
on SQLite. Unchanged dossiers are not touched, and dossiers missing from a later file are kept
(an export may cover a shorter period). On SQLite this is the "validate first, then one
IMMEDIATE transaction" the database needs. The rules run once for the summary's flags and
indicators.

**Idempotent by (unit, SHA-256 of the file's bytes).** The same file again answers with the first
import and writes nothing; a unique index makes two concurrent uploads of it store one import.

**Flags are not stored.** The rules are pure, so flags and indicators are recomputed from the
stored records whenever they are read.

**Who.** An admin imports for any unit in their tree, a leader for units strictly below their home
unit (nobody judges their own unit's work). Admins, leaders and unit heads read the results of
units in their part of the tree; a unit outside it is not found (404).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, Final
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import anyio.to_thread
from piccolo.utils.encoding import dump_json

from checklists.schemas import PrefillSourceOut, PrefillValueOut
from server.core import db
from server.core.audit import services as audit_service
from server.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, UnsupportedMedia
from server.core.pagination import Page
from server.core.scopes import Principal, Role, require_role
from server.core.timeutil import aware
from server.dossiers.fees import catalogue_in_use, rule_context
from server.dossiers.indicators import PeriodIndicators, Share, period_indicators
from server.dossiers.mapping import SHIPPED_LAYOUTS, shipped_layout
from server.dossiers.model import FIELDS, Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.prefill import (
    LedgerPrefill,
    SampleMeasureValue,
    compute_measures,
    prefill_period,
    sample_measures,
)
from server.dossiers.reading import FileFormat, load_ledger
from server.dossiers.rules import CHECKS, RuleContext, check_ledger, rule_catalogue
from server.dossiers.schemas import (
    FeeCatalogueOut,
    FlagCountsOut,
    FlaggedDossierOut,
    FlagOut,
    IndicatorsOut,
    LayoutColumnOut,
    LedgerImportOut,
    LedgerImportSummaryOut,
    LedgerLayoutOut,
    LedgerRuleOut,
    LegalBasisOut,
    PostedFeeOut,
    ShareOut,
)
from server.dossiers.tables import (
    Dossier,
    DossierCheck,
    DossierHistory,
    DossierLedgerImport,
    DossierSample,
)
from server.dossiers.texts import Language, Text, in_language, refusal
from server.dossiers.workdays import CalendarNotCovered
from server.units import services as unit_service
from server.units.services import UnitFacts
from server.units.tables import Unit

log = logging.getLogger(__name__)

IMPORT_ROLES: Final = (Role.admin, Role.leader)
READ_ROLES: Final = (Role.admin, Role.leader, Role.unit_head)
MOMENT_FIELDS: Final = ("received", "appointed_return", "transferred", "resolved", "returned")
LIST_FIELDS: Final = ("apology_slips", "new_appointed_returns")
PLAIN_FIELDS: Final = (
    "procedure_code",
    "procedure_name",
    "handling_agency",
    "component_files",
    "result_file_present",
    "fee",
    "paid_online",
    "supplement_requests",
)
# Content types a browser or client may send for each format; octet-stream is what many send
# for a file they do not know. The bytes decide in the end (an XLSX is a zip).
CONTENT_TYPES: Final[dict[str, FileFormat]] = {
    "text/csv": "csv",
    "text/plain": "csv",
    "application/csv": "csv",
    "application/vnd.ms-excel": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
ZIP_MAGIC: Final = b"PK\x03\x04"
SPOOL_CHUNK_BYTES: Final = 1024 * 1024


# --- the file ------------------------------------------------------------------------------------


def file_format_of(
    file_name: str, content_type: str | None, head: bytes, language: Language = "vi"
) -> FileFormat:
    """The ledger's format from its name and first bytes; 415 for anything else (worded in
    ``language``, and in both languages beside it)."""
    suffix = Path(file_name).suffix.lower()
    by_name: FileFormat | None = {".csv": "csv", ".xlsx": "xlsx"}.get(suffix)  # type: ignore[assignment]
    media = (content_type or "").split(";")[0].strip().lower()
    if media and media != "application/octet-stream" and media not in CONTENT_TYPES:
        text = Text(
            vi=f"Sổ hồ sơ phải gửi dưới dạng tệp CSV hoặc XLSX; kiểu nội dung «{media}» của tệp "
            "không phải hai dạng này.",
            en=f"A ledger is sent as CSV or XLSX; the file's content type {media!r} is neither.",
        )
        raise refusal(UnsupportedMedia, text, language)
    if by_name is None:
        text = Text(
            vi=f"Tệp sổ hồ sơ phải có đuôi .csv hoặc .xlsx; tệp «{file_name}» không phải.",
            en=f"A ledger file is named *.csv or *.xlsx; {file_name!r} is neither.",
        )
        raise refusal(UnsupportedMedia, text, language)
    if (by_name == "xlsx") != head.startswith(ZIP_MAGIC):
        text = Text(
            vi=f"Tệp «{file_name}» có đuôi {by_name.upper()} nhưng nội dung "
            + (
                "không phải là bảng tính XLSX."
                if by_name == "xlsx"
                else "không phải là văn bản (có vẻ là bảng tính)."
            ),
            en=f"{file_name!r} is named as {by_name.upper()} but its bytes are not "
            + ("an XLSX workbook." if by_name == "xlsx" else "text (it looks like a workbook)."),
        )
        raise refusal(UnsupportedMedia, text, language)
    return by_name


@dataclass(frozen=True)
class SpooledUpload:
    """An upload copied to a temporary file, with the SHA-256 of its bytes."""

    path: Path
    sha256: str


def spool_to_file(source: IO[bytes], suffix: str) -> SpooledUpload:
    """Copy an upload to a temporary file in 1 MB chunks, hashing it on the way (the reader
    reads a path: calamine needs one, and the CSV reader streams from it); the caller deletes
    it. Never more than a chunk of the file is in memory. Blocking: call it from a worker
    thread."""
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(prefix="ledger-", suffix=suffix, delete=False) as target:
        while chunk := source.read(SPOOL_CHUNK_BYTES):
            digest.update(chunk)
            target.write(chunk)
    return SpooledUpload(Path(target.name), digest.hexdigest())


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, as the reader's report gives it. Blocking."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(SPOOL_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


# --- records and rows ----------------------------------------------------------------------------


def _moment_json(moment: Moment) -> dict[str, Any]:
    return {"day": moment.day.isoformat(), "at": moment.at.isoformat() if moment.at else None}


def _moment_from_json(value: dict[str, Any]) -> Moment:
    at = value.get("at")
    return Moment(date.fromisoformat(value["day"]), datetime.fromisoformat(at) if at else None)


def _moment_from_columns(day: date | None, at: datetime | None, zone: ZoneInfo) -> Moment | None:
    if day is None:
        return None
    return Moment(day, at.astimezone(zone) if at is not None else None)


def record_values(record: DossierRecord) -> dict[str, Any]:
    """The record's canonical fields as columns (moments as a date and a UTC instant)."""
    values: dict[str, Any] = {name: getattr(record, name) for name in PLAIN_FIELDS}
    for name in MOMENT_FIELDS:
        moment: Moment | None = getattr(record, name)
        values[f"{name}_day"] = moment.day if moment else None
        values[f"{name}_at"] = moment.at.astimezone(UTC) if moment and moment.at else None
    for name in LIST_FIELDS:
        values[name] = _moments_json(getattr(record, name))
    # Unknown slips (no slip column) are the JSON value null, kept apart from [] (no slip); the
    # column itself stays NOT NULL, so the text is passed as it is.
    if values["apology_slips"] is None:
        values["apology_slips"] = "null"
    values["channel"] = record.channel.value if record.channel else None
    values["status"] = record.status.value if record.status else None
    return values


def _moments_json(moments: tuple[Moment, ...] | None) -> list[dict[str, Any]] | None:
    return None if moments is None else [_moment_json(moment) for moment in moments]


def _moments_from_json(values: list[dict[str, Any]] | None) -> tuple[Moment, ...] | None:
    return None if values is None else tuple(_moment_from_json(value) for value in values)


def record_json(record: DossierRecord) -> dict[str, Any]:
    """The record as JSON, for a history row."""
    values = {name: getattr(record, name) for name in PLAIN_FIELDS}
    values["dossier_code"] = record.dossier_code
    for name in MOMENT_FIELDS:
        moment = getattr(record, name)
        values[name] = _moment_json(moment) if moment else None
    for name in LIST_FIELDS:
        values[name] = _moments_json(getattr(record, name))
    values["channel"] = record.channel.value if record.channel else None
    values["status"] = record.status.value if record.status else None
    return values


def record_from_row(row: dict[str, Any], zone: ZoneInfo) -> DossierRecord:
    """A stored dossier back into its canonical record; a time is shown in the unit's zone, and
    the stored local day is kept as it was given."""
    moments = {
        name: _moment_from_columns(row[f"{name}_day"], row[f"{name}_at"], zone)
        for name in MOMENT_FIELDS
    }
    return DossierRecord(
        dossier_code=row["dossier_code"],
        received=moments["received"],  # type: ignore[arg-type]  # never null
        appointed_return=moments["appointed_return"],  # type: ignore[arg-type]
        transferred=moments["transferred"],
        resolved=moments["resolved"],
        returned=moments["returned"],
        channel=Channel(row["channel"]) if row["channel"] else None,
        status=DossierStatus(row["status"]) if row["status"] else None,
        # JSON null: the ledger had no slip column (unknown); []: it showed no slip.
        apology_slips=_moments_from_json(row["apology_slips"]),
        new_appointed_returns=_moments_from_json(row["new_appointed_returns"]) or (),
        **{name: row[name] for name in PLAIN_FIELDS},
    )


# What a stored dossier is compared by: the record's columns, read with plain SQL (no Piccolo row
# processing, no JSON decoding of the two lists unless one holds something).
_COMPARED_COLUMNS: Final = (
    *(f"{name}_{part}" for name in MOMENT_FIELDS for part in ("day", "at")),
    *PLAIN_FIELDS,
    "channel",
    "status",
    *LIST_FIELDS,
)
# Every name is the table's own (its columns and table name), never input.
_STORED_SQL: Final = (
    f"SELECT id, import_id, dossier_code, {', '.join(_COMPARED_COLUMNS)} "  # noqa: S608
    f"FROM {Dossier._meta.tablename} WHERE unit_id = {{}}"
)


def _json_list(value: Any) -> list[Any] | None:
    """A stored list column read as JSON text (or already decoded): the list, or None for the
    JSON value null (unknown apology slips: the ledger had no slip column)."""
    if value == "[]":
        return []
    decoded = json.loads(value) if isinstance(value, str) else value
    return None if decoded is None else list(decoded)


async def _stored_dossiers(unit: UnitFacts) -> dict[str, dict[str, Any]]:
    """The unit's stored dossiers by code, as rows of what the comparison needs (lists as JSON
    text: see :func:`_json_list`)."""
    rows = await Dossier.raw(_STORED_SQL, unit.id)
    return {row["dossier_code"]: row for row in rows}


def _stored_record(row: dict[str, Any], zone: ZoneInfo) -> DossierRecord:
    return record_from_row(
        {
            **row,
            **{name: _json_list(row[name]) for name in LIST_FIELDS},
        },
        zone,
    )


def _moment_key(moment: Moment | None) -> tuple[date | None, datetime | None]:
    return (moment.day, moment.at) if moment is not None else (None, None)


def _stored_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """A stored row as the comparison sees it; equal to :func:`_record_key` of the record it was
    written from (aware datetimes compare as instants, whatever their zone)."""
    return (
        *(row[name] for name in _COMPARED_COLUMNS[: -len(LIST_FIELDS)]),
        *(_stored_moments_key(_json_list(row[name])) for name in LIST_FIELDS),
    )


def _stored_moments_key(items: list[dict[str, Any]] | None) -> tuple[Any, ...] | None:
    if items is None:
        return None
    return tuple(
        (
            date.fromisoformat(item["day"]),
            datetime.fromisoformat(item["at"]) if item.get("at") else None,
        )
        for item in items
    )


def _moments_key(moments: tuple[Moment, ...] | None) -> tuple[Any, ...] | None:
    return None if moments is None else tuple(_moment_key(moment) for moment in moments)


def _record_key(record: DossierRecord) -> tuple[Any, ...]:
    moments = (_moment_key(getattr(record, name)) for name in MOMENT_FIELDS)
    return (
        *(part for pair in moments for part in pair),
        *(getattr(record, name) for name in PLAIN_FIELDS),
        record.channel.value if record.channel else None,
        record.status.value if record.status else None,
        *(_moments_key(getattr(record, name)) for name in LIST_FIELDS),
    )


async def _stored_records(unit: UnitFacts) -> dict[str, _Stored]:
    """The unit's stored dossiers by code, as records (for the screens that show them). Making
    the records (seconds of CPU for a unit of 100,000 dossiers) runs in a worker thread, off
    the event loop."""
    rows = await Dossier.select().where(Dossier.unit_id == unit.id).output(load_json=True)
    zone = ZoneInfo(unit.time_zone)

    def records() -> dict[str, _Stored]:
        return {
            row["dossier_code"]: _Stored(row["id"], row["import_id"], record_from_row(row, zone))
            for row in rows
        }

    return await anyio.to_thread.run_sync(records)


@dataclass(frozen=True)
class _Stored:
    id: UUID
    import_id: UUID
    record: DossierRecord


# --- the shipped layouts and rules, for the import and ledger screens ----------------------------


def shipped_layouts() -> list[LedgerLayoutOut]:
    """The column layouts an upload may name, with the headers each field is found under."""
    out = []
    for key in SHIPPED_LAYOUTS:
        layout = shipped_layout(key)
        out.append(
            LedgerLayoutOut(
                id=layout.key,
                name_vi=layout.title,
                name_en=layout.title_en,
                description=layout.description,
                columns=[
                    LayoutColumnOut(
                        field=column.field,
                        kind=FIELDS[column.field].kind,
                        required=FIELDS[column.field].required,
                        headers=list(column.headers),
                    )
                    for column in layout.columns
                ],
            )
        )
    return out


def fee_catalogue_out() -> FeeCatalogueOut:
    """The posted-fee catalogue in use, as the fee rules read it."""
    catalogue = catalogue_in_use()
    if catalogue is None:
        return FeeCatalogueOut(
            catalogue=None, province=None, resolution=None, verified=None, procedures=[]
        )
    return FeeCatalogueOut(
        catalogue=catalogue.key,
        province=catalogue.province,
        resolution=catalogue.resolution,
        verified=catalogue.verified,
        procedures=[
            PostedFeeOut(code=p.code, name=p.name, fee=p.fee, per=p.per, basis=p.basis)
            for p in catalogue.procedures
        ],
    )


def ledger_rules() -> list[LedgerRuleOut]:
    """The rules run over every dossier, in their order, with their names and legal bases."""
    return [
        LedgerRuleOut(
            rule=info.code,
            severity=info.severity.value,
            title_vi=info.title_vi,
            title_en=info.title_en,
            legal_bases=[
                LegalBasisOut(
                    text=basis.text,
                    verified=basis.verified,
                    valid_from=basis.valid_from,
                    valid_until=basis.valid_until,
                )
                for basis in info.legal_bases
            ],
        )
        for info in rule_catalogue().values()
    ]


# --- who may do what -----------------------------------------------------------------------------


async def _unit_for(unit_id: UUID, principal: Principal, roles: tuple[Role, ...]) -> UnitFacts:
    require_role(principal, *roles)
    unit = await unit_service.get_unit_unscoped(unit_id)
    if unit is None or not principal.can_see_unit_path(unit.path):
        raise NotFound(f"No unit {unit_id} in your part of the unit tree.")
    return unit


async def unit_for_import(unit_id: UUID, principal: Principal) -> UnitFacts:
    unit = await _unit_for(unit_id, principal, IMPORT_ROLES)
    if principal.role is Role.leader and not principal.is_strictly_above(unit.path):
        raise PermissionDenied("A leader imports ledgers only for units below their own home unit.")
    return unit


# --- importing -----------------------------------------------------------------------------------


_DOSSIER_COLUMNS: Final = db.column_names(Dossier)
_HISTORY_COLUMNS: Final = db.column_names(DossierHistory)


@dataclass
class _Plan:
    """What an import will write, worked out before the write transaction."""

    # Rows as tuples in the tables' column order (db.column_names), JSON already encoded: for
    # 100,000 dossiers, dicts would hold about 100 MB more until the write.
    new_rows: list[tuple[Any, ...]]
    changed_rows: list[tuple[Any, ...]]
    history_rows: list[tuple[Any, ...]]
    created: int
    updated: int
    unchanged: int
    summary_records: list[DossierRecord]


def _plan(
    records: list[DossierRecord],
    stored: dict[str, dict[str, Any]],
    *,
    zone: ZoneInfo,
    unit_id: UUID,
    import_id: UUID,
    now: datetime,
) -> _Plan:
    """Blocking (a pass over every record): call it from a worker thread. A stored dossier is
    turned back into a record only when the file changes it (for its history) or lacks it (the
    summary counts it)."""
    new_rows: list[tuple[Any, ...]] = []
    changed_rows: list[tuple[Any, ...]] = []
    history_rows: list[tuple[Any, ...]] = []
    created = updated = unchanged = 0
    for record in records:
        before = stored.get(record.dossier_code)
        if before is not None and _stored_key(before) == _record_key(record):
            unchanged += 1
            continue
        if before is None:
            created += 1
        else:
            updated += 1
            history = {
                "id": uuid4(),
                "dossier_id": before["id"],
                "unit_id": unit_id,
                "dossier_code": record.dossier_code,
                "previous": dump_json(record_json(_stored_record(before, zone))),
                "previous_import_id": before["import_id"],
                "replaced_by_import_id": import_id,
                "replaced_at": now,
            }
            history_rows.append(tuple(history[name] for name in _HISTORY_COLUMNS))
        values = {
            "id": uuid4(),  # kept only by a new row: the upsert leaves an existing id alone
            "unit_id": unit_id,
            "dossier_code": record.dossier_code,
            "import_id": import_id,
            "updated_at": now,
            **record_values(record),
        }
        for name in LIST_FIELDS:  # mostly empty: "[]" without the encoder
            if not isinstance(values[name], str):  # "null" (unknown slips) is JSON text already
                values[name] = dump_json(values[name]) if values[name] else "[]"
        (new_rows if before is None else changed_rows).append(
            tuple(values[name] for name in _DOSSIER_COLUMNS)
        )
    in_file = {record.dossier_code for record in records}
    kept = [_stored_record(row, zone) for code, row in stored.items() if code not in in_file]
    return _Plan(
        new_rows, changed_rows, history_rows, created, updated, unchanged, [*kept, *records]
    )


_IMPORT_COLUMNS: Final = [
    getattr(DossierLedgerImport, name) for name in LedgerImportOut.model_fields
]
_UPSERTED: Final = [
    column
    for column in Dossier._meta.columns
    if column._meta.name not in ("id", "unit_id", "dossier_code")
]


async def import_ledger(
    *,
    unit_id: UUID,
    path: Path,
    file_name: str,
    file_format: FileFormat,
    layout: str,
    principal: Principal,
    period_start: date | None = None,
    period_end: date | None = None,
    language: Language = "vi",
    sha256: str | None = None,
) -> LedgerImportSummaryOut:
    """Import the ledger file at ``path`` for a unit (see the module's notes). Refused with every
    problem (422, :class:`~server.dossiers.reading.LedgerInvalid`, worded in ``language`` and
    both languages beside it) and nothing written when any row is wrong. The period the file
    covers is ``period_start``–``period_end`` when given (an export of a quarter: backlog is
    judged at its end), else its first and last day received. ``sha256``: the file's, when the
    caller hashed it already (:func:`spool_to_file`)."""
    unit = await unit_for_import(unit_id, principal)
    return await import_for_unit(
        unit,
        path=path,
        file_name=file_name,
        file_format=file_format,
        layout=layout,
        actor=audit_service.actor_of(principal),
        period_start=period_start,
        period_end=period_end,
        language=language,
        sha256=sha256,
    )


async def unit_by_code(code: str) -> UnitFacts:
    """The operator's (CLI, demo) way to name a unit; unscoped."""
    row = await Unit.select(Unit.id).where(Unit.code == code).first()
    unit = await unit_service.get_unit_unscoped(row["id"]) if row else None
    if unit is None:
        raise NotFound(f"No unit with code {code!r}.")
    return unit


async def import_for_unit(
    unit: UnitFacts,
    *,
    path: Path,
    file_name: str,
    file_format: FileFormat,
    layout: str,
    actor: audit_service.Actor,
    period_start: date | None = None,
    period_end: date | None = None,
    language: Language = "vi",
    sha256: str | None = None,
) -> LedgerImportSummaryOut:
    """The import itself, for a unit whose authorization was checked (or an operator's)."""
    _check_period(period_start, period_end, language)
    if layout not in SHIPPED_LAYOUTS:  # refused before the file is read
        text = Text(
            vi=f"Không có mẫu cột «{layout}»; các mẫu hiện có: {', '.join(SHIPPED_LAYOUTS)}.",
            en=f"Unknown column layout {layout!r}: the shipped ones are "
            f"{', '.join(SHIPPED_LAYOUTS)}.",
        )
        raise refusal(InvalidInput, text, language)
    # The same file again is found by its hash before it is parsed (a pass over its bytes is
    # a small fraction of reading it).
    if sha256 is None:
        sha256 = await anyio.to_thread.run_sync(file_sha256, path)
    existing = await _import_by_hash(unit.id, sha256)
    if existing is not None:
        return await _summary_of(existing, unit)
    records, report = await anyio.to_thread.run_sync(
        partial(
            load_ledger,
            path,
            file_format=file_format,
            layout=shipped_layout(layout),
            language=language,
            known_sha256=sha256,
        )
    )
    latest_before = await _latest_import_id(unit.id)
    stored = await _stored_dossiers(unit)
    import_id, now = uuid4(), datetime.now(UTC)
    plan = await anyio.to_thread.run_sync(
        partial(
            _plan,
            records,
            stored,
            zone=ZoneInfo(unit.time_zone),
            unit_id=unit.id,
            import_id=import_id,
            now=now,
        )
    )
    del stored
    received = [record.received.day for record in records]
    period: tuple[date | None, date | None] = (period_start, period_end)
    if period_start is None and received:
        period = (min(received), max(received))
    import_row = {
        "id": import_id,
        "unit_id": unit.id,
        "layout": layout,
        "file_format": file_format,
        "sha256": report.sha256,
        "file_name": file_name[:255],
        "row_count": report.records,
        "created_count": plan.created,
        "updated_count": plan.updated,
        "unchanged_count": plan.unchanged,
        "period_start": period[0],
        "period_end": period[1],
        "imported_by_id": actor.id,
        "imported_by_label": actor.label,
        "imported_at": now,
    }
    # The summary is worked out before writing: a date the holiday calendar does not cover
    # refuses the import (422) instead of storing a ledger whose flags cannot be computed.
    try:
        flags, indicators = await anyio.to_thread.run_sync(_summarise, plan.summary_records, period)
    except CalendarNotCovered as error:
        raise in_language(error, language) from None
    try:
        async with db.write_transaction():
            # The comparison above was made outside this transaction: if another import of this
            # unit committed since, its changes would be overwritten without their history.
            await db.lock_for_append(f"dossier_ledger.{unit.id.hex}")
            if await _latest_import_id(unit.id) != latest_before:
                if await _import_by_hash(unit.id, report.sha256) is not None:
                    raise _SameFileMeanwhile
                text = Text(
                    vi=f"Trong lúc tệp này đang được đọc, một lần nhập sổ khác của đơn vị "
                    f"{unit.code} đã hoàn tất; chưa có dữ liệu nào được lưu. Đề nghị gửi lại tệp.",
                    en=f"Another ledger import for unit {unit.code} finished while this one was "
                    "being read; nothing was saved. Send the file again.",
                )
                raise refusal(Conflict, text, language)
            await db.insert_rows(
                DossierLedgerImport,
                [
                    {
                        **import_row,
                        "summary": {
                            "flags": flags.model_dump(mode="json"),
                            "indicators": indicators.model_dump(mode="json")
                            if indicators
                            else None,
                        },
                    }
                ],
            )
            await db.insert_rows_in_bulk(DossierHistory, plan.history_rows)
            # New dossiers go straight in (on PostgreSQL a plain COPY): no other import of the
            # unit committed since the comparison (checked above, under the unit's lock), so
            # none of their codes is stored. Changed ones update their row by the key.
            await db.insert_rows_in_bulk(Dossier, plan.new_rows)
            await db.insert_rows_in_bulk(
                Dossier,
                plan.changed_rows,
                conflict_target=(Dossier.unit_id, Dossier.dossier_code),
                update=_UPSERTED,
            )
            await audit_service.record(
                actor=actor,
                action="dossier_ledger.imported",
                object_type="dossier_ledger_import",
                object_id=import_id,
                summary={
                    "unit_id": str(unit.id),
                    "layout": layout,
                    "file_name": import_row["file_name"],
                    "sha256": report.sha256,
                    "rows": report.records,
                    "created": plan.created,
                    "updated": plan.updated,
                    "unchanged": plan.unchanged,
                },
            )
    except Exception as error:
        # The same file, imported concurrently by someone else: answer with their import.
        if isinstance(error, _SameFileMeanwhile) or db.is_unique_violation(error):
            existing = await _import_by_hash(unit.id, report.sha256)
            if existing is not None:
                return await _summary_of(existing, unit)
        raise
    return LedgerImportSummaryOut(
        ledger_import=LedgerImportOut.model_validate(import_row),
        already_imported=False,
        flags=flags,
        indicators=indicators,
    )


class _SameFileMeanwhile(Exception):
    """Another request imported this very file while this one was reading it."""


async def _latest_import_id(unit_id: UUID) -> UUID | None:
    latest = (await _latest_imports([unit_id])).get(unit_id)
    return _as_uuid(latest["id"]) if latest else None


async def _import_by_hash(unit_id: UUID, sha256: str) -> LedgerImportOut | None:
    row = (
        await DossierLedgerImport.select(*_IMPORT_COLUMNS)
        .where(DossierLedgerImport.unit_id == unit_id, DossierLedgerImport.sha256 == sha256)
        .first()
    )
    return LedgerImportOut.model_validate(row) if row else None


# --- what a ledger adds up to --------------------------------------------------------------------


def _context(period_end: date | None) -> RuleContext:
    return rule_context(period_end)


def _in_period(
    records: Iterable[DossierRecord], period: tuple[date | None, date | None]
) -> list[DossierRecord]:
    start, end = period
    return [
        record
        for record in records
        if (start is None or start <= record.received.day)
        and (end is None or record.received.day <= end)
    ]


def _share(share: Share) -> ShareOut:
    return ShareOut(numerator=share.numerator, denominator=share.denominator, value=share.value)


def indicators_out(indicators: PeriodIndicators) -> IndicatorsOut:
    return IndicatorsOut(
        period_start=indicators.period_start,
        period_end=indicators.period_end,
        dossiers=indicators.dossiers,
        online=_share(indicators.online),
        online_payment=_share(indicators.online_payment),
        on_time=_share(indicators.on_time),
        backlog=indicators.backlog,
        pending_at_end=indicators.pending_at_end,
        flagged=_share(indicators.flagged),
    )


def _summarise(
    records: list[DossierRecord], period: tuple[date | None, date | None]
) -> tuple[FlagCountsOut, IndicatorsOut | None]:
    """Flags of the dossiers received in the period (judged at its end) and its indicators; the
    rules run once, for both."""
    check = check_ledger(_in_period(records, period), _context(period[1]))
    flags = FlagCountsOut(
        dossiers=check.totals.dossiers,
        flagged_dossiers=check.totals.flagged_dossiers,
        by_rule=dict(check.totals.by_rule),
        by_severity=dict(check.totals.by_severity),
    )
    start, end = period
    if start is None or end is None:
        return flags, None
    indicators = period_indicators(
        records,
        period_start=start,
        period_end=end,
        context=_context(end),
        flagged_codes=check.flags.keys(),
    )
    return flags, indicators_out(indicators)


async def _summary_of(ledger_import: LedgerImportOut, unit: UnitFacts) -> LedgerImportSummaryOut:
    """An import as it was answered when it was made (its summary is kept with it, so sending
    the same file again costs a hash, not a recomputation over the unit's dossiers). A summary
    emptied by a migration (counted by rules since corrected) is worked out again from the
    stored dossiers and kept."""
    row = (
        await DossierLedgerImport.select(DossierLedgerImport.summary)
        .where(DossierLedgerImport.id == ledger_import.id)
        .first()
        .output(load_json=True)
    )
    assert row is not None
    summary = row["summary"]
    if not summary:
        records = [entry.record for entry in (await _stored_records(unit)).values()]
        period = (ledger_import.period_start, ledger_import.period_end)
        flags, indicators = await anyio.to_thread.run_sync(_summarise, records, period)
        summary = {
            "flags": flags.model_dump(mode="json"),
            "indicators": indicators.model_dump(mode="json") if indicators else None,
        }
        async with db.write_transaction():
            await DossierLedgerImport.update({DossierLedgerImport.summary: summary}).where(
                DossierLedgerImport.id == ledger_import.id
            )
    return LedgerImportSummaryOut(ledger_import=ledger_import, already_imported=True, **summary)


async def list_imports(
    *, unit_id: UUID, principal: Principal, limit: int, offset: int
) -> Page[LedgerImportOut]:
    unit = await _unit_for(unit_id, principal, READ_ROLES)
    where = DossierLedgerImport.unit_id == unit.id
    total = await DossierLedgerImport.count().where(where)
    query = (
        DossierLedgerImport.select(*_IMPORT_COLUMNS)
        .where(where)
        .order_by(DossierLedgerImport.imported_at, ascending=False)
        .order_by(DossierLedgerImport.id)
        .limit(limit)
    )
    if offset:
        query = query.offset(offset)
    return Page([LedgerImportOut(**row) for row in await query], total)


def _check_period(period_start: date | None, period_end: date | None, language: Language) -> None:
    """Both ends or neither, in order; refused (422) in ``language`` and both."""
    if (period_start is None) != (period_end is None):
        text = Text(
            vi="Hãy nhập cả ngày bắt đầu và ngày kết thúc của kỳ, hoặc để trống cả hai.",
            en="Give both period_start and period_end, or neither.",
        )
        raise refusal(InvalidInput, text, language)
    if period_start is not None and period_end is not None and period_end < period_start:
        text = Text(
            vi="Ngày kết thúc của kỳ đứng trước ngày bắt đầu.",
            en="period_end is before period_start.",
        )
        raise refusal(InvalidInput, text, language)


async def _period_or_latest(
    unit: UnitFacts,
    period_start: date | None,
    period_end: date | None,
    language: Language = "vi",
) -> tuple[date, date] | None:
    """The period asked for, or the latest import's; None when the unit has no ledger."""
    _check_period(period_start, period_end, language)
    if period_start is not None and period_end is not None:
        return period_start, period_end
    latest = (await _latest_imports([unit.id])).get(unit.id)
    if latest is None or latest["period_start"] is None:
        return None
    return latest["period_start"], latest["period_end"]


async def period_indicators_for(
    *, unit_id: UUID, principal: Principal, period_start: date | None, period_end: date | None
) -> IndicatorsOut:
    unit = await _unit_for(unit_id, principal, READ_ROLES)
    period = await _period_or_latest(unit, period_start, period_end)
    if period is None:
        raise NotFound(f"Unit {unit.code} has no dossier ledger yet: import one first.")
    records = [entry.record for entry in (await _stored_records(unit)).values()]

    def compute() -> IndicatorsOut:
        start, end = period
        return indicators_out(
            period_indicators(records, period_start=start, period_end=end, context=_context(end))
        )

    return await anyio.to_thread.run_sync(compute)


@dataclass(frozen=True)
class UnitPeriods:
    """A unit's indicators for each period asked for; ``None`` for a period the holiday calendar
    does not cover (its flags and deadlines cannot be judged), or in which nothing counts."""

    unit_id: UUID
    periods: tuple[PeriodIndicators | None, ...]


# (unit, its latest import, period start, period end) -> the unit's indicators then (None: the
# calendar does not cover the period, or nothing counts in it). A unit's dossiers change only
# through an import, which adds a new latest import, so an entry never goes stale; the rules and
# the calendar change only with the code. An optimisation only: another process (replica) just
# computes its own. Bounded, oldest out first.
_CACHE_SIZE: Final = 8192
_indicator_cache: OrderedDict[tuple[UUID, UUID, date, date], PeriodIndicators | None] = (
    OrderedDict()
)


def _counts_anything(indicators: PeriodIndicators) -> bool:
    return bool(indicators.dossiers or indicators.on_time.denominator or indicators.pending_at_end)


def _newest_import(rows: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest of a unit's imports, by the one rule every reader uses: the last imported, ties
    broken by the larger id (so two readers never disagree on which import is the latest)."""
    return max(rows, key=lambda row: (aware(row["imported_at"]), str(row["id"])), default=None)


async def _latest_imports(unit_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """Each unit's latest import (id, imported_at, period_start, period_end; units without a
    ledger are absent): one query."""
    rows = await DossierLedgerImport.select(
        DossierLedgerImport.unit_id,
        DossierLedgerImport.id,
        DossierLedgerImport.imported_at,
        DossierLedgerImport.period_start,
        DossierLedgerImport.period_end,
    ).where(DossierLedgerImport.unit_id.is_in(unit_ids))
    by_unit: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_unit[_as_uuid(row["unit_id"])].append(row)
    return {
        unit_id: newest for unit_id, group in by_unit.items() if (newest := _newest_import(group))
    }


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


async def indicators_by_unit(
    units: Sequence[UnitFacts], periods: Sequence[tuple[date, date]]
) -> list[UnitPeriods]:
    """The indicators of each of ``units`` for each period, for units whose scope the caller
    checked (a summary, a draw). Units without a ledger cost nothing. For the others not yet in
    the cache, one query reads only the dossiers that can count in one of the periods (received
    or resolved in one, or possibly pending at the end of one), then one pass per unit over
    them, in a worker thread. Units in which nothing counts in any period are left out."""
    if not units or not periods:
        return []
    latest = await _latest_imports([unit.id for unit in units])
    with_ledger = [unit for unit in units if unit.id in latest]
    keys = {
        unit.id: [(unit.id, _as_uuid(latest[unit.id]["id"]), start, end) for start, end in periods]
        for unit in with_ledger
    }
    # Read what the cache has before awaiting anything: another request may evict it meanwhile.
    cached = {
        unit.id: tuple(_indicator_cache[key] for key in keys[unit.id])
        for unit in with_ledger
        if all(key in _indicator_cache for key in keys[unit.id])
    }
    missing = [unit for unit in with_ledger if unit.id not in cached]
    computed = await _compute_indicators(missing, periods) if missing else {}
    result = []
    for unit in with_ledger:
        shown = cached[unit.id] if unit.id in cached else tuple(computed[unit.id])
        for key, value in zip(keys[unit.id], shown, strict=True):
            _indicator_cache[key] = value
            _indicator_cache.move_to_end(key)
        if any(entry is not None for entry in shown):
            result.append(UnitPeriods(unit.id, shown))
    while len(_indicator_cache) > _CACHE_SIZE:
        _indicator_cache.popitem(last=False)
    return result


async def _compute_indicators(
    units: Sequence[UnitFacts], periods: Sequence[tuple[date, date]]
) -> dict[UUID, list[PeriodIndicators | None]]:
    first = min(start for start, _ in periods)
    last = max(end for _, end in periods)
    by_id = {unit.id: unit for unit in units}
    rows = (
        await Dossier.select()
        .where(
            Dossier.unit_id.is_in(sorted(by_id, key=str)),
            ((Dossier.received_day >= first) & (Dossier.received_day <= last))
            | ((Dossier.resolved_day >= first) & (Dossier.resolved_day <= last))
            | (
                (Dossier.received_day <= last)
                & ((Dossier.resolved_day.is_null()) | (Dossier.resolved_day >= first))
                & ((Dossier.returned_day.is_null()) | (Dossier.returned_day >= first))
            ),
        )
        .output(load_json=True)
    )

    def compute() -> dict[UUID, list[PeriodIndicators | None]]:
        records: dict[UUID, list[DossierRecord]] = {unit_id: [] for unit_id in by_id}
        zones = {unit_id: ZoneInfo(unit.time_zone) for unit_id, unit in by_id.items()}
        for row in rows:
            unit_id = _as_uuid(row["unit_id"])
            records[unit_id].append(record_from_row(row, zones[unit_id]))
        result: dict[UUID, list[PeriodIndicators | None]] = {}
        for unit_id, unit_records in records.items():
            found: list[PeriodIndicators | None] = []
            for start, end in periods:
                try:
                    indicators = period_indicators(
                        unit_records, period_start=start, period_end=end, context=_context(end)
                    )
                except CalendarNotCovered:
                    found.append(None)
                else:
                    found.append(indicators if _counts_anything(indicators) else None)
            result[unit_id] = found
        return result

    return await anyio.to_thread.run_sync(compute)


async def draw_facts(
    unit_ids: list[UUID], *, period_start: date, period_end: date
) -> dict[UUID, dict[str, int]]:
    """What the draw's dossier terms use (``server.plans.draw.DossierRiskInputs``), per unit
    with dossiers that count in the period; registered with the plans in the app factory."""
    units = await unit_service.units_unscoped(unit_ids)
    facts = {}
    for entry in await indicators_by_unit(units, [(period_start, period_end)]):
        (indicators,) = entry.periods
        if indicators is None:
            continue
        facts[entry.unit_id] = {
            "dossiers": indicators.dossiers,
            "flagged": indicators.flagged.numerator,
            "resolved": indicators.on_time.denominator,
            "resolved_on_time": indicators.on_time.numerator,
            "backlog": indicators.backlog,
        }
    return facts


async def list_flagged(
    *,
    unit_id: UUID,
    principal: Principal,
    period_start: date | None,
    period_end: date | None,
    rule: str | None,
    limit: int,
    offset: int,
    language: Language = "vi",
) -> Page[FlaggedDossierOut]:
    """The unit's flagged dossiers received in the period (default: the latest import's), judged
    at the period's end, by dossier code; each flag's ``detail`` in ``language``, and in both."""
    unit = await _unit_for(unit_id, principal, READ_ROLES)
    if rule is not None and rule not in CHECKS:
        # A misspelt rule would otherwise read as "nothing flagged".
        known = ", ".join(CHECKS)
        text = Text(
            vi=f"Không có quy tắc «{rule}»; các quy tắc: {known}.",
            en=f"No rule {rule!r}; the rules are: {known}.",
        )
        raise refusal(InvalidInput, text, language)
    period = await _period_or_latest(unit, period_start, period_end, language)
    if period is None:
        return Page([], 0)
    stored = await _stored_records(unit)

    def compute() -> list[FlaggedDossierOut]:
        records = _in_period((entry.record for entry in stored.values()), period)
        check = check_ledger(records, _context(period[1]))
        out = []
        for code in sorted(check.flags):
            flags = [flag for flag in check.flags[code] if rule is None or flag.rule == rule]
            if not flags:
                continue
            record = stored[code].record
            out.append(
                FlaggedDossierOut(
                    dossier_code=code,
                    procedure_code=record.procedure_code,
                    procedure_name=record.procedure_name,
                    channel=record.channel.value if record.channel else None,
                    status=record.status.value if record.status else None,
                    received=record.received.day,
                    appointed_return=record.appointed_return.day,
                    resolved=record.resolved.day if record.resolved else None,
                    returned=record.returned.day if record.returned else None,
                    import_id=stored[code].import_id,
                    flags=[
                        FlagOut(
                            rule=flag.rule,
                            severity=flag.severity.value,
                            detail=flag.detail.in_language(language),
                            detail_vi=flag.detail.vi,
                            detail_en=flag.detail.en,
                            legal_basis=flag.legal_basis,
                        )
                        for flag in flags
                    ],
                )
            )
        return out

    flagged = await anyio.to_thread.run_sync(compute)
    return Page(flagged[offset : offset + limit], len(flagged))


async def dossier_history(*, unit_id: UUID, dossier_code: str) -> list[dict[str, Any]]:
    """The previous values of one dossier, oldest first (for tests and the CLI; unscoped)."""
    return list(
        await DossierHistory.select()
        .where(DossierHistory.unit_id == unit_id, DossierHistory.dossier_code == dossier_code)
        .order_by(DossierHistory.replaced_at)
        .output(load_json=True)
    )


# --- pre-filled checklist items (issue 14, item 4) ----------------------------------------------


# (unit, latest import, period, measures) → what the ledger says. A new import changes the key,
# so an entry is never stale; it only spares a phone's repeated bootstraps the recomputation.
_PREFILL_CACHE: Final[dict[tuple[Any, ...], dict[str, PrefillValueOut] | None]] = {}
_PREFILL_CACHE_SIZE: Final = 64


async def sample_prefill(
    *, inspection_id: UUID, measures: dict[str, str]
) -> dict[str, SampleMeasureValue]:
    """The values the inspection's recorded checks of its sealed dossier sample give the
    checklist items ``measures`` maps (item key → sample measure), from the stored checks as
    they are now; an item the checks cannot answer yet is absent. Two small reads, so it runs in
    the submit's transaction. Unscoped: the caller has checked who is asking."""
    if not measures:
        return {}
    sample = (
        await DossierSample.select(DossierSample.dossiers)
        .where(DossierSample.inspection_id == inspection_id)
        .first()
        .output(load_json=True)
    )
    if sample is None:
        return {}
    checks = (
        await DossierCheck.select(DossierCheck.dossier_code, DossierCheck.checks)
        .where(DossierCheck.inspection_id == inspection_id)
        .output(load_json=True)
    )
    values = sample_measures(
        [dossier["dossier_code"] for dossier in sample["dossiers"]],
        {row["dossier_code"]: row["checks"] or {} for row in checks},
        measures.values(),
    )
    return {item: values[measure] for item, measure in measures.items() if measure in values}


async def ledger_prefill(
    *, unit_id: UUID, visit_date: date, measures: dict[str, str]
) -> dict[str, PrefillValueOut] | None:
    """The values the unit's stored ledger gives the checklist items ``measures`` maps (item key
    → measure) for the period before ``visit_date`` (:func:`prefill.prefill_period`), each with
    its source; None when no stored dossier was received in the period. Unscoped: the caller has
    checked that the principal may see the inspection it is for."""
    if not measures:
        return None
    imports = await DossierLedgerImport.select(
        DossierLedgerImport.id,
        DossierLedgerImport.imported_at,
        DossierLedgerImport.period_end,
    ).where(DossierLedgerImport.unit_id == unit_id)
    latest = _newest_import(imports)
    if latest is None:
        return None
    covered = [row["period_end"] for row in imports if row["period_end"] is not None]
    period = prefill_period(visit_date, ledger_covers_until=max(covered) if covered else None)
    if period is None:
        return None
    period_from, period_to = period
    key = (unit_id, latest["id"], period_from, period_to, tuple(sorted(measures.items())))
    if key in _PREFILL_CACHE:
        return _PREFILL_CACHE[key]
    unit = await unit_service.get_unit_unscoped(unit_id)
    if unit is None:
        return None
    records = [entry.record for entry in (await _stored_records(unit)).values()]

    def compute() -> LedgerPrefill | None:
        try:
            return compute_measures(
                records,
                measures.values(),
                period_from=period_from,
                period_to=period_to,
                context=_context(period_to),
            )
        except CalendarNotCovered:
            # A visit beyond the holiday calendar's years: no values rather than guessed ones
            # (the import of such a ledger is refused for the same reason).
            log.warning("no ledger values for unit %s: %s", unit_id, period_to, exc_info=True)
            return None

    computed = await anyio.to_thread.run_sync(compute)
    result: dict[str, PrefillValueOut] | None = None
    if computed is not None:
        source = PrefillSourceOut(
            period_from=computed.period_from,
            period_to=computed.period_to,
            dossiers=computed.dossiers,
            as_of=latest["imported_at"],
        )
        result = {
            item_key: PrefillValueOut(**computed.values[measure].as_answer(), source=source)
            for item_key, measure in measures.items()
            if measure in computed.values
        }
    if len(_PREFILL_CACHE) >= _PREFILL_CACHE_SIZE:
        _PREFILL_CACHE.pop(next(iter(_PREFILL_CACHE)))
    _PREFILL_CACHE[key] = result
    return result

"""The exports as they were before the province-scale rework (issue 13), kept verbatim as the
reference that tests/reports/test_exports_unchanged.py compares the current module's bytes with.
Not used by the application.

CSV and XLSX exports of inspections, answers, findings and corrective actions (DESIGN §2.7).

- **Scope and secrecy.** Leaders and admins export their subtree, unit heads their unit and its
  children; inspectors cannot export. Inspections go through the inspections service's
  secrecy-aware ``visible_clauses`` and only **started** ones are exported: a file leaves the
  system, so it never carries a planned visit, whoever asks. Answers and findings are those of the
  exported inspections. Actions follow the actions API's rule (responsible or inspected unit in
  the asker's subtree), and belong to started inspections only.
- **Filters.** ``unit_id`` narrows to a subtree (404 outside the asker's); ``period_from`` /
  ``period_to`` select by the inspection's visit date for all four kinds, so one period gives the
  inspections and everything that came of them.
- **Actions and their history.** One row per action; its history (every transition, comment and
  reassignment, oldest first) is in the ``history`` column, one event per line as
  ``<UTC time> · <kind> <from> → <to> · <actor> · <comment>``, with ``history_events`` counting
  them. One row per action keeps counting and filtering in a spreadsheet honest.
- **Formula injection.** A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
  return, which some spreadsheets skip before those) gets a leading ``'``, in both formats, so a
  note such as ``=HYPERLINK(…)`` is shown, never evaluated. Numbers stay numbers.
- **Encoding.** CSV is UTF-8 with a byte-order mark (so Excel shows Vietnamese), comma-separated,
  CRLF. Times are ISO 8601 in UTC, dates ISO 8601, in both formats.
- **Never blocking.** Rows are read in keyset pages of ``PAGE_SIZE``; CSV is formatted a page at a
  time, XLSX rows are appended and the workbook saved in a worker thread (openpyxl write-only,
  to a temporary file that is then streamed in chunks and deleted).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import anyio
import anyio.to_thread
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reports.schemas import ExportFormat, ExportKind
from server.actions import services as action_service
from server.actions.tables import ActionEvent, CorrectiveAction
from server.core.errors import InvalidInput, NotFound
from server.core.scopes import Principal, Role, require_role
from server.core.timeutil import require_sane_date
from server.inspections import services as inspection_service
from server.inspections.tables import Answer, Finding, Inspection
from server.units.tables import Unit

EXPORT_ROLES = (Role.admin, Role.leader, Role.unit_head)
PAGE_SIZE = 200
CHUNK_BYTES = 64 * 1024
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767
BOM = "\ufeff"

MEDIA_TYPES = {
    ExportFormat.csv: "text/csv",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

COLUMNS: dict[ExportKind, list[str]] = {
    ExportKind.inspections: [
        "inspection_id",
        "unit_code",
        "unit_name_vi",
        "status",
        "visit_date",
        "started_at",
        "submitted_at",
        "signed_at",
        "closed_at",
        "total_score",
        "rating_band",
        "section_scores",
        "flags",
        "start_distance_m",
        "clock_skew_seconds",
        "follow_up_of",
    ],
    ExportKind.answers: [
        "inspection_id",
        "unit_code",
        "visit_date",
        "item_key",
        "value",
        "numerator",
        "denominator",
        "note",
        "evidence_count",
        "device_time",
        "received_at",
    ],
    ExportKind.findings: [
        "finding_id",
        "inspection_id",
        "unit_code",
        "unit_name_vi",
        "visit_date",
        "source",
        "section_key",
        "item_key",
        "category",
        "severity",
        "description",
        "staff_name",
        "legal_basis",
        "evidence_count",
        "created_at",
    ],
    ExportKind.actions: [
        "action_id",
        "inspection_id",
        "finding_id",
        "inspected_unit_code",
        "responsible_unit_code",
        "responsible_unit_name_vi",
        "severity",
        "category",
        "title_vi",
        "status",
        "due_at",
        "overdue",
        "verified_at",
        "verified_on_time",
        "report",
        "created_at",
        "updated_at",
        "history_events",
        "history",
    ],
}

SHEET_TITLES = {
    ExportKind.inspections: "Cuộc kiểm tra",
    ExportKind.answers: "Câu trả lời",
    ExportKind.findings: "Phát hiện",
    ExportKind.actions: "Yêu cầu khắc phục",
}

Row = list[Any]
Batches = AsyncIterator[list[Row]]


# --- Cells ---------------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """The portable value of one cell: text, number, bool or None; formulas neutralised."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return neutralise(str(value))


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - 1] + "…"
    return value


# --- Scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    chunks: AsyncIterator[bytes]


async def export(
    kind: ExportKind,
    fmt: ExportFormat,
    *,
    principal: Principal,
    unit_id: UUID | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    now: datetime | None = None,
) -> ExportFile:
    """Check who asks and for what now (so a refusal is a proper 403/404), then stream."""
    require_role(principal, *EXPORT_ROLES)
    require_sane_date(period_from, "period_from")
    require_sane_date(period_to, "period_to")
    if period_from and period_to and period_from > period_to:
        raise InvalidInput(f"period_from ({period_from}) is after period_to ({period_to}).")
    target = unit_id or principal.home_unit_id
    scope = await Unit.select(Unit.id, Unit.code, Unit.path).where(Unit.id == target).first()
    if scope is None or not principal.can_see_unit_path(scope["path"]):
        raise NotFound(f"No unit {target} in your part of the unit tree.")
    period = [Inspection.visit_date >= period_from] if period_from else []
    period += [Inspection.visit_date <= period_to] if period_to else []
    inspections = [
        *await inspection_service.visible_clauses(principal),
        Inspection.started_at.is_not_null(),
        Inspection.unit_path.like(f"{scope['path']}%"),
        *period,
    ]
    batches: Batches
    if kind == ExportKind.actions:
        batches = _action_rows(principal, scope["path"], period, now=now or datetime.now(UTC))
    else:
        batches = _inspection_based_rows(kind, inspections)
    header = COLUMNS[kind]
    chunks = (
        csv_chunks(header, batches)
        if fmt == ExportFormat.csv
        else xlsx_chunks(SHEET_TITLES[kind], header, batches)
    )
    return ExportFile(
        filename=_filename(kind, fmt, scope["code"], period_from, period_to),
        media_type=MEDIA_TYPES[fmt],
        chunks=chunks,
    )


def _filename(
    kind: ExportKind, fmt: ExportFormat, code: str, start: date | None, end: date | None
) -> str:
    parts = [kind.value, re.sub(r"[^A-Za-z0-9_-]+", "_", code) or "unit"]
    if start or end:
        parts.append(f"{start or ''}_{end or ''}")
    return "-".join(parts) + f".{fmt.value}"


# --- Rows ----------------------------------------------------------------------------------------


async def _pages(
    select: Callable[[], Any], order: Sequence[Any]
) -> AsyncIterator[list[dict[str, Any]]]:
    """Keyset pages over (order[0], id): stable while rows are added, unlike OFFSET."""
    first, key = order
    size = PAGE_SIZE
    last: dict[str, Any] | None = None
    while True:
        query = select()
        if last is not None:
            query = query.where(
                (first > last[first._meta.name])
                | ((first == last[first._meta.name]) & (key > last[key._meta.name]))
            )
        rows = await query.order_by(first, key).limit(size).output(load_json=True)
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1]


async def _unit_names(unit_ids: set[UUID], cache: dict[UUID, dict[str, Any]]) -> None:
    missing = [unit_id for unit_id in unit_ids if unit_id not in cache]
    if missing:
        for row in await Unit.select(Unit.id, Unit.code, Unit.name_vi).where(
            Unit.id.is_in(missing)
        ):
            cache[row["id"]] = row


def _section_scores(score: Any) -> str:
    sections = (score.get("sections") or []) if isinstance(score, dict) else []
    return "; ".join(
        f"{section['key']}: {'' if section.get('score') is None else section['score']}"
        for section in sections
    )


async def _inspection_based_rows(kind: ExportKind, clauses: list[Any]) -> Batches:
    units: dict[UUID, dict[str, Any]] = {}
    async for page in _pages(
        lambda: Inspection.select().where(*clauses), (Inspection.visit_date, Inspection.id)
    ):
        await _unit_names({row["unit_id"] for row in page}, units)
        if kind == ExportKind.inspections:
            yield [_inspection_row(row, units[row["unit_id"]]) for row in page]
            continue
        by_id = {row["id"]: row for row in page}
        if kind == ExportKind.answers:
            answers = (
                await Answer.select()
                .where(Answer.inspection_id.is_in(list(by_id)))
                .order_by(Answer.inspection_id, Answer.item_key)
                .output(load_json=True)
            )
            rows = [
                _answer_row(answer, by_id[answer["inspection_id"]], units) for answer in answers
            ]
        else:
            findings = (
                await Finding.select()
                .where(Finding.inspection_id.is_in(list(by_id)))
                .order_by(Finding.created_at, Finding.id)
                .output(load_json=True)
            )
            rows = [
                _finding_row(finding, by_id[finding["inspection_id"]], units)
                for finding in findings
            ]
        # Keep the order of the inspections page (visit date), then the item or creation order.
        position = {inspection_id: index for index, inspection_id in enumerate(by_id)}
        rows.sort(key=lambda row: position[UUID(str(row[0 if kind == ExportKind.answers else 1]))])
        if rows:
            yield rows


def _inspection_row(row: dict[str, Any], unit: dict[str, Any]) -> Row:
    return [
        cell(value)
        for value in (
            row["id"],
            unit["code"],
            unit["name_vi"],
            row["status"],
            row["visit_date"],
            row["started_at"],
            row["submitted_at"],
            row["signed_at"],
            row["closed_at"],
            row["total_score"],
            row["rating_band"],
            _section_scores(row["score"]),
            ";".join(row["flags"] or []),
            row["start_distance_m"],
            row["clock_skew_seconds"],
            row["follow_up_of"],
        )
    ]


def _answer_row(
    answer: dict[str, Any], inspection: dict[str, Any], units: dict[UUID, dict[str, Any]]
) -> Row:
    stored = answer["value"] if isinstance(answer["value"], dict) else {"value": answer["value"]}
    return [
        cell(value)
        for value in (
            answer["inspection_id"],
            units[inspection["unit_id"]]["code"],
            inspection["visit_date"],
            answer["item_key"],
            stored.get("value"),
            stored.get("numerator"),
            stored.get("denominator"),
            answer["note"],
            len(answer["evidence"] or []),
            answer["device_time"],
            answer["received_at"],
        )
    ]


def _finding_row(
    finding: dict[str, Any], inspection: dict[str, Any], units: dict[UUID, dict[str, Any]]
) -> Row:
    unit = units[inspection["unit_id"]]
    return [
        cell(value)
        for value in (
            finding["id"],
            finding["inspection_id"],
            unit["code"],
            unit["name_vi"],
            inspection["visit_date"],
            finding["source"],
            finding["section_key"],
            finding["item_key"],
            finding["category"],
            finding["severity"],
            finding["description"],
            finding["staff_name"],
            "; ".join(finding["legal_basis"] or []),
            len(finding["evidence"] or []),
            finding["created_at"],
        )
    ]


async def _action_rows(
    principal: Principal, scope_path: str, period: list[Any], *, now: datetime
) -> Batches:
    subtree = f"{scope_path}%"
    started = Inspection.select(Inspection.id).where(Inspection.started_at.is_not_null(), *period)
    clauses: list[Any] = [
        *await action_service.visible_clauses(principal),
        CorrectiveAction.responsible_unit_path.like(subtree)
        | CorrectiveAction.inspected_unit_path.like(subtree),
        CorrectiveAction.inspection_id.is_in(started),
    ]
    units: dict[UUID, dict[str, Any]] = {}
    async for page in _pages(
        lambda: CorrectiveAction.select().where(*clauses),
        (CorrectiveAction.created_at, CorrectiveAction.id),
    ):
        await _unit_names(
            {row["inspected_unit_id"] for row in page}
            | {row["responsible_unit_id"] for row in page},
            units,
        )
        events = (
            await ActionEvent.select()
            .where(ActionEvent.action_id.is_in([row["id"] for row in page]))
            .order_by(ActionEvent.at, ActionEvent.id)
        )
        history: dict[UUID, list[str]] = {}
        for event in events:
            history.setdefault(event["action_id"], []).append(history_line(event))
        yield [_action_row(row, units, history.get(row["id"], []), now) for row in page]


def history_line(event: dict[str, Any]) -> str:
    """``<UTC time> · <kind> <from> → <to> · <actor> · <comment>`` on one line."""
    move = ""
    if event["from_status"] or event["to_status"]:
        move = f" {event['from_status'] or '∅'} → {event['to_status'] or '∅'}"
    parts = [str(cell(event["at"])), f"{event['kind']}{move}", event["actor_label"]]
    if event["comment"]:
        parts.append(" ".join(str(event["comment"]).split()))
    return " · ".join(parts)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _action_row(
    row: dict[str, Any], units: dict[UUID, dict[str, Any]], history: list[str], now: datetime
) -> Row:
    due = _aware(row["due_at"])
    verified_at = _aware(row["verified_at"])
    verified = row["status"] == "verified"
    assert due is not None
    return [
        cell(value)
        for value in (
            row["id"],
            row["inspection_id"],
            row["finding_id"],
            units[row["inspected_unit_id"]]["code"],
            units[row["responsible_unit_id"]]["code"],
            units[row["responsible_unit_id"]]["name_vi"],
            row["severity"],
            row["category"],
            row["title_vi"],
            row["status"],
            due,
            not verified and due < now,
            verified_at,
            (verified_at <= due) if verified and verified_at else None,
            row["report"],
            row["created_at"],
            row["updated_at"],
            len(history),
            "\n".join(history),
        )
    ]


# --- Formats -------------------------------------------------------------------------------------


async def csv_chunks(header: list[str], batches: Batches) -> AsyncIterator[bytes]:
    """UTF-8 with BOM, one chunk per page of rows (formatting a page is a few milliseconds)."""
    yield (BOM + _csv_lines([header])).encode("utf-8")
    async for batch in batches:
        yield _csv_lines(batch).encode("utf-8")


def _csv_lines(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([csv_text(value) for value in row] for row in rows)
    return buffer.getvalue()


async def xlsx_chunks(title: str, header: list[str], batches: Batches) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(header)
    async for batch in batches:
        await anyio.to_thread.run_sync(_append_rows, sheet, batch)
    handle, name = tempfile.mkstemp(prefix="spotcheck-export-", suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(workbook.save, name)
        async with await anyio.open_file(name, "rb") as source:
            while chunk := await source.read(CHUNK_BYTES):
                yield chunk
    finally:
        await anyio.to_thread.run_sync(_remove, name)


def _append_rows(sheet: Any, rows: list[Row]) -> None:
    for row in rows:
        sheet.append([xlsx_value(value) for value in row])


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass

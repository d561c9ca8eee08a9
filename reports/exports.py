"""CSV and XLSX exports of inspections, answers, findings and corrective actions (DESIGN §2.7).

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
- **Never blocking, bounded memory.** Rows are read ``PAGE_SIZE`` inspections or actions at a
  time (answers and findings for a page of inspections), in (visit date, id) or (created, id)
  order. On PostgreSQL one query per export is read through a server-side cursor
  (``db.stream_select``: one sort, one snapshot, a pool connection held until the last row);
  elsewhere in keyset pages. CSV is formatted a page at a time, XLSX rows are appended and the
  workbook saved in a worker thread (openpyxl write-only, to a temporary file that is then
  streamed in chunks and deleted).
- **Province scale** (issue 13). Where the time went (``python -m bench exports`` on a generated
  quarter of the province, bench/results/exports.json; 5 to 21 times the ``COPY`` of the same
  rows): 200-row keyset pages, each sorting every row in scope again (no index holds an export's
  order: quadratic, 144 s for the whole province's actions); whole rows read with ``load_json``
  (an inspection's score is ~10 kB of JSON, read for every page of answers and findings too);
  per-cell Python. Now: on PostgreSQL one cursor per export, answers and findings joined to their
  inspections in that one query, evidence counted in SQL; only the columns a row needs, the
  score's sections extracted in SQL, JSON parsed only where a cell needs it, an inspection's
  repeated cells formatted once, the subtree as ``db.path_prefix_range`` (index-friendly under
  generic plans). The province's CSVs within 1.1 to 3.9 times the ``COPY`` there (a district's
  small ones up to 5.6 times: tens of ms, a request's fixed cost), in bounded memory. Bytes are
  those of before (tests/reports/test_exports_unchanged.py and tests/bench/test_scale.py compare
  them with the old code, kept in tests/reports/exports_before.py).
"""

from __future__ import annotations

import csv
import functools
import io
import json
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
from piccolo.query.methods.select import SelectRaw
from piccolo.querystring import QueryString

from reports.schemas import ExportFormat, ExportKind
from server.actions import services as action_service
from server.actions.tables import ActionEvent, CorrectiveAction
from server.core import db
from server.core.errors import InvalidInput, NotFound
from server.core.scopes import Principal, Role, require_role
from server.core.timeutil import require_sane_date
from server.inspections import services as inspection_service
from server.inspections.tables import Answer, Finding, Inspection
from server.units.tables import Unit

EXPORT_ROLES = (Role.admin, Role.leader, Role.unit_head)
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
    kind = type(value)
    if kind is str:  # the common case first (an export formats millions of cells)
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if kind is datetime and value.tzinfo is UTC:  # as both engines read timestamptz
        return value.isoformat()
    if kind is UUID:
        return str(value)
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return neutralise(str(value))


def _csv_value(value: Any) -> Any:
    """A cell for the csv module: booleans as `true`/`false`; None (written "") and numbers
    (written as `str` gives them) left to the module."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value


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
        # The range answers from the (unit_path, visit_date) index under a generic plan too; the
        # LIKE (the same rows) stays as the scope's own words.
        db.path_prefix_range(Inspection.unit_path, scope["path"]),
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

# Inspections or actions per keyset page. Each page re-runs its query (a sort of every row in
# scope, as no index holds the export's order), so pages are large enough that a province's export
# is tens of queries, not hundreds, and small enough that a page's rows stay a few MB. Answers and
# findings are read for a page of inspections at a time, of a tenth (~52 answers per inspection)
# and half (~5 findings) of that.
PAGE_SIZE = 1000


def _page_size(kind: ExportKind) -> int:
    share = {ExportKind.answers: 10, ExportKind.findings: 2}.get(kind, 1)
    return max(1, PAGE_SIZE // share)


# Only the columns a row needs, JSON left as text and parsed here only where a cell needs it:
# an inspection's ``score`` is ~10 kB of items, of which the sections (~0.5 kB) are read out in
# SQL (``json_extract`` keeps the numbers' text, as PostgreSQL's ``->`` does).
INSPECTION_COLUMNS = (
    Inspection.id,
    Inspection.unit_id,
    Inspection.status,
    Inspection.visit_date,
    Inspection.started_at,
    Inspection.submitted_at,
    Inspection.signed_at,
    Inspection.closed_at,
    Inspection.total_score,
    Inspection.rating_band,
    Inspection.flags,
    Inspection.start_distance_m,
    Inspection.clock_skew_seconds,
    Inspection.follow_up_of,
)
ANSWER_COLUMNS = (
    Answer.inspection_id,
    Answer.item_key,
    Answer.value,
    Answer.note,
    Answer.evidence,
    Answer.device_time,
    Answer.received_at,
)
FINDING_COLUMNS = (
    Finding.id,
    Finding.inspection_id,
    Finding.source,
    Finding.section_key,
    Finding.item_key,
    Finding.category,
    Finding.severity,
    Finding.description,
    Finding.staff_name,
    Finding.legal_basis,
    Finding.evidence,
    Finding.created_at,
)
ACTION_COLUMNS = (
    CorrectiveAction.id,
    CorrectiveAction.inspection_id,
    CorrectiveAction.finding_id,
    CorrectiveAction.inspected_unit_id,
    CorrectiveAction.responsible_unit_id,
    CorrectiveAction.severity,
    CorrectiveAction.category,
    CorrectiveAction.title_vi,
    CorrectiveAction.status,
    CorrectiveAction.due_at,
    CorrectiveAction.verified_at,
    CorrectiveAction.report,
    CorrectiveAction.created_at,
    CorrectiveAction.updated_at,
)
EVENT_COLUMNS = (
    ActionEvent.action_id,
    ActionEvent.at,
    ActionEvent.kind,
    ActionEvent.from_status,
    ActionEvent.to_status,
    ActionEvent.actor_label,
    ActionEvent.comment,
)


def _sections_column() -> SelectRaw:
    if db.is_postgres():
        return SelectRaw('"inspection"."score" -> \'sections\' AS "sections"')
    return SelectRaw('json_extract("inspection"."score", \'$.sections\') AS "sections"')


def _json(value: Any) -> Any:
    """A JSON column's value as read without ``load_json``: text (both engines) or None. Short
    texts repeat (an answer's ``{"value": "yes"}``, a finding's legal basis), so they are parsed
    once; what comes back is only read, never changed."""
    if isinstance(value, str):
        return _short_json(value) if len(value) <= SHORT_JSON else json.loads(value)
    return json.loads(value) if isinstance(value, bytes) else value


SHORT_JSON = 200


@functools.lru_cache(maxsize=4096)
def _short_json(text: str) -> Any:
    return json.loads(text)


def _count(evidence: Any) -> int:
    """The number of evidence files: counted by the query already, or a JSON list to count."""
    if type(evidence) is int:
        return evidence
    return len(_json(evidence) or [])


async def _pages(
    select: Callable[[], Any], order: Sequence[Any], size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows in (order[0], id) order, `size` at a time. On PostgreSQL one query read through a
    cursor (`db.stream_select`): no index holds an export's order, so each keyset page would sort
    every row in scope again (the actions of a province: 100 sorts of 100,000 rows). Elsewhere
    keyset pages over (order[0], id), stable while rows are added, unlike OFFSET."""
    first, key = order
    if db.can_stream_select():
        async for rows in db.stream_select(select().order_by(first, key), size):
            yield rows
        return
    last: dict[str, Any] | None = None
    while True:
        query = select()
        if last is not None:
            query = query.where(
                (first > last[first._meta.name])
                | ((first == last[first._meta.name]) & (key > last[key._meta.name]))
            )
        rows = await query.order_by(first, key).limit(size).output(load_json=False)
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


def _section_scores(sections: Any) -> str:
    sections = sections if isinstance(sections, list) else []
    return "; ".join(
        f"{section['key']}: {'' if section.get('score') is None else section['score']}"
        for section in sections
    )


async def _inspection_based_rows(kind: ExportKind, clauses: list[Any]) -> Batches:
    if kind != ExportKind.inspections and db.can_stream_select():
        async for rows in _joined_rows(kind, clauses):
            yield rows
        return
    units: dict[UUID, dict[str, Any]] = {}
    if kind == ExportKind.inspections:
        columns: tuple[Any, ...] = (*INSPECTION_COLUMNS, _sections_column())
    else:
        columns = (Inspection.id, Inspection.unit_id, Inspection.visit_date)
    async for page in _pages(
        lambda: Inspection.select(*columns).where(*clauses),
        (Inspection.visit_date, Inspection.id),
        _page_size(kind),
    ):
        await _unit_names({row["unit_id"] for row in page}, units)
        if kind == ExportKind.inspections:
            yield [_inspection_row(row, units[row["unit_id"]]) for row in page]
            continue
        by_id = {row["id"]: _inspection_cells(row, units[row["unit_id"]]) for row in page}
        # In the order of the inspections page (visit date), then the item or creation order.
        grouped: dict[Any, list[Row]] = {inspection_id: [] for inspection_id in by_id}
        if kind == ExportKind.answers:
            for answer in (
                await Answer.select(*ANSWER_COLUMNS)
                .where(Answer.inspection_id.is_in(list(by_id)))
                .order_by(Answer.inspection_id, Answer.item_key)
                .output(load_json=False)
            ):
                inspection_id = answer["inspection_id"]
                grouped[inspection_id].append(_answer_row(answer, by_id[inspection_id]))
        else:
            for finding in (
                await Finding.select(*FINDING_COLUMNS)
                .where(Finding.inspection_id.is_in(list(by_id)))
                .order_by(Finding.created_at, Finding.id)
                .output(load_json=False)
            ):
                inspection_id = finding["inspection_id"]
                grouped[inspection_id].append(_finding_row(finding, by_id[inspection_id]))
        rows = [row for group in grouped.values() for row in group]
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
            _section_scores(_json(row["sections"])),
            ";".join(_json(row["flags"]) or []),
            row["start_distance_m"],
            row["clock_skew_seconds"],
            row["follow_up_of"],
        )
    ]


async def _joined_rows(kind: ExportKind, clauses: list[Any]) -> Batches:
    """Answers or findings on PostgreSQL: one query joining them to the exported inspections, in
    the inspections' (visit date, id) order and then the item or creation order, read through a
    cursor; the same rows in the same order as the pages of inspections above."""
    table, columns, order = (
        (Answer, ANSWER_COLUMNS, 'c."item_key"')
        if kind == ExportKind.answers
        else (Finding, FINDING_COLUMNS, 'c."created_at", c."id"')
    )
    inspections = Inspection.select(Inspection.id, Inspection.unit_id, Inspection.visit_date)
    # The evidence lists are only counted: PostgreSQL counts them, sparing a JSON parse a row.
    names = ", ".join(
        'coalesce(json_array_length(c."evidence"::json), 0) AS "evidence"'
        if column._meta.name == "evidence"
        else f'c."{column._meta.db_column_name}"'
        for column in columns
    )
    query = QueryString(
        f'SELECT {names}, i."unit_id" AS "inspection_unit_id", '  # noqa: S608 (names are ours)
        f'i."visit_date" AS "inspection_visit_date" FROM "{table._meta.tablename}" c '
        f'JOIN ({{}}) i ON i."id" = c."inspection_id" '
        f'ORDER BY i."visit_date", i."id", {order}',
        inspections.where(*clauses).querystrings[0],
    )
    units: dict[UUID, dict[str, Any]] = {}
    current: tuple[Any, list[Any]] | None = None
    async for page in db.stream_select(query, PAGE_SIZE):
        await _unit_names({row["inspection_unit_id"] for row in page}, units)
        rows = []
        for row in page:
            if current is None or current[0] != row["inspection_id"]:
                inspection = {
                    "id": row["inspection_id"],
                    "visit_date": row["inspection_visit_date"],
                }
                unit = units[row["inspection_unit_id"]]
                current = (row["inspection_id"], _inspection_cells(inspection, unit))
            if kind == ExportKind.answers:
                rows.append(_answer_row(row, current[1]))
            else:
                rows.append(_finding_row(row, current[1]))
        yield rows


def _inspection_cells(inspection: dict[str, Any], unit: dict[str, Any]) -> list[Any]:
    """The cells an inspection's answers and findings repeat, formatted once per inspection:
    id, unit code, unit name, visit date."""
    return [
        cell(inspection["id"]),
        cell(unit["code"]),
        cell(unit["name_vi"]),
        cell(inspection["visit_date"]),
    ]


def _answer_row(answer: dict[str, Any], inspection: list[Any]) -> Row:
    value = _json(answer["value"])
    stored = value if isinstance(value, dict) else {"value": value}
    inspection_id, unit_code, _unit_name, visit_date = inspection
    return [
        inspection_id,
        unit_code,
        visit_date,
        *[
            cell(value)
            for value in (
                answer["item_key"],
                stored.get("value"),
                stored.get("numerator"),
                stored.get("denominator"),
                answer["note"],
                _count(answer["evidence"]),
                answer["device_time"],
                answer["received_at"],
            )
        ],
    ]


def _finding_row(finding: dict[str, Any], inspection: list[Any]) -> Row:
    return [
        cell(finding["id"]),
        *inspection,
        *[
            cell(value)
            for value in (
                finding["source"],
                finding["section_key"],
                finding["item_key"],
                finding["category"],
                finding["severity"],
                finding["description"],
                finding["staff_name"],
                "; ".join(_json(finding["legal_basis"]) or []),
                _count(finding["evidence"]),
                finding["created_at"],
            )
        ],
    ]


async def _action_rows(
    principal: Principal, scope_path: str, period: list[Any], *, now: datetime
) -> Batches:
    subtree = f"{scope_path}%"
    started = Inspection.select(Inspection.id).where(Inspection.started_at.is_not_null(), *period)
    clauses: list[Any] = [
        *await action_service.visible_clauses(principal),
        # The subtree as ranges of paths, which the path indexes answer under a generic plan too;
        # the LIKEs (the same rows) stay as the rule's own words.
        db.path_prefix_range(CorrectiveAction.responsible_unit_path, scope_path)
        | db.path_prefix_range(CorrectiveAction.inspected_unit_path, scope_path),
        CorrectiveAction.responsible_unit_path.like(subtree)
        | CorrectiveAction.inspected_unit_path.like(subtree),
        CorrectiveAction.inspection_id.is_in(started),
    ]
    units: dict[UUID, dict[str, Any]] = {}
    async for page in _pages(
        lambda: CorrectiveAction.select(*ACTION_COLUMNS).where(*clauses),
        (CorrectiveAction.created_at, CorrectiveAction.id),
        _page_size(ExportKind.actions),
    ):
        await _unit_names(
            {row["inspected_unit_id"] for row in page}
            | {row["responsible_unit_id"] for row in page},
            units,
        )
        events = await _events_of([row["id"] for row in page])
        history: dict[UUID, list[str]] = {}
        for event in events:
            history.setdefault(event["action_id"], []).append(history_line(event))
        yield [_action_row(row, units, history.get(row["id"], []), now) for row in page]


async def _events_of(action_ids: list[UUID]) -> Sequence[Any]:
    """The history of a page of actions, oldest first. On PostgreSQL the ids go as one array
    parameter and the records are read as asyncpg gives them (a province's actions have ~5 events
    each: building a dict per event and a placeholder per id cost more than the query)."""
    if db.can_stream_select():
        names = ", ".join(f'"{column._meta.db_column_name}"' for column in EVENT_COLUMNS)
        return await db.fetch_records(
            QueryString(
                f'SELECT {names} FROM "{ActionEvent._meta.tablename}" '  # noqa: S608 (ours)
                'WHERE "action_id" = ANY({}::uuid[]) ORDER BY "at", "id"',
                action_ids,
            )
        )
    return list(
        await ActionEvent.select(*EVENT_COLUMNS)
        .where(ActionEvent.action_id.is_in(action_ids))
        .order_by(ActionEvent.at, ActionEvent.id)
    )


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
    writer.writerows([_csv_value(value) for value in row] for row in rows)
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

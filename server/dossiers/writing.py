"""Records back into a layout's columns: the inverse of the readers, for the demo's generated
ledgers and for the round-trip tests (``parse(write(record)) == record`` on the layout's fields).

CSV cells are text in the forms the parsers read (``dd/MM/yyyy HH:mm``, ``1.500.000``, ``Có``);
XLSX cells are typed as a spreadsheet would hold them (dates as date cells, counts and fees as
numbers), so both reading paths are exercised. Each column is written under its first header.
A moment whose time is exactly 00:00:00 reads back as a date alone from an XLSX date cell (a
date-only cell is midnight); ledgers have no such times at a one-stop counter.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook

from server.dossiers.mapping import ColumnSpec, Layout
from server.dossiers.model import Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.parsing import STATUS_WORDS

CHANNEL_TEXT = {
    Channel.in_person: "Trực tiếp",
    Channel.online: "Trực tuyến",
    Channel.post: "Bưu chính",
}


def moment_text(moment: Moment) -> str:
    if moment.at is None:
        return moment.day.strftime("%d/%m/%Y")
    return moment.at.strftime("%d/%m/%Y %H:%M:%S" if moment.at.second else "%d/%m/%Y %H:%M")


def money_text(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _text_cell(column: ColumnSpec, value: Any) -> str:
    if value is None or value == ():
        return ""
    name = column.parser_name
    if name == "moment":
        return moment_text(value)
    if name == "moments":
        return "; ".join(moment_text(moment) for moment in value)
    if name == "money":
        return money_text(value)
    if name == "flag":
        return "Có" if value else "Không"
    if name == "flag_nonempty":
        return "Có" if value else ""
    if name == "flag_positive_count":
        return "1" if value else "0"
    if name == "channel":
        return CHANNEL_TEXT[Channel(value)]
    if name == "status":
        return STATUS_WORDS[DossierStatus(value)][0].capitalize()
    return str(value)


def _typed_cell(column: ColumnSpec, value: Any) -> Any:
    if value is None or value == ():
        return None
    name = column.parser_name
    if name == "moment":
        if value.at is None:
            return datetime.combine(value.day, datetime.min.time())
        return value.at.replace(tzinfo=None)
    if name in ("count", "money"):
        return value
    text = _text_cell(column, value)
    return text or None


def header_row(layout: Layout) -> list[str]:
    return [column.headers[0] for column in layout.columns]


def text_row(layout: Layout, record: DossierRecord) -> list[str]:
    return [_text_cell(column, getattr(record, column.field)) for column in layout.columns]


def typed_row(layout: Layout, record: DossierRecord) -> list[Any]:
    return [_typed_cell(column, getattr(record, column.field)) for column in layout.columns]


def write_csv(
    layout: Layout,
    records: Iterable[DossierRecord],
    stream: IO[str],
    *,
    delimiter: str = ",",
    title_lines: Iterable[str] = (),
) -> None:
    """CSV text (open ``stream`` with ``newline=""``); ``title_lines`` go above the header as a
    hand-kept book has them."""
    writer = csv.writer(stream, delimiter=delimiter)
    for line in title_lines:
        writer.writerow([line])
    writer.writerow(header_row(layout))
    for record in records:
        writer.writerow(text_row(layout, record))


def write_xlsx(
    layout: Layout,
    records: Iterable[DossierRecord],
    path: Path | IO[bytes],
    *,
    title_lines: Iterable[str] = (),
) -> None:
    """An XLSX workbook written row by row (openpyxl's write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Hồ sơ")
    for line in title_lines:
        sheet.append([line])
    sheet.append(header_row(layout))
    for record in records:
        sheet.append(typed_row(layout, record))
    workbook.save(path)

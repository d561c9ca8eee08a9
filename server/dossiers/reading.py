"""Streaming ledger readers: a CSV or XLSX file, row by row, into canonical records, with every
problem found on the way collected with its line and column.

**All or nothing, decided by the caller.** ``read_ledger`` returns a :class:`LedgerReading`:
iterating it yields the valid records as the file streams past (so a caller can write them into
an open transaction or a staging table without holding the file), and once the iteration ends,
``reading.report`` says whether the file as a whole is acceptable. The caller commits only when
``report.ok``; ``report.raise_if_invalid()`` raises :class:`LedgerInvalid` (problem+json 422)
with the first ``max_issues`` problems and their total. ``load_ledger`` does both for callers
that want a list.

**What is an import error and what is a finding.** A cell that cannot be read, a required field
left blank, a dossier code seen twice in one file and a missing header are errors: the file is
wrong and is refused. A dossier resolved before it was received reads fine: that is evidence,
and the rules (``server.dossiers.rules``) flag it.

**Memory.** CSV rows are read one at a time through the ``csv`` module on a decoding stream.
XLSX goes through python-calamine (Rust): it parses the sheet into its own cell grid first
(calamine cannot read lazily: about 140 MB for 100,000 rows of 18 columns, a 7.5 MB file; a file
object is also read into memory whole, so pass a path for large files) and hands rows to Python
one at a time; openpyxl's read-only mode streams truly but was about 10 times slower here, a
minute and more for 100,000 rows. Beyond that, what is kept is the set of dossier codes seen (for duplicates) and at
most ``max_issues`` issues.

**The file's hash.** ``report.sha256`` is the SHA-256 of the file's bytes, computed as the CSV is
read (every byte, including any left after the last row) and in one chunked pass before an XLSX is
opened (a zip is read from its end, so it cannot be hashed on the way), unless the caller hands in
the hash it already has (``known_sha256``, as the import does). It is the import's idempotency key.

**CSV encodings.** UTF-8 with or without a byte-order mark, and Windows-1258, the code page
Vietnamese Windows saves "CSV (Comma delimited)" in: the first 64 KB decide (valid UTF-8, else
cp1258; a later byte that is not UTF-8 is reported with its line). Cells are normalised to NFC.
The delimiter is the one of ``,`` ``;`` and tab that the first lines use most (Vietnamese Excel
writes ``;`` since its decimal separator is the comma).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal

from python_calamine import CalamineWorkbook

from server.core.errors import InvalidInput
from server.dossiers.mapping import (
    BoundColumn,
    HeaderMatch,
    Layout,
    column_letter,
    match_header,
    missing_headers_message,
)
from server.dossiers.model import FIELDS, DossierRecord
from server.dossiers.parsing import CellError
from server.dossiers.texts import Language, Text

FileFormat = Literal["csv", "xlsx"]
DEFAULT_MAX_ISSUES: Final = 200
_SNIFF_BYTES: Final = 64 * 1024
_HASH_CHUNK: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem, located as a person would look for it in the spreadsheet."""

    line: int | None  # 1-based row (CSV: physical line where the row starts)
    column: str | None  # the column's letter, A, B, …, AA
    column_number: int | None  # 1-based
    header: str | None  # the column's header as the file wrote it
    field: str | None  # the canonical field
    value: str | None  # the cell as read, shortened
    text: Text  # what was wrong and what is accepted, in Vietnamese and English

    @property
    def message(self) -> str:
        """The English message (logs, the command line)."""
        return self.text.en

    def as_dict(self, language: Language = "en") -> dict[str, Any]:
        """As the 422 lists it: ``message`` in ``language``, and both languages."""
        return {
            "line": self.line,
            "column": self.column,
            "column_number": self.column_number,
            "header": self.header,
            "field": self.field,
            "value": self.value,
            "message": self.text.in_language(language),
            "message_vi": self.text.vi,
            "message_en": self.text.en,
        }

    def located(self) -> Text:
        """The message after where to look: "line 3, column B (Ngày tiếp nhận): …"."""
        where_vi = f"dòng {self.line}" if self.line else "cả tệp"
        where_en = f"line {self.line}" if self.line else "file"
        if self.column:
            where_vi += f", cột {self.column} ({self.header})"
            where_en += f", column {self.column} ({self.header})"
        return Text(f"{where_vi}: {self.text.vi}", f"{where_en}: {self.text.en}")

    def __str__(self) -> str:
        return self.located().en


@dataclass
class LedgerReport:
    layout: str
    file_format: FileFormat
    max_issues: int
    sha256: str = ""
    encoding: str | None = None
    header_line: int | None = None
    rows: int = 0  # data rows read (blank rows are skipped and not counted)
    records: int = 0  # rows that became records
    issue_count: int = 0
    issues: list[Issue] = field(default_factory=list)
    ignored_headers: tuple[str, ...] = ()
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.finished and self.issue_count == 0

    def add(self, issue: Issue) -> None:
        self.issue_count += 1
        if len(self.issues) < self.max_issues:
            self.issues.append(issue)

    def raise_if_invalid(self, language: Language = "en") -> None:
        if not self.finished:
            raise RuntimeError("the ledger was not read to its end")
        if self.issue_count:
            raise LedgerInvalid(self, language)


def refusal_text(report: LedgerReport, *, with_first: bool = True) -> Text:
    """What a refused ledger's problem says, in both languages (with its first issue)."""
    count, shown = report.issue_count, len(report.issues)
    text = Text(
        vi=f"Chưa nhập được sổ hồ sơ: tệp có {count} lỗi"
        + (f" (dưới đây liệt kê {shown} lỗi đầu tiên)" if shown < count else "")
        + ". Chưa có dữ liệu nào được lưu; đề nghị sửa tệp rồi gửi lại.",
        en=f"The ledger was not imported: {count} problem(s)"
        + (f" (the first {shown} are listed)" if shown < count else "")
        + ". Nothing was saved; correct the file and send it again.",
    )
    if with_first and report.issues:
        first = report.issues[0].located()
        text = text + Text(f" Lỗi đầu tiên: {first.vi}.", f" First: {first.en}.")
    return text


class LedgerInvalid(InvalidInput):
    """A ledger refused as a whole, with its issues (the first ``max_issues``) and their total;
    ``detail`` and each issue's ``message`` in ``language``, and both languages beside them."""

    def __init__(self, report: LedgerReport, language: Language = "en") -> None:
        text = refusal_text(report)
        super().__init__(
            text.in_language(language),
            extra={
                "detail_vi": text.vi,
                "detail_en": text.en,
                "issue_count": report.issue_count,
                "issues": [issue.as_dict(language) for issue in report.issues],
            },
        )
        self.report = report
        self.language = language


class LedgerReading:
    """Iterate for the valid records; ``report`` is complete once the iteration ends."""

    def __init__(
        self, rows: Iterator[tuple[int, Sequence[Any]]], report: LedgerReport, layout: Layout
    ):
        self._rows = rows
        self.report = report
        self._layout = layout

    def __iter__(self) -> Iterator[DossierRecord]:
        report = self.report
        try:
            header = self._find_header()
            if header is not None:
                yield from self._records(header)
            else:
                for _ in self._rows:  # to the end, so the file's hash is still computed
                    pass
        except _FileProblem as problem:
            report.add(Issue(problem.line, None, None, None, None, None, problem.text))
        report.finished = True

    def _find_header(self) -> HeaderMatch | None:
        layout, report = self._layout, self.report
        seen = 0
        for line, row in self._rows:
            seen += 1
            header = match_header(layout, row)
            if header is not None:
                report.header_line = line
                report.ignored_headers = header.ignored_headers
                for problem in header.problems:
                    report.add(Issue(line, None, None, None, None, None, problem))
                return header
            if seen >= layout.header_search_rows:
                break
        report.add(Issue(None, None, None, None, None, None, missing_headers_message(layout, seen)))
        return None

    def _records(self, header: HeaderMatch) -> Iterator[DossierRecord]:
        report = self.report
        columns = header.columns
        seen_codes: dict[str, int] = {}
        # The per-cell loop is the import's hot path: what it needs of each column is unpacked
        # once here.
        plan = [
            (
                column,
                column.index,
                column.spec.field,
                _memoised(column.spec.parser)
                if column.spec.field in _REPEATING
                else column.spec.parser,
                # A blank cell of a list column (apology slips, new dates) is an empty list: the
                # ledger has the column and shows nothing in it. Without the column it stays
                # unknown (the record's default).
                ()
                if column.spec.if_blank is None and column.spec.field in _LISTS
                else column.spec.if_blank,
                column.spec.field in _REQUIRED,
            )
            for column in columns
        ]
        for line, row in self._rows:
            width = len(row)
            if not any(cell is not None and cell != "" for cell in row):
                continue  # blank rows between blocks are common in hand-kept books
            report.rows += 1
            values: dict[str, Any] = {}
            failed = False
            for column, index, name, parser, if_blank, required in plan:
                cell = row[index] if index < width else None
                if cell is None or cell == "" or (type(cell) is str and cell.isspace()):
                    if if_blank is not None:
                        values[name] = if_blank
                    elif required:
                        report.add(_cell_issue(line, column, None, _BLANK))
                        failed = True
                    continue
                try:
                    values[name] = parser(cell)
                except CellError as error:
                    report.add(_cell_issue(line, column, cell, error.text))
                    failed = True
            if failed:
                continue
            code = values["dossier_code"]
            first = seen_codes.get(code)
            if first is not None:
                column = next(c for c in columns if c.spec.field == "dossier_code")
                repeated = Text(
                    vi=f"mã hồ sơ trùng với mã ở dòng {first}",
                    en=f"dossier code already on line {first}",
                )
                report.add(_cell_issue(line, column, code, repeated))
                continue
            seen_codes[code] = line
            report.records += 1
            yield DossierRecord(**values)


_BLANK: Final = Text(vi="ô bắt buộc nhưng để trống", en="is required and is blank")
_REQUIRED: Final = frozenset(name for name, spec in FIELDS.items() if spec.required)
_LISTS: Final = frozenset(name for name, spec in FIELDS.items() if spec.kind == "moments")
# Fields whose cells repeat down a ledger (a few procedures, channels, statuses, fees, dates):
# each distinct cell is parsed once. Not the dossier code, which never repeats.
_REPEATING: Final = frozenset(FIELDS) - {"dossier_code"}
_MEMO_SIZE: Final = 20_000
_MEMO_TYPES: Final = frozenset({str, int, float, datetime, date})


def _memoised(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    memo: dict[Any, Any] = {}

    def parse(cell: Any) -> Any:
        # Booleans are never remembered: True == 1 as a dict key, and a boolean cell must not
        # read as a count of one.
        if type(cell) not in _MEMO_TYPES:
            return parser(cell)
        try:
            return memo[cell]
        except KeyError:
            pass
        value = parser(cell)  # a CellError is not remembered: each bad cell is reported
        if len(memo) < _MEMO_SIZE:
            memo[cell] = value
        return value

    return parse


def _cell_issue(line: int, column: BoundColumn, cell: Any, message: Text) -> Issue:
    shown = None if cell is None else str(cell)[:80]
    return Issue(
        line,
        column.letter,
        column.index + 1,
        column.header,
        column.spec.field,
        shown,
        message,
    )


class _FileProblem(Exception):
    def __init__(self, text: Text, line: int | None = None) -> None:
        super().__init__(text.en)
        self.text = text
        self.line = line


# --- opening files ------------------------------------------------------------------------------


def read_ledger(
    source: Path | IO[bytes],
    *,
    file_format: FileFormat,
    layout: Layout,
    max_issues: int = DEFAULT_MAX_ISSUES,
    known_sha256: str | None = None,
) -> LedgerReading:
    """A streaming reading of ``source`` (a path or a binary file object; XLSX needs it
    seekable). Nothing is read until the reading is iterated. ``known_sha256``: the file's
    hash, when the caller already worked it out from these very bytes (it spares an XLSX its
    pass over the file; a CSV is hashed as it is read anyway)."""
    report = LedgerReport(layout=layout.key, file_format=file_format, max_issues=max_issues)
    rows: Iterator[tuple[int, Sequence[Any]]]
    if file_format == "csv":
        rows = _csv_rows(source, report)
    elif file_format == "xlsx":
        rows = _xlsx_rows(source, report, layout.sheet, known_sha256)
    else:
        raise InvalidInput(f"Unknown ledger format {file_format!r}: send csv or xlsx.")
    return LedgerReading(rows, report, layout)


def load_ledger(
    source: Path | IO[bytes],
    *,
    file_format: FileFormat,
    layout: Layout,
    max_issues: int = DEFAULT_MAX_ISSUES,
    language: Language = "en",
    known_sha256: str | None = None,
) -> tuple[list[DossierRecord], LedgerReport]:
    """Every record of a valid ledger, or :class:`LedgerInvalid` worded in ``language``."""
    reading = read_ledger(
        source,
        file_format=file_format,
        layout=layout,
        max_issues=max_issues,
        known_sha256=known_sha256,
    )
    records = list(reading)
    reading.report.raise_if_invalid(language)
    return records, reading.report


class _HashingReader(io.RawIOBase):
    """A binary stream that hashes every byte read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._raw.read(len(buffer))
        size = len(chunk)
        buffer[:size] = chunk
        self.digest.update(chunk)
        return size

    def drain(self) -> None:
        while chunk := self._raw.read(_HASH_CHUNK):
            self.digest.update(chunk)


def _opened(source: Path | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, Path):
        return source.open("rb"), True
    return source, False


def _csv_rows(source: Path | IO[bytes], report: LedgerReport) -> Iterator[tuple[int, list[str]]]:
    raw, owned = _opened(source)
    try:
        hashing = _HashingReader(raw)
        buffered = io.BufferedReader(hashing, buffer_size=_SNIFF_BYTES)
        sample = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
        encoding = _sniff_encoding(sample)
        report.encoding = encoding
        text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
        delimiter = _sniff_delimiter(sample.decode(encoding, errors="replace"))
        reader = csv.reader(text, delimiter=delimiter)
        line = 1
        try:
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        except UnicodeDecodeError:
            problem = Text(
                vi="từ dòng này tệp không còn là văn bản UTF-8 hợp lệ; đề nghị lưu lại tệp "
                "dưới dạng CSV UTF-8",
                en="the file is not valid UTF-8 from here on; save it as CSV UTF-8",
            )
            raise _FileProblem(problem, line) from None
        except csv.Error as error:
            problem = Text(
                vi=f"không đọc được tệp CSV: {error}", en=f"the CSV cannot be read: {error}"
            )
            raise _FileProblem(problem, line) from None
        finally:
            # Every byte into the hash, whether the rows ended, failed or were left unread.
            hashing.drain()
            report.sha256 = hashing.digest.hexdigest()
    finally:
        if owned:
            raw.close()


def _sniff_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1258"
    return "utf-8"


def _sniff_delimiter(sample: str) -> str:
    lines = sample.splitlines()[:20]
    counts = {delimiter: sum(line.count(delimiter) for line in lines) for delimiter in ",;\t"}
    return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def _xlsx_rows(
    source: Path | IO[bytes], report: LedgerReport, sheet: str | None, known_sha256: str | None
) -> Iterator[tuple[int, Sequence[Any]]]:
    raw, owned = _opened(source)
    try:
        if known_sha256 is None:
            digest = hashlib.sha256()
            raw.seek(0)
            while chunk := raw.read(_HASH_CHUNK):
                digest.update(chunk)
            known_sha256 = digest.hexdigest()
        report.sha256 = known_sha256
        raw.seek(0)
        try:
            workbook = (
                CalamineWorkbook.from_path(str(source))
                if isinstance(source, Path)
                else CalamineWorkbook.from_filelike(raw)
            )
        except Exception as error:  # calamine raises zip, XML and its own errors
            raise _FileProblem(
                Text(
                    vi=f"tệp không phải là bảng tính XLSX đọc được ({error})",
                    en=f"the file is not a readable XLSX workbook ({error})",
                )
            ) from None
        try:
            if sheet is not None and sheet not in workbook.sheet_names:
                names = ", ".join(workbook.sheet_names)
                raise _FileProblem(
                    Text(
                        vi=f"bảng tính không có trang «{sheet}»; các trang hiện có: {names}",
                        en=f"the workbook has no sheet {sheet!r}; it has {names}",
                    )
                )
            worksheet = (
                workbook.get_sheet_by_name(sheet) if sheet else workbook.get_sheet_by_index(0)
            )
        except _FileProblem:
            raise
        except Exception as error:
            raise _FileProblem(
                Text(
                    vi=f"không đọc được trang tính ({error})",
                    en=f"the workbook's sheet cannot be read ({error})",
                )
            ) from None
        # The sheet's cells start at its first non-empty row and column; shifting by that start
        # gives the row numbers and column letters a person sees in the spreadsheet.
        first_row, first_column = worksheet.start or (0, 0)
        padding = [None] * first_column
        for index, row in enumerate(worksheet.iter_rows()):
            yield first_row + index + 1, padding + row if padding else row
    finally:
        if owned:
            raw.close()


__all__ = [
    "DEFAULT_MAX_ISSUES",
    "FileFormat",
    "Issue",
    "LedgerInvalid",
    "LedgerReading",
    "LedgerReport",
    "column_letter",
    "load_ledger",
    "read_ledger",
]

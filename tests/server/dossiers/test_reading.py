"""Streaming readers: every problem with its line and column, all at once, the whole file
refused; encodings, delimiters and title lines of real files; the file's hash; and records that
survive a round trip through CSV and XLSX."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from server.dossiers.mapping import shipped_layout
from server.dossiers.model import PROVINCE_TIME_ZONE, Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.reading import LedgerInvalid, load_ledger, read_ledger
from server.dossiers.writing import write_csv, write_xlsx
from tests.server.dossiers.builders import dossier

EXPORT = shipped_layout("one-stop-export")
FORM_06 = shipped_layout("form-06")


def csv_bytes(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def read_csv(text: str, layout=EXPORT, **options):
    reading = read_ledger(csv_bytes(text), file_format="csv", layout=layout, **options)
    records = list(reading)
    return records, reading.report


BAD_LEDGER = (
    "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Phí,Hình thức nộp,Ghi chú\n"
    "PD-1,05/03/2024 08:30,07/03/2024,0,Trực tuyến,\n"
    "PD-2,31/02/2024,07/03/2024,1.5,Trực tuyến,\n"
    "PD-3,05/03/2024,,0,Fax,\n"
    '"PD-4","05/03/2024","07/03/2024","50.000","Trực tiếp","a note\non two lines"\n'
    "PD-1,06/03/2024,08/03/2024,0,Trực tiếp,\n"
)


def test_every_error_is_reported_with_its_line_and_column_at_once() -> None:
    records, report = read_csv(BAD_LEDGER)

    found = [(issue.line, issue.column, issue.header, issue.field) for issue in report.issues]
    assert found == [
        (3, "B", "Ngày tiếp nhận", "received"),
        (3, "D", "Phí", "fee"),
        (4, "C", "Ngày hẹn trả", "appointed_return"),
        (4, "E", "Hình thức nộp", "channel"),
        (7, "A", "Mã hồ sơ", "dossier_code"),  # line 7: the quoted note took lines 5 and 6
    ]
    assert report.issue_count == 5
    messages = [issue.message for issue in report.issues]
    assert "'31/02/2024' is not a real date" in messages[0]
    assert "is required and is blank" in messages[2]
    assert "dossier code already on line 2" in messages[4]
    assert report.issues[0].column_number == 2
    assert report.issues[1].value == "1.5"
    assert [record.dossier_code for record in records] == ["PD-1", "PD-4"]
    assert not report.ok
    assert report.rows == 5 and report.records == 2


def test_a_refused_ledger_is_a_422_problem_listing_its_issues() -> None:
    with pytest.raises(LedgerInvalid) as caught:
        load_ledger(csv_bytes(BAD_LEDGER), file_format="csv", layout=EXPORT)
    error = caught.value
    assert error.status_code == 422
    assert "5 problem(s)" in error.detail and "Nothing was saved" in error.detail
    assert "line 3, column B (Ngày tiếp nhận)" in error.detail
    assert error.extra["issue_count"] == 5
    assert error.extra["issues"][0] == {
        "line": 3,
        "column": "B",
        "column_number": 2,
        "header": "Ngày tiếp nhận",
        "field": "received",
        "value": "31/02/2024",
        "message": "'31/02/2024' is not a real date (day first: dd/MM/yyyy)",
        "message_vi": "«31/02/2024» không phải là ngày có thật (ghi ngày trước tháng: dd/MM/yyyy)",
        "message_en": "'31/02/2024' is not a real date (day first: dd/MM/yyyy)",
    }


def test_a_refused_ledger_speaks_the_language_asked_for_and_carries_both() -> None:
    with pytest.raises(LedgerInvalid) as caught:
        load_ledger(csv_bytes(BAD_LEDGER), file_format="csv", layout=EXPORT, language="vi")
    error = caught.value
    assert error.detail.startswith("Chưa nhập được sổ hồ sơ: tệp có 5 lỗi.")
    assert "dòng 3, cột B (Ngày tiếp nhận): «31/02/2024» không phải là ngày có thật" in error.detail
    assert error.extra["detail_vi"] == error.detail
    assert error.extra["detail_en"].startswith("The ledger was not imported: 5 problem(s).")
    first = error.extra["issues"][0]
    assert first["message"] == first["message_vi"] != first["message_en"]
    fee, blank, channel, repeated = (issue["message_vi"] for issue in error.extra["issues"][1:])
    assert fee == (
        "«1.5» không phải là số tiền bằng đồng; hãy ghi số tiền nguyên, ví dụ 1.500.000 hoặc "
        "1500000"
    )
    assert blank == "ô bắt buộc nhưng để trống"
    assert channel.startswith(
        "«Fax» không phải là hình thức nộp hồ sơ được nhận biết; các từ được nhận gồm: "
    )
    assert repeated == "mã hồ sơ trùng với mã ở dòng 2"


def test_a_file_without_the_layouts_header_is_refused_in_both_languages() -> None:
    _, report = read_csv("Số thứ tự,Ghi chú\n1,a\n")
    (issue,) = report.issues
    assert issue.text.vi.startswith(
        "Trong 2 dòng đầu của tệp không có dòng tên cột nào có đủ các cột bắt buộc của mẫu «"
    )
    assert issue.text.en.startswith("No header row in the first 2 row(s)")


def test_the_issue_list_is_bounded_but_the_total_is_counted() -> None:
    lines = ["Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả"]
    lines += [f"PD-{n},not a date,07/03/2024" for n in range(500)]
    records, report = read_csv("\n".join(lines), max_issues=20)
    assert records == []
    assert len(report.issues) == 20 and report.issue_count == 500
    with pytest.raises(LedgerInvalid, match="500 problem\\(s\\) \\(the first 20 are listed\\)"):
        report.raise_if_invalid()


def test_a_missing_header_names_what_the_layout_needs() -> None:
    records, report = read_csv("Số TT,Tên\n1,Nguyễn Văn A\n")
    assert records == [] and report.issue_count == 1
    message = report.issues[0].message
    assert "No header row in the first 2 row(s)" in message
    assert "received (Ngày tiếp nhận / Thời gian tiếp nhận / Ngày nhận hồ sơ)" in message
    assert report.sha256  # the hash is computed even for a refused file


def test_two_columns_for_one_field_are_an_error() -> None:
    _, report = read_csv(
        "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Số hồ sơ\nA,05/03/2024,07/03/2024,B\n"
    )
    assert report.issue_count == 1
    assert "columns A ('Mã hồ sơ') and D ('Số hồ sơ') both name the field 'dossier_code'" in (
        report.issues[0].message
    )


def test_form_06_with_title_lines_blank_rows_and_semicolons() -> None:
    text = (
        "UBND XÃ PHƯƠNG ĐỊNH;;;;\n"
        "SỔ THEO DÕI HỒ SƠ;;;;\n"
        ";;;;\n"
        "STT;Mã hồ sơ;Tên thủ tục hành chính;Nhận hồ sơ;Hẹn trả kết quả;"
        "Nhận kết quả từ cơ quan giải quyết;Trả kết quả cho cá nhân, tổ chức\n"
        "1;PD-1;Đăng ký khai sinh;05/03/2024;07/03/2024;06/03/2024;07/03/2024\n"
        ";;;;;;\n"
        "2;PD-2;Đăng ký khai tử;05/03/2024;06/03/2024;;\n"
    )
    records, report = read_csv(text, layout=FORM_06)
    assert report.ok and report.header_line == 4 and report.rows == 2
    assert report.ignored_headers == ("STT",)
    assert records[0].resolved == Moment(date(2024, 3, 6))
    assert records[0].channel is None  # form 06 has no channel: unknown, not in person
    assert records[1].returned is None


def test_utf8_with_bom_and_cp1258_read_the_same_and_are_hashed_as_sent() -> None:
    text = "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Tên thủ tục\nPD-1,05/03/2024,07/03/2024,Đăng ký kết hôn\n"
    with_bom = text.encode("utf-8-sig")
    cp1258 = to_cp1258(text)
    assert cp1258 != text.encode("utf-8")

    for data, encoding in ((with_bom, "utf-8-sig"), (cp1258, "cp1258")):
        reading = read_ledger(io.BytesIO(data), file_format="csv", layout=EXPORT)
        (record,) = list(reading)
        assert reading.report.ok and reading.report.encoding == encoding
        assert record.procedure_name == "Đăng ký kết hôn"
        assert unicodedata.is_normalized("NFC", record.procedure_name)
        assert reading.report.sha256 == hashlib.sha256(data).hexdigest()


def test_bytes_that_turn_out_not_to_be_utf8_late_in_the_file_are_reported() -> None:
    head = "Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả\n" + "PD-{},05/03/2024,07/03/2024\n" * 1
    rows = "".join(f"PD-{n},05/03/2024,07/03/2024\n" for n in range(1, 5000))
    data = (head.format(0) + rows).encode("utf-8") + b"PD-x,H\xe0 N\xf4i,07/03/2024\n"  # cp1258
    reading = read_ledger(io.BytesIO(data), file_format="csv", layout=EXPORT)
    list(reading)
    assert reading.report.issue_count == 1
    assert "not valid UTF-8" in reading.report.issues[0].message
    assert reading.report.sha256 == hashlib.sha256(data).hexdigest()


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def to_cp1258(text: str) -> bytes:
    """What Vietnamese Windows writes: cp1258 has some precomposed letters and combining tones."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def test_xlsx_with_date_cells_serials_text_and_a_gap_reports_real_row_numbers() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "DANH SÁCH HỒ SƠ"
    sheet.append([])
    sheet.append(["Mã hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Phí"])
    sheet.append(["PD-1", datetime(2024, 3, 5, 8, 30), 45358, 50000])
    sheet.append(["PD-2", "05/03/2024 09:15", "07/03/2024", "50.000"])
    sheet.append([])
    sheet.append(["PD-3", "05/03/2024", "ngày mai", 50000])
    data = io.BytesIO()
    workbook.save(data)

    reading = read_ledger(io.BytesIO(data.getvalue()), file_format="xlsx", layout=EXPORT)
    records = list(reading)

    report = reading.report
    assert report.header_line == 3
    assert [(issue.line, issue.column, issue.field) for issue in report.issues] == [
        (7, "C", "appointed_return")
    ]
    first, second = records
    assert first.received.at == datetime(2024, 3, 5, 8, 30, tzinfo=PROVINCE_TIME_ZONE)
    assert first.appointed_return == Moment(date(2024, 3, 7))
    assert first.fee == second.fee == 50_000
    assert report.sha256 == hashlib.sha256(data.getvalue()).hexdigest()


def test_a_file_that_is_not_a_workbook_is_one_clear_issue() -> None:
    reading = read_ledger(io.BytesIO(b"not a zip"), file_format="xlsx", layout=EXPORT)
    assert list(reading) == []
    assert reading.report.issue_count == 1
    assert "not a readable XLSX workbook" in reading.report.issues[0].message


# --- round trips --------------------------------------------------------------------------------

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
clock = (
    st.times()
    .map(lambda value: value.replace(microsecond=0))
    .filter(lambda value: value.hour or value.minute or value.second)
)


@st.composite
def moments(draw) -> Moment:
    day = draw(days)
    if draw(st.booleans()):
        return Moment(day)
    stamp = datetime.combine(day, draw(clock), tzinfo=PROVINCE_TIME_ZONE)
    return Moment(day, stamp)


text = (
    st.text(
        alphabet=st.characters(categories=("L", "N"), include_characters=" .-/"),
        min_size=1,
        max_size=30,
    )
    .map(lambda value: " ".join(unicodedata.normalize("NFC", value).split()))
    .filter(bool)
)


@st.composite
def records(draw) -> DossierRecord:
    """Records as the generic export can carry them: its blank-means-zero columns never None."""
    maybe = lambda strategy: st.none() | strategy  # noqa: E731
    return DossierRecord(
        dossier_code=draw(text),
        received=draw(moments()),
        appointed_return=draw(moments()),
        procedure_code=draw(maybe(text)),
        procedure_name=draw(maybe(text)),
        channel=draw(maybe(st.sampled_from(Channel))),
        handling_agency=draw(maybe(text)),
        transferred=draw(maybe(moments())),
        resolved=draw(maybe(moments())),
        returned=draw(maybe(moments())),
        component_files=draw(st.integers(0, 999)),
        result_file_present=draw(st.booleans()),
        fee=draw(maybe(st.integers(0, 10**9))),
        paid_online=draw(maybe(st.booleans())),
        apology_slips=tuple(draw(st.lists(moments(), max_size=3))),
        new_appointed_returns=tuple(draw(st.lists(moments(), max_size=3))),
        supplement_requests=draw(st.integers(0, 9)),
        status=draw(maybe(st.sampled_from(DossierStatus))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=5, unique_by=lambda record: record.dossier_code))
def test_records_survive_a_csv_round_trip(written: list[DossierRecord]) -> None:
    for delimiter in (",", ";"):
        stream = io.StringIO()
        write_csv(EXPORT, written, stream, delimiter=delimiter)
        records, report = load_ledger(
            csv_bytes(stream.getvalue()), file_format="csv", layout=EXPORT
        )
        assert report.ok
        assert records == written


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=5, unique_by=lambda record: record.dossier_code))
def test_records_survive_an_xlsx_round_trip(written: list[DossierRecord]) -> None:
    data = io.BytesIO()
    write_xlsx(EXPORT, written, data)
    records, report = load_ledger(io.BytesIO(data.getvalue()), file_format="xlsx", layout=EXPORT)
    assert report.ok
    assert records == written


def test_an_xlsx_whose_hash_is_known_is_not_read_again_to_hash_it() -> None:
    data = io.BytesIO()
    write_xlsx(EXPORT, [dossier()], data)
    known = hashlib.sha256(data.getvalue()).hexdigest()
    hashed_here = CountingFile(data.getvalue())
    records, report = load_ledger(hashed_here, file_format="xlsx", layout=EXPORT)
    taken = CountingFile(data.getvalue())
    same_records, same_report = load_ledger(
        taken, file_format="xlsx", layout=EXPORT, known_sha256=known
    )
    assert report.sha256 == same_report.sha256 == known
    assert same_records == records
    # The reader's own pass reads every byte once more than the workbook needs.
    assert hashed_here.bytes_read - taken.bytes_read >= len(data.getvalue())


def test_form_06_round_trips_the_fields_it_has() -> None:
    record = dossier()
    stream = io.StringIO()
    write_csv(FORM_06, [record], stream)
    (read,) = load_ledger(csv_bytes(stream.getvalue()), file_format="csv", layout=FORM_06)[0]
    assert read.dossier_code == record.dossier_code
    assert read.received == record.received and read.returned == record.returned
    assert read.channel is None and read.fee is None
    # No slip column: unknown, not "no slip".
    assert read.apology_slips is None and read.new_appointed_returns == ()


def test_a_blank_slip_cell_of_the_export_is_no_slip() -> None:
    record = dossier(apology_slips=())
    stream = io.StringIO()
    write_csv(EXPORT, [record], stream)
    (read,) = load_ledger(csv_bytes(stream.getvalue()), file_format="csv", layout=EXPORT)[0]
    assert read.apology_slips == ()


class CountingFile(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_csv_records_come_while_the_file_is_still_being_read() -> None:
    lines = ["Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả"]
    lines += [f"PD-{n},05/03/2024 08:30,07/03/2024" for n in range(50_000)]
    data = "\n".join(lines).encode()
    source = CountingFile(data)

    records = iter(read_ledger(source, file_format="csv", layout=EXPORT))
    first = next(records)

    assert first.dossier_code == "PD-0"
    assert source.bytes_read < len(data) / 5  # a buffer's worth, not the file
    assert sum(1 for _ in records) == 49_999
    assert source.bytes_read == len(data)


def test_a_boolean_cell_after_a_count_of_one_is_still_refused_as_a_count() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả", "Số thành phần hồ sơ"])
    sheet.append(["PD-1", "05/03/2024", "07/03/2024", 1])
    sheet.append(["PD-2", "05/03/2024", "07/03/2024", True])
    data = io.BytesIO()
    workbook.save(data)
    reading = read_ledger(io.BytesIO(data.getvalue()), file_format="xlsx", layout=EXPORT)
    assert [record.component_files for record in reading] == [1]
    assert [(issue.line, issue.column) for issue in reading.report.issues] == [(3, "D")]

"""Cell parsers: the Vietnamese forms ledgers use, and a clear refusal of anything else."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from server.dossiers.model import PROVINCE_TIME_ZONE, Channel, DossierStatus, Moment
from server.dossiers.parsing import (
    CellError,
    channel_parser,
    flag_parser,
    fold,
    parse_count,
    parse_moment,
    parse_moments,
    parse_money,
    status_parser,
)

ZONE = PROVINCE_TIME_ZONE


def local(*parts: int) -> Moment:
    stamp = datetime(*parts, tzinfo=ZONE)
    return Moment(stamp.date(), stamp)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("05/03/2024", Moment(date(2024, 3, 5))),
        ("5/3/2024", Moment(date(2024, 3, 5))),
        ("05-03-2024", Moment(date(2024, 3, 5))),
        ("05.03.2024", Moment(date(2024, 3, 5))),
        ("  05/03/2024 ", Moment(date(2024, 3, 5))),
        ("05/03/2024 08:30", local(2024, 3, 5, 8, 30)),
        ("05/03/2024 8h30", local(2024, 3, 5, 8, 30)),
        ("05/03/2024 08:30:15", local(2024, 3, 5, 8, 30, 15)),
        ("08:30 05/03/2024", local(2024, 3, 5, 8, 30)),
        ("08:30 ngày 05/03/2024", local(2024, 3, 5, 8, 30)),
        ("2024-03-05", Moment(date(2024, 3, 5))),
        ("2024-03-05 08:30", local(2024, 3, 5, 8, 30)),
        ("45356", Moment(date(2024, 3, 5))),
        (45356, Moment(date(2024, 3, 5))),
        (45356.5, local(2024, 3, 5, 12, 0)),
        (datetime(2024, 3, 5), Moment(date(2024, 3, 5))),
        (datetime(2024, 3, 5, 8, 30), local(2024, 3, 5, 8, 30)),
        (date(2024, 3, 5), Moment(date(2024, 3, 5))),
    ],
)
def test_moments_in_the_forms_ledgers_use(cell, expected: Moment) -> None:
    assert parse_moment(cell, ZONE) == expected


def test_dates_are_day_first() -> None:
    assert parse_moment("03/05/2024", ZONE).day == date(2024, 5, 3)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("31/02/2024", "not a real date"),
        ("05/03/2024 25:10", "impossible time"),
        ("05/03/24", "not a date"),
        ("hôm qua", "not a date"),
        ("05/03/1999", "outside the years"),
        (1200, "Excel serial"),
        (True, "not a date"),
    ],
)
def test_a_cell_that_is_not_a_moment_says_why(cell, message: str) -> None:
    with pytest.raises(CellError, match=message):
        parse_moment(cell, ZONE)


def test_several_moments_in_one_cell_keep_their_order() -> None:
    assert parse_moments("06/03/2024; 11/03/2024 |12/03/2024", ZONE) == (
        Moment(date(2024, 3, 6)),
        Moment(date(2024, 3, 11)),
        Moment(date(2024, 3, 12)),
    )


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("1500000", 1_500_000),
        ("1.500.000 đ", 1_500_000),
        ("50.000 VNĐ", 50_000),
        ("8.000đồng", 8_000),
        ("1.500.000,00", 1_500_000),
        ("Miễn phí", 0),
        ("Không", 0),
        (75000, 75_000),
        (75000.0, 75_000),
    ],
)
def test_money_in_vnd(cell, amount: int) -> None:
    assert parse_money(cell) == amount


@pytest.mark.parametrize("cell", ["1,5", "12.34", "abc", -5, 1.5, "1.50.000"])
def test_money_that_is_not_whole_vnd_is_refused(cell) -> None:
    with pytest.raises(CellError):
        parse_money(cell)


@pytest.mark.parametrize(("cell", "count"), [("3", 3), (3, 3), (3.0, 3), ("3 tệp", 3), ("0", 0)])
def test_counts(cell, count: int) -> None:
    assert parse_count(cell) == count


@pytest.mark.parametrize("cell", ["ba", "-1", -1, 2.5, "3.5"])
def test_a_count_must_be_a_whole_number(cell) -> None:
    with pytest.raises(CellError):
        parse_count(cell)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("Có", True),
        ("CÓ", True),
        ("co", True),
        ("x", True),
        ("X", True),
        ("Đã có", True),
        ("Không", False),
        ("khong", False),
        ("Chưa", False),
        ("0", False),
        (True, True),
        (0, False),
    ],
)
def test_flags(cell, value: bool) -> None:
    assert flag_parser()(cell) is value


def test_a_layout_adds_flag_words() -> None:
    parse = flag_parser({"True": ["Đã đính kèm"]})
    assert parse("đã đính kèm") is True
    with pytest.raises(CellError, match="yes/no"):
        flag_parser()("Đã đính kèm")


@pytest.mark.parametrize(
    ("cell", "channel"),
    [
        ("Trực tiếp", Channel.in_person),
        ("Nộp trực tiếp tại Bộ phận Một cửa", Channel.in_person),
        ("TRỰC TUYẾN", Channel.online),
        ("Trực tuyến toàn trình", Channel.online),
        ("Dịch vụ công trực tuyến một phần", Channel.online),
        ("Bưu chính công ích", Channel.post),
        ("online", Channel.online),
    ],
)
def test_channel_words(cell: str, channel: Channel) -> None:
    assert channel_parser()(cell) is channel


def test_an_unknown_channel_lists_known_words() -> None:
    with pytest.raises(CellError, match="not a known channel; known words include"):
        channel_parser()("Fax")


def test_status_words() -> None:
    parse = status_parser()
    assert parse("Đã trả kết quả") is DossierStatus.returned
    assert parse("đang giải quyết") is DossierStatus.processing
    assert parse("Chờ bổ sung") is DossierStatus.awaiting_supplement


def test_fold_ignores_case_diacritics_punctuation_and_spacing() -> None:
    assert fold("  NGÀY nhận   hồ sơ: ") == fold("Ngay nhan ho so") == "ngay nhan ho so"
    assert fold("Đơn vị") == "don vi"
    # A decomposed (NFD, as macOS and cp1258 write it) header folds the same way.
    import unicodedata

    assert fold(unicodedata.normalize("NFD", "Ngày hẹn trả")) == "ngay hen tra"

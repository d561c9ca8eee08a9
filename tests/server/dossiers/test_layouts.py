"""Column layouts: the shipped ones load, and a wrong layout file is refused with every problem
named at once."""

from __future__ import annotations

import pytest

from server.dossiers.mapping import (
    SHIPPED_LAYOUTS,
    LayoutInvalid,
    match_header,
    parse_layout,
    shipped_layout,
)
from server.dossiers.model import FIELDS


@pytest.mark.parametrize("key", SHIPPED_LAYOUTS)
def test_the_shipped_layouts_load_and_map_the_required_fields(key: str) -> None:
    layout = shipped_layout(key)
    mapped = {column.field for column in layout.columns}
    assert {field for field, spec in FIELDS.items() if spec.required} <= mapped


def test_the_generic_export_maps_every_canonical_field() -> None:
    assert {column.field for column in shipped_layout("one-stop-export").columns} == set(FIELDS)


def problems(text: str) -> list[str]:
    with pytest.raises(LayoutInvalid) as caught:
        parse_layout(text)
    return caught.value.problems


HEAD = "layout: test\ntitle: Test\ncolumns:\n"
REQUIRED = (
    "  dossier_code: {headers: [Mã hồ sơ]}\n"
    "  received: {headers: [Ngày nhận]}\n"
    "  appointed_return: {headers: [Ngày hẹn trả]}\n"
)


def test_an_unknown_field_is_named_with_a_suggestion_and_the_known_fields() -> None:
    found = problems(HEAD + REQUIRED + "  recieved_at: {headers: [Nhận lúc]}\n")
    assert len(found) == 1
    assert "columns.recieved_at: unknown field (did you mean 'received'?)" in found[0]
    assert "dossier_code, received, appointed_return" in found[0]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        HEAD
        + "  dossier_code: {headers: [Mã hồ sơ]}\n"
        + "  fee: {headers: [Phí], parser: moment}\n"
        + "  channel: {headers: [Kênh], words: {fax: [Fax]}}\n"
        + "  procedure_name: {headers: [MÃ HỒ SƠ]}\n"
        + "  paid_online: {headers: [TT], if_blank: Có lẽ}\n"
        + "  status: {header: [Trạng thái]}\n"
        + "  extra_key: 1\n"
    )
    text = "\n".join(found)
    assert "columns.fee.parser: 'moment' cannot read a money field; use one of money" in text
    assert "columns.channel.words: 'fax' is not a meaning of a channel field" in text
    assert "the required field 'received' is not mapped" in text
    assert "the required field 'appointed_return' is not mapped" in text
    assert "'MÃ HỒ SƠ' already names 'dossier_code'" in text
    assert "columns.paid_online.if_blank" in text
    assert "columns.status.header: unknown key" in text
    assert "columns.status.headers: Field required" in text
    assert "columns.extra_key: unknown field" in text


def test_unknown_top_level_keys_and_bad_yaml_are_refused() -> None:
    assert problems(HEAD + REQUIRED + "sheets: 2\n") == ["sheets: unknown key"]
    assert "not valid YAML" in problems("layout: [unclosed\n")[0]


def test_a_layout_refusal_is_a_422_problem_with_its_list() -> None:
    with pytest.raises(LayoutInvalid) as caught:
        parse_layout(HEAD + "  dossier_code: {headers: [Mã]}\n")
    assert caught.value.status_code == 422
    assert caught.value.extra["problems"] == caught.value.problems


def test_headers_match_tolerantly_and_unknown_ones_are_ignored() -> None:
    layout = shipped_layout("form-06")
    row = ["STT", "MÃ HỒ SƠ", "Tên  thủ tục", "ngay nhan ho so:", "Hẹn trả kết quả", "Ghi chú"]
    match = match_header(layout, row)
    assert match is not None
    assert {column.spec.field: column.letter for column in match.columns} == {
        "dossier_code": "B",
        "procedure_name": "C",
        "received": "D",
        "appointed_return": "E",
    }
    assert match.ignored_headers == ("STT", "Ghi chú")


def test_a_title_row_is_not_a_header() -> None:
    assert match_header(shipped_layout("form-06"), ["SỔ THEO DÕI HỒ SƠ", None, None]) is None

"""The charts' and long tables' text is placed by spacing measured with the bundled fonts' own
advance widths (reports/tabular.py): a value starts, ends or is centred where its column or
chart position says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from reports import charts, tabular


def advance_em(text: str, font_file: str) -> float:
    font = TTFont(Path(tabular.__file__).parent / "fonts" / font_file)
    cmap, advances, units = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    return sum(advances[cmap[ord(character)]][0] for character in text) / units


def test_widths_are_the_bundled_fonts_advances() -> None:
    for bold, name in ((False, "LiberationSerif-Regular.ttf"), (True, "LiberationSerif-Bold.ttf")):
        for shown in ("71,3", "–", "100", "0", "98,76", "Xã Phước Hưng", "−3,2 điểm"):
            assert abs(tabular.width_em(shown, bold=bold) - advance_em(shown, name)) < 1e-9


def test_a_fill_is_never_wider_than_its_gap_and_short_by_less_than_a_hair_space() -> None:
    for gap in (0.0, 0.05, 0.3, 1.0, 2.37, 7.9, 13.013):
        filled = sum(tabular.width_em(character) for character in tabular.fill(gap))
        assert gap - tabular.HAIR_SPACE[1] < filled <= gap + 1e-9, gap
    assert tabular.fill(-1.0) == ""


def test_values_start_end_or_centre_at_their_x() -> None:
    line = tabular.place([(10.0, "Xã A", "right"), (12.0, "98,76", "left"), (20.0, "B", "center")])
    first, second = line.split("Xã A")
    assert abs(tabular.width_em(first) + tabular.width_em("Xã A") - 10.0) < 0.09
    between, rest = second.split("98,76")
    assert abs(10.0 + tabular.width_em(between) - 12.0) < 0.09
    before_b = rest.removesuffix("B")
    start_b = 12.0 + tabular.width_em("98,76") + tabular.width_em(before_b)
    assert abs(start_b + tabular.width_em("B") / 2 - 20.0) < 0.09


FILL = {space for space, _ in tabular.SPACES} | {tabular.HAIR_SPACE[0]}


def placed(line: str, *, bold: bool = False) -> list[tuple[float, str]]:
    """Each value of a placed line with where it starts, in em (values are separated by fill)."""
    values: list[tuple[float, str]] = []
    cursor, start, text = 0.0, 0.0, ""
    for character in line:
        if character in FILL:
            if text:
                values.append((start, text))
                text = ""
        elif not text:
            start = cursor
            text = character
        else:
            text += character
        cursor += tabular.width_em(character, bold=bold)
    if text:
        values.append((start, text))
    return values


def test_an_overlapping_value_follows_the_one_before_it_after_a_space() -> None:
    long = " ".join(["Xã rất dài"] * 3)
    (first_at, first), (second_at, second) = placed(
        tabular.place([(10.0, long, "left"), (11.0, "42", "left")])
    )
    assert (first_at, first, second) == (
        pytest.approx(10.0, abs=0.09),
        long,
        "42",
    )
    end_of_first = first_at + tabular.width_em(long)
    assert end_of_first + 0.25 - 0.09 <= second_at <= end_of_first + 0.25 + 1e-9


def test_a_value_wider_than_its_column_is_cut_and_the_next_stays_under_its_header() -> None:
    layout = tabular.Layout(
        (
            tabular.Column("Xếp loại", 60, "left"),
            tabular.Column("Kỳ trước", 40, "center"),
            tabular.Column("Thay đổi", 40, "center"),
        ),
        font_size_pt=9.5,
    )
    line = layout.line(["Hoàn thành xuất sắc nhiệm vụ", "12", "+3"])
    (band_at, band), (previous_at, previous), (change_at, change) = placed(line)
    room = (60 - 2 * tabular.CELL_PADDING_PT - tabular.RIGHT_MARGIN_PT) / 9.5
    assert band.endswith("…") and "Hoàn thành".startswith(band[:4])
    assert band_at == 0.0 and tabular.width_em(band) <= room
    for at, value, (left, right) in (
        (previous_at, previous, layout._bounds(1)),
        (change_at, change, layout._bounds(2)),
    ):
        centre = at + tabular.width_em(value) / 2
        assert abs(centre - (left + right) / 2) < 0.09, value
    assert tabular.fit("Khá", 10.0) == "Khá" and tabular.fit("Khá", 0.1) == ""


def test_long_section_keys_keep_each_heatmap_header_over_its_own_column() -> None:
    keys = [f"section_{number}" for number in range(12)]
    chart = charts.section_heatmap(
        row_labels=["Xã A"],
        column_labels=keys,
        cells=[[charts.HeatCell(50.0, "#1e7b3a") for _ in keys]],
    )
    header = chart.texts[0]
    label_width = 200
    cell_width = min(70.0, (charts.WIDTH - label_width) / len(keys))
    shown = placed(header.lines[0], bold=True)
    assert len(shown) == len(keys)
    for column, (at, text) in enumerate(shown):
        width = tabular.width_em(text, bold=True) * header.size
        centre = at * header.size + width / 2
        assert width <= cell_width - 4, text
        # within a hair space or so of the column's centre (not pushed along by the one before)
        assert abs(centre - (label_width + cell_width * (column + 0.5))) < 1.5, text


def test_a_long_name_wraps_inside_its_column_and_the_figures_stay_on_the_first_line() -> None:
    layout = tabular.Layout(
        (tabular.Column("Đơn vị", 80, "left"), tabular.Column("Điểm", 40)), font_size_pt=9.5
    )
    row = layout.row([["Phường Nguyễn Thái Bình thuộc Quận Một", "98,76"]]).split("\n")
    assert len(row) > 1 and row[0].endswith("98,76")
    assert " ".join(" ".join(line.split()) for line in row).replace(" 98,76", "") == (
        "Phường Nguyễn Thái Bình thuộc Quận Một"
    )


def test_the_heatmap_writes_each_cell_value_as_text_on_a_tint_of_its_band() -> None:
    chart = charts.section_heatmap(
        row_labels=["Xã A", "Xã B"],
        column_labels=["A", "B"],
        cells=[
            [charts.HeatCell(71.3, "#1e7b3a"), charts.HeatCell(None, charts.NO_DATA_COLOR)],
            [charts.HeatCell(100.0, "#c62828"), charts.HeatCell(98.76, "#1e7b3a")],
        ],
    )
    assert chart.words() == ["A B", "Xã A 71,3 –", "Xã B 100,0 98,8"]
    fills = {shape.color for shape in chart.shapes if isinstance(shape, charts.Rect)}
    assert fills == {charts.tint("#1e7b3a", 0.5), charts.tint("#c62828", 0.5), "#e6e6e6"}
    assert chart.png().startswith(b"\x89PNG")


def test_a_unit_name_with_markup_is_written_as_text_everywhere_in_the_summary() -> None:
    from bench.summary_pdf import fabricated_summary
    from reports import summary_document
    from reports.schemas import SummaryOut

    data = fabricated_summary(6)
    name = data.ranking.ranked[0].unit.name_vi
    hostile = "<script>alert(1)</script> Xã <b>Hải</b> & Co"
    payload = data.model_dump_json().replace(f'"{name}"', json.dumps(hostile))
    built = summary_document.summary_document(SummaryOut.model_validate_json(payload))
    assert "<script>" not in built.html and "<b>Hải</b>" not in built.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Xã &lt;b&gt;Hải&lt;/b&gt; &amp; Co" in built.html

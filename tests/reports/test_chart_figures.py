"""The charts' numbers are placed from the bundled fonts' widths, not with SVG `text-anchor`:
WeasyPrint draws an anchored text in a PDF object of its own to measure it, and a province's
heatmap has about 1,640 numbers (the summary PDF went from about 1 MB to 419 KB without them)."""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont

from reports import charts


def test_a_number_is_placed_by_the_widths_the_bundled_fonts_give_it() -> None:
    """A number starts where its middle (or end) falls at the anchor point: the widths are the
    fonts' own."""
    for name in ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"):
        font = TTFont(Path(charts.__file__).parent / "fonts" / name)
        cmap, advances, units = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
        for shown in ("71,3", "–", "100", "0", "98,76"):
            width = sum(advances[cmap[ord(ch)]][0] for ch in shown) / units * 11
            assert abs(charts.figure_x(200, shown, 11) - (200 - width / 2)) < 1e-9
            assert abs(charts.figure_x(200, shown, 11, anchor="end") - (200 - width)) < 1e-9


def test_the_heatmap_writes_its_numbers_without_text_anchor() -> None:
    svg = charts.section_heatmap(
        row_labels=["Xã A", "Xã B"],
        column_labels=["A", "B"],
        cells=[
            [charts.HeatCell(71.3, "#2e7d32"), charts.HeatCell(None, "#eeeeee")],
            [charts.HeatCell(100.0, "#2e7d32"), charts.HeatCell(98.76, "#2e7d32")],
        ],
    )
    numbers = [part for part in svg.split("<text")[1:] if ">71,3<" in part or ">100,0<" in part]
    assert len(numbers) == 2 and all("text-anchor" not in part for part in numbers)

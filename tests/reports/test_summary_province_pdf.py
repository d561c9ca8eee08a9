"""The summary PDF of a whole province (204 communes, every section filled: bench/summary_pdf.py)
keeps everything a leader reads, as text: each unit's ranking row and bar, its heatmap row with
its section averages, its actions and its dossier indicators; every chart's image; page numbers.
The long tables' rows and the charts' labels are set as single text runs (reports/tabular.py,
reports/charts.py), so a row or a chart that went missing would show here."""

from __future__ import annotations

import io
import math
import re

import pytest
from pypdf import PdfReader

from bench.summary_pdf import fabricated_summary
from reports import charts, rendering, summary_document, summary_service


def spaced(text: str) -> str:
    """Runs of spacing (the placing spaces included) as one space."""
    return " ".join(text.split())


@pytest.mark.slow
async def test_every_unit_row_and_chart_of_a_province_is_in_its_pdf() -> None:
    data = fabricated_summary(204)
    pdf = await rendering.render_built_async(
        summary_service.SUMMARY_BUILDER,
        data.model_dump_json(),
        stylesheet=summary_document.STYLESHEET,
    )
    pages = PdfReader(io.BytesIO(pdf)).pages
    texts = [spaced(page.extract_text()) for page in pages]
    text = "\n".join(texts)
    number = summary_document._vi_number

    ranked = data.ranking.ranked
    assert len(ranked) > 180
    for entry in ranked:
        name, score = entry.unit.name_vi, number(entry.average_score, 2)
        # its row in the ranking table, in order of the columns
        assert f"{entry.rank} {name} {entry.scored_inspections} {score}" in text, name
        # its bar's label and value in the ranking chart
        label = charts.fit_px(f"{entry.rank}. {name}", 210 - 12)  # the chart's label slot
        assert f"{label} {score}" in text, name
    for entry in data.ranking.insufficient_data:
        assert entry.unit.name_vi in text
    for row in data.section_results.rows:
        values = " ".join(number(cell.average_score) for cell in row.cells)
        label = charts.fit_px(row.label, 200 - 12)  # the heatmap's label slot
        assert f"{label} {values}" in text, row.label  # its heatmap row
    for action in data.actions.by_responsible_unit:
        assert (
            f"{action.unit.name_vi} {action.total} {action.open} {action.overdue} "
            f"{action.verified} {action.verified_on_time} {action.verified_late}"
        ) in text
    assert data.dossier_indicators is not None
    for indicators in data.dossier_indicators.units:
        assert indicators.unit is not None and indicators.current is not None
        assert f"{indicators.unit.name_vi} {indicators.current.dossiers} " in text

    # Every chart's image drawn once: the bands, and the ranking and the heatmap in charts of 36
    # rows. (The pages share one resource dictionary, so count the images drawn, not listed.)
    listed = pages[0]["/Resources"]["/XObject"]
    names = {
        name.lstrip("/") for name in listed if listed[name].get_object()["/Subtype"] == "/Image"
    }
    drawn = [
        name.decode()
        for page in pages
        for name in re.findall(rb"/(\w+) Do", page.get_contents().get_data())
    ]
    assert sorted(drawn) == sorted(names)
    images = len(drawn)
    rows = len(data.section_results.rows) + 1
    per_chart = charts.ROWS_PER_CHART
    assert images == 1 + math.ceil(len(ranked) / per_chart) + math.ceil(rows / per_chart)
    # Headers repeated on each page of a long table, and every page numbered.
    assert sum("Bị gắn cờ" in page for page in texts) >= 3
    assert all(f"Trang {index + 1}/{len(pages)}" in page for index, page in enumerate(texts))

"""The summary PDF's document: the summary's figures in, its HTML with SVG charts out. Pure.

Runs in a render worker process (``reports.rendering.render_built_async``), which receives the
summary as JSON: building the charts and the HTML of a large subtree (a bar and a heatmap row
per unit) holds the GIL for a while, so it stays out of the API process like the PDF does.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from reports import charts, rendering
from reports.schemas import SummaryOut

STYLESHEET = "summary.css"
TEMPLATE = "summary.html"

SEVERITIES = ("critical", "major", "minor")
SEVERITY_LABELS = {"critical": "Nghiêm trọng", "major": "Lớn", "minor": "Nhỏ"}
CATEGORY_LABELS = {
    "discipline": "Kỷ luật, kỷ cương",
    "facilities": "Cơ sở vật chất",
    "transparency": "Công khai, minh bạch",
    "dossier_handling": "Tiếp nhận, giải quyết hồ sơ",
    "e_government": "Chính quyền điện tử",
    "documents_archives": "Văn thư, lưu trữ",
    "leadership": "Chỉ đạo, điều hành",
}
STATUS_LABELS = {
    "in_progress": "Đang kiểm tra",
    "submitted": "Đã nộp",
    "signed": "Đã ký",
    "closed": "Đã đóng",
}


def summary_html_from_json(payload: str) -> str:
    """The builder the render workers call (``module:function`` in ``render_built_async``)."""
    return summary_html(SummaryOut.model_validate_json(payload))


def summary_html(data: SummaryOut) -> str:
    band_count = max(1, len([band for band in data.bands if band.min_score is not None]))
    band_order = {
        band.key: index for index, band in enumerate(data.bands) if band.min_score is not None
    }

    def color(band: str | None) -> str:
        return charts.band_color(band_order.get(band) if band else None, band_count)

    ranking_charts = charts.ranking_bar_charts(
        [
            charts.Bar(
                label=f"{entry.rank}. {entry.unit.name_vi}",
                value=entry.average_score,
                color=color(entry.band),
                caption=entry.band_label_vi or "",
            )
            for entry in data.ranking.ranked
        ]
    )
    section_rows = [data.section_results.overall, *data.section_results.rows]
    heatmap_charts = charts.section_heatmaps(
        row_labels=[row.label for row in section_rows],
        column_labels=[section.key for section in data.section_results.sections],
        cells=[
            [
                charts.HeatCell(value=cell.average_score, color=color(cell.band))
                for cell in row.cells
            ]
            for row in section_rows
        ],
        total_first=True,
    )
    bands_chart = charts.band_distribution_chart(
        [
            charts.Slice(
                label=band.label_vi, count=band.count, share=band.share, color=color(band.key)
            )
            for band in data.bands
        ]
    )
    zone = _zone(data)
    return (
        rendering.templates()
        .get_template(TEMPLATE)
        .render(
            data=data,
            ranking_charts=ranking_charts,
            heatmap_charts=heatmap_charts,
            bands_chart=bands_chart,
            generated_at=data.generated_at.astimezone(zone),
            severity_labels=SEVERITY_LABELS,
            category_labels=CATEGORY_LABELS,
            status_labels=STATUS_LABELS,
            severities=SEVERITIES,
            number=_vi_number,
            day=_vi_date,
            percent=_vi_percent,
            points=_vi_points,
            signed=_signed,
        )
    )


def _zone(data: SummaryOut) -> ZoneInfo:
    try:
        return ZoneInfo(data.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Ho_Chi_Minh")


def _vi_number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def _vi_percent(share: float | None) -> str:
    return "–" if share is None else _vi_number(share * 100) + " %"


def _vi_points(points: float | None) -> str:
    """A change in percentage points with its sign and unit: "+2,5 điểm", "−3,2 điểm"."""
    if points is None:
        return "–"
    return _signed(points, _vi_number(abs(points))) + " điểm"


def _signed(value: float, shown: str | None = None) -> str:
    shown = shown if shown is not None else str(abs(value))
    if value > 0:
        return f"+{shown}"
    if value < 0:
        return f"−{shown}"  # the minus sign, as in the ranking's changes
    return f"±{shown}"


def _vi_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")

"""The summary PDF's document: the summary's figures in, its HTML and PNG charts out. Pure (but
for the bundled fonts, read once for the charts and the tables' widths).

Runs in a render worker process (``reports.rendering.render_built_async``), which receives the
summary as JSON: building the charts and the HTML of a large subtree (a bar and a heatmap row
per unit) holds the GIL for a while, so it stays out of the API process like the PDF does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from reports import charts, rendering
from reports.schemas import SummaryOut, UnitIndicatorsOut
from reports.tabular import Align, Column, Layout

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
# The text width of an A4 page within summary.css's 18 mm margins, and `table.data`'s font size:
# the long tables' columns are given in points, and their rows are set to them.
CONTENT_WIDTH_PT = (210 - 2 * 18) / 25.4 * 72
TABLE_FONT_PT = 9.5
ACTION_HEADERS = ("Tổng", "Chưa xong", "Quá hạn", "Đã xác nhận", "Đúng hạn", "Trễ hạn")


# Single-line rows (ranking, actions) go in cells of this many, with a rule between cells: the
# rule every five rows of statistical tables. A cell costs WeasyPrint about half a millisecond
# beyond its lines, and these two tables have four hundred rows.
ROWS_PER_RULE = 5


@dataclass(frozen=True)
class TabularTable:
    """A long table: header cells per column, body cells of text set to them
    (``reports.tabular``), each of one row or of `ROWS_PER_RULE` rows; an optional bold total
    row."""

    layout: Layout
    rows: list[str]
    total: str | None = None

    def grouped(self, size: int) -> TabularTable:
        cells = [
            "\n".join(self.rows[start : start + size]) for start in range(0, len(self.rows), size)
        ]
        return TabularTable(self.layout, cells, self.total)


def _columns(*columns: tuple[str, float, Align]) -> Layout:
    """Columns by share of the page's text width; the one of share 0 takes what is left."""
    rest = 1 - sum(share for _, share, _ in columns)
    return Layout(
        tuple(
            Column(header, (share or rest) * CONTENT_WIDTH_PT, align)
            for header, share, align in columns
        ),
        TABLE_FONT_PT,
    )


def summary_document_from_json(payload: str) -> rendering.Built:
    """The document (HTML and chart images) from a summary's JSON: the builder the render workers
    call (``module:function`` in ``render_built_async``)."""
    return summary_document(SummaryOut.model_validate_json(payload))


def summary_html(data: SummaryOut) -> str:
    """The document's HTML alone (its charts are referred to as ``chart:<name>``)."""
    return summary_document(data).html


def summary_document(data: SummaryOut) -> rendering.Built:
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
    drawings = {"bands": bands_chart}
    drawings |= {f"ranking-{index}": chart for index, chart in enumerate(ranking_charts)}
    drawings |= {f"heatmap-{index}": chart for index, chart in enumerate(heatmap_charts)}
    zone = _zone(data)
    html = (
        rendering.templates()
        .get_template(TEMPLATE)
        .render(
            data=data,
            charts=drawings,
            ranking_charts=[f"ranking-{index}" for index in range(len(ranking_charts))],
            heatmap_charts=[f"heatmap-{index}" for index in range(len(heatmap_charts))],
            ranking_table=_ranking_table(data),
            actions_table=_actions_table(data),
            indicators_table=_indicators_table(data),
            generated_at=data.generated_at.astimezone(zone),
            severity_labels=SEVERITY_LABELS,
            category_labels=CATEGORY_LABELS,
            status_labels=STATUS_LABELS,
            severities=SEVERITIES,
            number=_vi_number,
            day=_vi_date,
        )
    )
    return rendering.Built(html, {name: chart.png() for name, chart in drawings.items()})


def _ranking_table(data: SummaryOut) -> TabularTable:
    layout = _columns(
        ("Hạng", 0.09, "center"),
        ("Đơn vị", 0, "left"),
        ("Số cuộc", 0.10, "right"),
        ("Điểm BQ", 0.11, "right"),
        ("Xếp loại", 0.14, "left"),
        ("Kỳ trước", 0.10, "center"),
        ("Thay đổi", 0.10, "center"),
    )
    rows = []
    for entry in data.ranking.ranked:
        change = entry.rank_change
        shown_change = (
            "mới" if change is None else "=" if change == 0 else _signed(change, str(abs(change)))
        )
        values = [
            str(entry.rank),
            entry.unit.name_vi,
            str(entry.scored_inspections),
            _vi_number(entry.average_score, 2),
            entry.band_label_vi or "–",
            str(entry.previous_rank) if entry.previous_rank else "–",
            shown_change,
        ]
        rows.append(layout.row([values], wraps=1))
    return TabularTable(layout, rows).grouped(ROWS_PER_RULE)


def _actions_table(data: SummaryOut) -> TabularTable:
    layout = _columns(
        ("Đơn vị chịu trách nhiệm", 0, "left"),
        *((header, 0.10, "right") for header in ACTION_HEADERS),
    )
    names = ("total", "open", "overdue", "verified", "verified_on_time", "verified_late")
    rows = [
        layout.row([[row.unit.name_vi, *(str(getattr(row, name)) for name in names)]])
        for row in data.actions.by_responsible_unit
    ]
    total = layout.row([["Cộng", *(str(getattr(data.actions, name)) for name in names)]], bold=True)
    return TabularTable(layout, rows, total).grouped(ROWS_PER_RULE)


def _indicators_table(data: SummaryOut) -> TabularTable | None:
    dossiers = data.dossier_indicators
    if dossiers is None:
        return None
    layout = _columns(
        ("Đơn vị", 0, "left"),
        ("Hồ sơ tiếp nhận", 0.10, "right"),
        ("Trực tuyến", 0.13, "right"),
        ("Thanh toán trực tuyến", 0.13, "right"),
        ("Đúng hạn", 0.13, "right"),
        ("Tồn đọng quá hạn", 0.11, "right"),
        ("Bị gắn cờ", 0.13, "right"),
    )

    def lines(label: str, row: UnitIndicatorsOut) -> list[list[str]]:
        """The figures, and under them the change from the previous period with its sign and
        unit (never by colour alone)."""
        now, change = row.current, row.change
        shares = ("online", "online_payment", "on_time")
        figures = [
            label,
            str(now.dossiers) if now else "–",
            *(_vi_percent(getattr(now, name).value) if now else "–" for name in shares),
            str(now.backlog) if now else "–",
            _vi_percent(now.flagged.value) if now else "–",
        ]
        if change is None:
            return [figures]
        changes = [
            "",
            "",
            *(_vi_points(getattr(change, f"{name}_points")) for name in shares),
            _signed(change.backlog),
            _vi_points(change.flagged_points),
        ]
        return [figures, changes]

    rows = [layout.row(lines(row.unit.name_vi, row)) for row in dossiers.units if row.unit]
    return TabularTable(layout, rows, layout.row(lines("Tổng", dossiers.totals), bold=True))


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

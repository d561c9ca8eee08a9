"""SVG charts for the summary PDF. Pure: numbers and labels in, an SVG string out, no I/O.

The PDF renderer refuses remote URLs, so charts are inlined into the HTML. Every label is
escaped (unit names are user data and may contain ``<`` or ``&``); text is UTF-8, so Vietnamese
needs nothing special, only a font that has it (the bundled 'Spotcheck Serif').
Sizes are CSS pixels; a chart 640 px wide fills the text width of an A4 page with 20 mm margins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

FONT = "Spotcheck Serif, serif"
WIDTH = 640
# From the best band to the worst; a checklist with a different number of bands is spread over it
# so that the best is always green and the worst always red.
BAND_COLORS = ("#1e7b3a", "#7cb342", "#e8a317", "#d9712b", "#c62828")
NO_DATA_COLOR = "#e6e6e6"
TEXT_COLOR = "#1a1a1a"
GRID_COLOR = "#c8c8c8"


def text(value: object) -> str:
    """Escape for element content and double-quoted attributes."""
    return escape(str(value), {'"': "&quot;", "'": "&#39;"})


def clip(label: str, limit: int) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def band_color(order: int | None, band_count: int) -> str:
    if order is None:
        return NO_DATA_COLOR
    if band_count <= 1:
        return BAND_COLORS[0]
    position = round(order * (len(BAND_COLORS) - 1) / (band_count - 1))
    return BAND_COLORS[max(0, min(position, len(BAND_COLORS) - 1))]


def text_color_on(fill: str) -> str:
    """White on the darkest fills (the best and worst bands), dark text elsewhere."""
    return "#ffffff" if fill in (BAND_COLORS[0], BAND_COLORS[-1]) else TEXT_COLOR


def _number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")  # Vietnamese decimal comma


# Advance widths in the bundled Liberation Serif (regular and bold alike), in em: digits, the
# decimal comma and the en dash of an empty value. WeasyPrint draws SVG text letter by letter,
# without kerning, so a number's width is the sum of these.
_FIGURE_WIDTHS = {**dict.fromkeys("0123456789–", 0.5), ",": 0.25, ".": 0.25, " ": 0.25}


def figure_x(x: float, shown: str, font_size: float, anchor: str = "middle") -> float:
    """Where a number `shown` must start so that its middle (or end) is at `x`.

    A `text-anchor` other than "start" makes WeasyPrint draw the text in a group of its own (a
    PDF form XObject) to measure it first: the 1,640 numbers of a province's heatmap made the PDF
    four times larger and its joining (``pdf_engine.join_with_footers``) slow. Numbers are placed
    from these widths instead; other text falls back to the anchor."""
    width = sum(_FIGURE_WIDTHS[character] for character in shown) * font_size
    return x - (width / 2 if anchor == "middle" else width)


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{text(title)}" '
        f'font-family="{FONT}" font-size="11" fill="{TEXT_COLOR}">'
        f"<title>{text(title)}</title>" + "".join(body) + "</svg>"
    )


def _empty(title: str, message: str) -> str:
    return _svg(
        WIDTH,
        40,
        title,
        [
            f'<text x="{WIDTH // 2}" y="24" text-anchor="middle" font-style="italic">'
            f"{text(message)}</text>"
        ],
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..100
    color: str
    caption: str = ""  # shown after the value, e.g. the band's name


def ranking_bar_chart(
    bars: Sequence[Bar],
    *,
    title: str = "Xếp hạng đơn vị theo điểm bình quân",
    empty_message: str = "Không có đơn vị nào đủ dữ liệu để xếp hạng",
    label_width: int = 210,
    row_height: int = 22,
) -> str:
    """Horizontal bars on a 0–100 axis, one row per unit, in the given order."""
    if not bars:
        return _empty(title, empty_message)
    top, bottom = 10, 24
    plot_left, plot_right = label_width, WIDTH - 110
    plot_width = plot_right - plot_left
    height = top + row_height * len(bars) + bottom
    body: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        x = plot_left + plot_width * tick / 100
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" '
            f'stroke="{GRID_COLOR}" stroke-width="0.6"/>'
            f'<text x="{figure_x(x, str(tick), 9):.1f}" y="{height - 8}" font-size="9">{tick}</text>'
        )
    for index, bar in enumerate(bars):
        y = top + index * row_height
        value = max(0.0, min(100.0, bar.value))
        length = plot_width * value / 100
        middle = y + row_height / 2 + 4
        body.append(
            f'<text x="{plot_left - 6}" y="{middle:.1f}" text-anchor="end">'
            f"{text(clip(bar.label, 34))}</text>"
            f'<rect x="{plot_left}" y="{y + 4}" width="{length:.1f}" height="{row_height - 8}" '
            f'fill="{text(bar.color)}"/>'
            f'<text x="{plot_left + length + 4:.1f}" y="{middle:.1f}" font-weight="bold">'
            f"{_number(bar.value, 2)}</text>"
        )
        if bar.caption:
            body.append(
                f'<text x="{plot_right + 48}" y="{middle:.1f}" font-size="9">'
                f"{text(clip(bar.caption, 14))}</text>"
            )
    return _svg(WIDTH, height, title, body)


# Rows in one chart: an SVG is an image, which WeasyPrint never splits across pages, so a chart of
# a whole province (two hundred units, 4,500 px) would run off its page and be cut. 36 rows of 22 px
# and the axis fit an A4 page with the section's heading.
ROWS_PER_CHART = 36


def ranking_bar_charts(
    bars: Sequence[Bar], *, rows_per_chart: int = ROWS_PER_CHART, **options: Any
) -> list[str]:
    """The ranking as charts of at most `rows_per_chart` bars each, in order: one per page."""
    if not bars:
        return [ranking_bar_chart(bars, **options)]
    return [
        ranking_bar_chart(bars[start : start + rows_per_chart], **options)
        for start in range(0, len(bars), rows_per_chart)
    ]


@dataclass(frozen=True)
class HeatCell:
    value: float | None
    color: str


def section_heatmap(
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[HeatCell]],
    title: str = "Kết quả theo phần của bảng kiểm",
    empty_message: str = "Chưa có kết quả chấm điểm theo phần",
    label_width: int = 200,
    row_height: int = 22,
    total_first: bool = False,
) -> str:
    """Units down, checklist sections across; each cell coloured by the band its average
    reaches, with the value written in it; an empty cell means no scored answers there.
    With ``total_first`` the first row is the whole scope: bold, and set apart by a rule."""
    if not row_labels or not column_labels:
        return _empty(title, empty_message)
    header = 22
    cell_width = min(70.0, (WIDTH - label_width) / len(column_labels))
    width = int(label_width + cell_width * len(column_labels)) + 1
    height = header + row_height * len(row_labels) + 1
    body: list[str] = []
    for column, label in enumerate(column_labels):
        x = label_width + cell_width * (column + 0.5)
        body.append(
            f'<text x="{x:.1f}" y="{header - 7}" text-anchor="middle" font-weight="bold">'
            f"{text(clip(label, 10))}</text>"
        )
    for row, label in enumerate(row_labels):
        y = header + row * row_height
        weight = ' font-weight="bold"' if total_first and row == 0 else ""
        body.append(
            f'<text x="{label_width - 6}" y="{y + row_height / 2 + 4:.1f}" text-anchor="end"'
            f"{weight}>{text(clip(label, 32))}</text>"
        )
        for column, cell in enumerate(cells[row]):
            x = label_width + cell_width * column
            shown = "–" if cell.value is None else _number(cell.value)
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{cell_width:.1f}" height="{row_height}" '
                f'fill="{text(cell.color)}" stroke="#ffffff" stroke-width="1.5"/>'
                f'<text x="{figure_x(x + cell_width / 2, shown, 11):.1f}" '
                f'y="{y + row_height / 2 + 4:.1f}" '
                f'fill="{text_color_on(cell.color)}">{shown}</text>'
            )
    if total_first and len(row_labels) > 1:
        y = header + row_height + 1
        body.append(
            f'<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="{TEXT_COLOR}" stroke-width="0.8"/>'
        )
    return _svg(width, height + 2, title, body)


def section_heatmaps(
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[HeatCell]],
    rows_per_chart: int = ROWS_PER_CHART,
    total_first: bool = False,
    **options: Any,
) -> list[str]:
    """The heatmap as charts of at most `rows_per_chart` rows each, every one with the section
    headers; the whole scope's row (``total_first``) heads the first."""
    if not row_labels:
        return [section_heatmap(row_labels=row_labels, column_labels=column_labels, cells=cells)]
    return [
        section_heatmap(
            row_labels=row_labels[start : start + rows_per_chart],
            column_labels=column_labels,
            cells=cells[start : start + rows_per_chart],
            total_first=total_first and start == 0,
            **options,
        )
        for start in range(0, len(row_labels), rows_per_chart)
    ]


@dataclass(frozen=True)
class Slice:
    label: str
    count: int
    share: float  # 0..1
    color: str


def band_distribution_chart(
    slices: Sequence[Slice],
    *,
    title: str = "Phân bố xếp loại",
    empty_message: str = "Chưa có cuộc kiểm tra nào trong kỳ",
    label_width: int = 150,
    row_height: int = 22,
) -> str:
    """One bar per band, its length the band's share of the inspections, with count and %."""
    if not slices or not any(entry.count for entry in slices):
        return _empty(title, empty_message)
    plot_left, plot_right = label_width, WIDTH - 120
    plot_width = plot_right - plot_left
    height = row_height * len(slices) + 6
    body: list[str] = []
    for index, entry in enumerate(slices):
        y = 3 + index * row_height
        length = plot_width * max(0.0, min(1.0, entry.share))
        middle = y + row_height / 2 + 4
        percent = f"{entry.share * 100:.0f}".replace(".", ",")
        body.append(
            f'<text x="{plot_left - 6}" y="{middle:.1f}" text-anchor="end">'
            f"{text(clip(entry.label, 26))}</text>"
            f'<rect x="{plot_left}" y="{y + 4}" width="{plot_width}" height="{row_height - 8}" '
            f'fill="#f3f3f3"/>'
            f'<rect x="{plot_left}" y="{y + 4}" width="{length:.1f}" height="{row_height - 8}" '
            f'fill="{text(entry.color)}"/>'
            f'<text x="{plot_right + 6}" y="{middle:.1f}">{entry.count} ({percent}%)</text>'
        )
    return _svg(WIDTH, height, title, body)

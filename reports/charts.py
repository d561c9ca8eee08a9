"""Charts for the summary PDF: numbers and labels in, a :class:`Chart` out. Pure but for reading
the bundled fonts' widths (``reports.tabular``).

A chart is two layers, drawn one over the other (summary.html):

- its shapes (bars, cells, grid lines), a PNG drawn by Pillow (`Chart.png`): flat colours, no
  text, so it is small and quick to encode at `SCALE` image pixels per CSS pixel;
- its text (labels, values, axis), as a few blocks of lines of real text over the image, each
  line one text run whose parts are placed at their x by spacing (``tabular.place``), each
  block's line height the chart's row height so that each line sits in its row.

Not SVG: WeasyPrint lays out SVG text letter by letter, and a province's ranking and heatmap
held about 15,000 letters, a quarter of the summary's render time; a line of HTML text costs
about what one SVG letter did. The text stays text: searchable, selectable, read by a screen
reader, printed sharp. The heatmap's cells are tints of the band colours so that dark text reads
on every one. Sizes are CSS pixels; a chart 640 px wide fills the text width of an A4 page with
18 mm margins.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

from reports import tabular

WIDTH = 640
SCALE = 1  # image pixels per CSS pixel: flat shapes on whole pixels, drawn unsmoothed (`image-rendering`)
FONT_SIZE = 11
SMALL_FONT_SIZE = 9
# From the best band to the worst; a checklist with a different number of bands is spread over it
# so that the best is always green and the worst always red.
BAND_COLORS = ("#1e7b3a", "#7cb342", "#e8a317", "#d9712b", "#c62828")
NO_DATA_COLOR = "#e6e6e6"
TEXT_COLOR = "#1a1a1a"
GRID_COLOR = "#c8c8c8"
HEATMAP_TINT = 0.5  # a heatmap cell's colour: its band's, half way to white


def fit_px(label: str, room_px: float, *, size: float = FONT_SIZE, bold: bool = False) -> str:
    """`label` cut (with an ellipsis) to the width it may take, in CSS px at `size`: a label wider
    than its slot would push the next ones off their columns (:func:`tabular.place`)."""
    return tabular.fit(label, room_px / size, bold=bold)


def band_color(order: int | None, band_count: int) -> str:
    if order is None:
        return NO_DATA_COLOR
    if band_count <= 1:
        return BAND_COLORS[0]
    position = round(order * (len(BAND_COLORS) - 1) / (band_count - 1))
    return BAND_COLORS[max(0, min(position, len(BAND_COLORS) - 1))]


def tint(color: str, toward_white: float) -> str:
    """`color` (#rrggbb) moved `toward_white` (0..1) of the way to white."""
    channels = [int(color[index : index + 2], 16) for index in (1, 3, 5)]
    return "#" + "".join(f"{round(value + (255 - value) * toward_white):02x}" for value in channels)


def _number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")  # Vietnamese decimal comma


Align = tabular.Align
Placed = tuple[float, str, Align]  # a text at its x (CSS px), aligned there


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    color: str
    outline: str | None = None  # a border of one CSS pixel inside the rectangle


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str
    width: float = 0.6


@dataclass(frozen=True)
class TextBlock:
    """Lines of text over the image: the first line box's top at `top`, one line every
    `line_height` px, each line made by ``tabular.place`` from (x, text, align) parts."""

    top: float
    lines: tuple[str, ...]
    size: float = FONT_SIZE
    line_height: float = 22
    bold: bool = False
    italic: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _text_block(
    top: float,
    rows: Sequence[Sequence[Placed]],
    *,
    size: float = FONT_SIZE,
    line_height: float = 22,
    bold: bool = False,
    italic: bool = False,
) -> TextBlock:
    lines = tuple(
        tabular.place([(x / size, text, align) for x, text, align in row], bold=bold)
        for row in rows
    )
    return TextBlock(top, lines, size, line_height, bold, italic)


@dataclass
class Chart:
    """A chart: its shapes (drawn into `png`), its text blocks, its size in CSS pixels and its
    title (the image's alternative text)."""

    width: int
    height: int
    title: str
    shapes: list[Rect | Line] = field(default_factory=list)
    texts: list[TextBlock] = field(default_factory=list)

    def words(self) -> list[str]:
        """Every line of text the chart shows, spacing collapsed (for tests and readers)."""
        return [" ".join(line.split()) for block in self.texts for line in block.lines]

    def png(self) -> bytes:
        image = Image.new("RGB", (self.width * SCALE, self.height * SCALE), "#ffffff")
        draw = ImageDraw.Draw(image)
        for shape in self.shapes:
            if isinstance(shape, Rect):
                box = (
                    round(shape.x * SCALE),
                    round(shape.y * SCALE),
                    round((shape.x + shape.width) * SCALE) - 1,
                    round((shape.y + shape.height) * SCALE) - 1,
                )
                if box[2] >= box[0] and box[3] >= box[1]:
                    draw.rectangle(box, fill=shape.color)
                    if shape.outline:
                        draw.rectangle(box, outline=shape.outline, width=SCALE)
            else:
                points = [
                    (shape.x1 * SCALE, shape.y1 * SCALE),
                    (shape.x2 * SCALE, shape.y2 * SCALE),
                ]
                draw.line(points, fill=shape.color, width=max(1, round(shape.width * SCALE)))
        out = io.BytesIO()
        # Level 1: flat colours compress well at once (WeasyPrint re-encodes the pixels anyway).
        image.save(out, format="PNG", compress_level=1)
        return out.getvalue()


def _empty(title: str, message: str) -> Chart:
    return Chart(
        WIDTH,
        40,
        title,
        texts=[_text_block(7, [[(WIDTH / 2, message, "center")]], italic=True)],
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
) -> Chart:
    """Horizontal bars on a 0–100 axis, one row per unit, in the given order."""
    if not bars:
        return _empty(title, empty_message)
    top, bottom = 10, 24
    plot_left, plot_right = label_width, WIDTH - 110
    plot_width = plot_right - plot_left
    height = top + row_height * len(bars) + bottom
    chart = Chart(WIDTH, height, title)
    ticks = (0, 25, 50, 75, 100)
    for tick in ticks:
        x = plot_left + plot_width * tick / 100
        chart.shapes.append(Line(x, top, x, height - bottom, GRID_COLOR))
    rows: list[list[Placed]] = []
    for index, bar in enumerate(bars):
        y = top + index * row_height
        value = max(0.0, min(100.0, bar.value))
        length = plot_width * value / 100
        chart.shapes.append(Rect(plot_left, y + 4, length, row_height - 8, bar.color))
        # The caption on the same line as the label and value (one line box per bar, not two)
        rows.append(
            [
                (plot_left - 6, fit_px(bar.label, plot_left - 12), "right"),
                (plot_left + length + 4, _number(bar.value, 2), "left"),
                (plot_right + 48, fit_px(bar.caption, WIDTH - plot_right - 50), "left"),
            ]
        )
    chart.texts += [
        _text_block(top, rows, line_height=row_height),
        _text_block(
            height - bottom + 2,
            [[(plot_left + plot_width * tick / 100, str(tick), "center") for tick in ticks]],
            size=SMALL_FONT_SIZE,
            line_height=bottom - 4,
        ),
    ]
    return chart


# Rows in one chart: a chart is never split across pages (`.chart` avoids breaks inside), so a
# chart of a whole province (two hundred units, 4,500 px) would run off its page and be cut.
# 36 rows of 22 px and the axis fit an A4 page with the section's heading.
ROWS_PER_CHART = 36


def ranking_bar_charts(
    bars: Sequence[Bar], *, rows_per_chart: int = ROWS_PER_CHART, **options: Any
) -> list[Chart]:
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
) -> Chart:
    """Units down, checklist sections across; each cell tinted by the band its average
    reaches, with the value written in it; an empty cell means no scored answers there.
    With ``total_first`` the first row is the whole scope: bold, and set apart by a rule."""
    if not row_labels or not column_labels:
        return _empty(title, empty_message)
    header = 22
    cell_width = min(70.0, (WIDTH - label_width) / len(column_labels))
    width = int(label_width + cell_width * len(column_labels)) + 1
    height = header + row_height * len(row_labels) + 1
    chart = Chart(width, height + 2, title)
    rows: list[list[Placed]] = []
    for row, label in enumerate(row_labels):
        y = header + row * row_height
        line: list[Placed] = [(label_width - 6, fit_px(label, label_width - 12), "right")]
        for column, cell in enumerate(cells[row]):
            x = label_width + cell_width * column
            color = cell.color if cell.color == NO_DATA_COLOR else tint(cell.color, HEATMAP_TINT)
            chart.shapes.append(Rect(x, y, cell_width, row_height, color, outline="#ffffff"))
            shown = "–" if cell.value is None else _number(cell.value)
            line.append((x + cell_width / 2, shown, "center"))
        rows.append(line)
    headers: list[Placed] = [
        (
            label_width + cell_width * (column + 0.5),
            fit_px(label, cell_width - 4, bold=True),
            "center",
        )
        for column, label in enumerate(column_labels)
    ]
    chart.texts.append(_text_block(0, [headers], line_height=header, bold=True))
    if total_first:
        chart.texts.append(_text_block(header, rows[:1], line_height=row_height, bold=True))
        rows = rows[1:]
        if rows:
            y = header + row_height + 1
            chart.shapes.append(Line(0, y, width, y, TEXT_COLOR, 0.8))
    if rows:
        first = header + (len(row_labels) - len(rows)) * row_height
        chart.texts.append(_text_block(first, rows, line_height=row_height))
    return chart


def section_heatmaps(
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[HeatCell]],
    rows_per_chart: int = ROWS_PER_CHART,
    total_first: bool = False,
    **options: Any,
) -> list[Chart]:
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
) -> Chart:
    """One bar per band, its length the band's share of the inspections, with count and %."""
    if not slices or not any(entry.count for entry in slices):
        return _empty(title, empty_message)
    plot_left, plot_right = label_width, WIDTH - 120
    plot_width = plot_right - plot_left
    height = row_height * len(slices) + 6
    chart = Chart(WIDTH, height, title)
    rows: list[list[Placed]] = []
    for index, entry in enumerate(slices):
        y = 3 + index * row_height
        length = plot_width * max(0.0, min(1.0, entry.share))
        percent = f"{entry.share * 100:.0f}".replace(".", ",")
        chart.shapes += [
            Rect(plot_left, y + 4, plot_width, row_height - 8, "#f3f3f3"),
            Rect(plot_left, y + 4, length, row_height - 8, entry.color),
        ]
        rows.append(
            [
                (plot_left - 6, fit_px(entry.label, plot_left - 12), "right"),
                (plot_right + 6, f"{entry.count} ({percent}%)", "left"),
            ]
        )
    chart.texts.append(_text_block(3, rows, line_height=row_height))
    return chart

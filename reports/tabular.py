"""Table rows of a long report set as one line of text each, its columns placed by spacing. Pure
but for reading the bundled fonts' advance widths once.

WeasyPrint lays out every table cell as a box of its own, with its borders, its line box and a
text layout: about a millisecond of CPU per cell, and a province's summary has thousands (the
ranking, the actions and the dossier indicators of two hundred units: three quarters of its
render time). A row set as one text run in one cell spanning the table costs about a fifth of its
seven cells. The header keeps real cells, one per column (repeated on every page); each body row
places its values under them by filling the gap before each value with Unicode spaces whose
widths the bundled font gives (em space, en space, four-per-em, six-per-em, hair space), from the
same font's advance widths: a value ends (or starts) where its header cell's text does, to within
a tenth of an em.

The rows are drawn without kerning and ligatures (CSS `font-kerning: none`, class ``tabular``),
so the widths on paper are the sums of the advances. A name too long for its column wraps inside
the column on lines of its own (`Layout.row`'s `wraps`); any other value too wide for its column (a
checklist's long band name) is cut to the column's width with an ellipsis (:func:`fit`), so that
every value stays under its own header.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fontTools.ttLib import TTFont

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {False: "LiberationSerif-Regular.ttf", True: "LiberationSerif-Bold.ttf"}
# A character the font has no glyph for is drawn from a fallback font: its width is a guess.
UNKNOWN_WIDTH = 0.6
# The spaces the fill is made of, widest first, by their advance in the bundled fonts (in em).
SPACES = (("\u2003", 1.0), ("\u2002", 0.5), ("\u2005", 0.25), ("\u2006", 0.1665))
HAIR_SPACE = ("\u200a", 0.0835)
# The cells' padding on each side, in points (the stylesheet's `table.data td` padding).
CELL_PADDING_PT = 4.0
# Kept free at a column's right edge: a line that fills its cell to the last hundredth of a point
# may be measured a hair wider by the renderer, and its last value would wrap to a line of its own.
RIGHT_MARGIN_PT = 1.0

Align = Literal["left", "right", "center"]


@functools.cache
def _advances(bold: bool) -> dict[int, float]:
    font = TTFont(FONTS_DIR / FONT_FILES[bold], lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"]
    return {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}


def width_em(text: str, *, bold: bool = False) -> float:
    """The advance of `text` in the bundled font, in em, without kerning."""
    advances = _advances(bold)
    return sum(advances.get(ord(character), UNKNOWN_WIDTH) for character in text)


def fill(gap_em: float) -> str:
    """Spaces at most `gap_em` wide and less than a hair space (0.08 em) short of it; none for a
    gap ≤ 0 (short rather than long, so that a full line never overflows its cell)."""
    shown = []
    for space, size in SPACES:
        count = int(gap_em / size + 1e-9)
        shown.append(space * count)
        gap_em -= count * size
    shown.append(HAIR_SPACE[0] * int(gap_em / HAIR_SPACE[1] + 1e-9))
    return "".join(shown)


def fit(text: str, room_em: float, *, bold: bool = False) -> str:
    """`text` (its runs of spaces as one) as it fits in `room_em`: whole, or cut at the end with
    an ellipsis; empty when not even the ellipsis fits."""
    text = " ".join(text.split())
    if width_em(text, bold=bold) <= room_em:
        return text
    while text and width_em(text + "…", bold=bold) > room_em:
        text = text[:-1].rstrip()
    return text + "…" if text else ""


def place(items: Sequence[tuple[float, str, Align]], *, bold: bool = False) -> str:
    """One line of text with each item's text starting (left), ending (right) or centred
    (center) at its x, in em from the line's start; items in order of x. An item that would
    overlap the one before it follows it after a space instead."""
    shown: list[str] = []
    cursor = 0.0
    for x, value, align in items:
        if not value:
            continue
        wide = width_em(value, bold=bold)
        at = x if align == "left" else x - wide if align == "right" else x - wide / 2
        earliest = cursor + (0.25 if shown else 0.0)
        gap = fill(max(at, earliest) - cursor)
        shown.append(gap + value)
        # From where the value really starts: a fill falls short by up to a hair space, and
        # counting from the ideal start would add those shortfalls up along the line.
        cursor += width_em(gap) + wide
    return "".join(shown)


@dataclass(frozen=True)
class Column:
    header: str
    width_pt: float
    align: Align = "right"


@dataclass(frozen=True)
class Layout:
    """The columns of a table whose body rows are single text runs, at `font_size_pt`."""

    columns: tuple[Column, ...]
    font_size_pt: float

    def _bounds(self, index: int) -> tuple[float, float]:
        """Where column `index`'s text may go, in em from the start of the row's text (the
        first column's left edge plus its padding)."""
        start = sum(column.width_pt for column in self.columns[:index])
        end = start + self.columns[index].width_pt - 2 * CELL_PADDING_PT - RIGHT_MARGIN_PT
        return start / self.font_size_pt, end / self.font_size_pt

    def line(self, values: Sequence[str], *, bold: bool = False) -> str:
        """One line: each value in its column, aligned as the column says, cut to fit it."""
        items: list[tuple[float, str, Align]] = []
        for index, value in enumerate(values):
            left, right = self._bounds(index)
            align = self.columns[index].align
            x = left if align == "left" else right if align == "right" else (left + right) / 2
            items.append((x, fit(value, right - left, bold=bold), align))
        return place(items, bold=bold)

    def wrap(self, text: str, index: int = 0, *, bold: bool = False) -> list[str]:
        """`text` broken at spaces into lines that fit column `index` (a word longer than the
        column is a line of its own, which :meth:`line` then cuts to the column with an ellipsis:
        some forty letters without a space at the summary's widths)."""
        left, right = self._bounds(index)
        room = right - left
        lines: list[str] = []
        for word in text.split():
            candidate = f"{lines[-1]} {word}" if lines else word
            if lines and width_em(candidate, bold=bold) <= room:
                lines[-1] = candidate
            else:
                lines.append(word)
        return lines or [""]

    def row(self, lines: Sequence[Sequence[str]], *, wraps: int = 0, bold: bool = False) -> str:
        """A body row as the text of its one cell: `lines` of values (one list per line, all
        columns each), column `wraps` (a name) broken into lines that fit it, the lines joined
        by newlines (the cell is `white-space: pre-wrap`)."""
        name_lines = self.wrap(lines[0][wraps], wraps, bold=bold)
        count = max(len(lines), len(name_lines))
        shown = []
        for number in range(count):
            values = list(lines[number]) if number < len(lines) else [""] * len(self.columns)
            values[wraps] = name_lines[number] if number < len(name_lines) else ""
            shown.append(self.line(values, bold=bold))
        return "\n".join(shown)

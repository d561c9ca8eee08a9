"""Long unbroken text (a pasted link, a code) wraps inside the page in both PDFs' stylesheets
instead of running off its edge."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

UNBROKEN = "X" * 500

# The elements that carry text people type: findings and notes in the minutes (list items and
# paragraphs), unit names and comments in the summary's tables.
CASES = {
    "minutes.css": f'<ul class="lines"><li>Ghi chú: {UNBROKEN}</li></ul><p>{UNBROKEN}</p>',
    "summary.css": (
        '<table class="data"><tr><th>Đơn vị</th><th>Điểm</th></tr>'
        f'<tr><td>{UNBROKEN}</td><td class="num">90</td></tr></table>'
    ),
}


def text_lines(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [line for page in reader.pages for line in (page.extract_text() or "").splitlines()]


@pytest.mark.parametrize("stylesheet", sorted(CASES))
def test_a_500_character_unbroken_string_wraps_within_the_page(stylesheet: str) -> None:
    # WeasyPrint (half a second to import) is imported where a test renders in this process, not
    # when the module is collected: the PostgreSQL pass collects it too, and leaves these
    # engine-free tests to the SQLite pass.
    from reports.pdf_engine import render_pdf

    lines = text_lines(render_pdf(CASES[stylesheet], stylesheet=stylesheet))

    # An A4 line holds well under 100 of these letters; without wrapping the whole string is
    # drawn on one line, past the right edge of the page.
    assert max(len(line) for line in lines) < 100, [len(line) for line in lines]
    # Nothing was cut off: every character is still there.
    assert "".join(lines).count("X") == CASES[stylesheet].count("X")

"""Small builders for checklist templates and answers used across the checklist tests."""

from __future__ import annotations

import math
from typing import Any

from checklists.format import (
    AnyItem,
    ChecklistTemplate,
    ChoiceItem,
    CountItem,
    DateItem,
    Direction,
    NumberItem,
    PercentItem,
    PhotoItem,
    SignatureItem,
    TextItem,
    YesNoItem,
    YesNoNaItem,
)
from checklists.scoring import Answer

TWO_BANDS = [
    {"key": "good", "label": {"vi": "Tốt", "en": "Good"}, "min_score": 80},
    {"key": "failed", "label": {"vi": "Không đạt", "en": "Not achieved"}, "min_score": 0},
]


def text(words: str) -> dict[str, str]:
    return {"vi": f"{words} (vi)", "en": words}


def item(key: str, answer_type: str = "yes_no", points: float = 1, **fields: Any) -> dict[str, Any]:
    """A scored item by default; unscored answer types get no points, severity or category."""
    data: dict[str, Any] = {"key": key, "answer_type": answer_type, "text": text(key)}
    if answer_type in ("yes_no_na", "yes_no", "choice", "count", "percent"):
        data |= {"points": points, "severity": "major", "category": "discipline"}
    if answer_type == "count":
        data["scoring"] = {"full_at": 0, "zero_at": 3}
    if answer_type == "percent":
        data["scoring"] = {"target": 100, "floor": 50}
    if answer_type == "choice":
        data["options"] = [
            {"key": "full", "label": text("full"), "points": points},
            {"key": "none", "label": text("none"), "points": 0},
        ]
    return data | fields


def section(key: str, *items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A section whose points are the sum of its items' unless given."""
    points = sum(each.get("points", 0) for each in items)
    return {"key": key, "title": text(key), "points": points, "items": list(items)} | fields


def template_data(*sections: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A template whose total is the sum of its sections' unless given."""
    total = sum(each["points"] for each in sections)
    return {
        "key": "test-checklist",
        "version": 1,
        "title": text("Test checklist"),
        "rating_bands": TWO_BANDS,
        "total_points": total,
        "sections": list(sections),
    } | fields


def template(*sections: dict[str, Any], **fields: Any) -> ChecklistTemplate:
    return ChecklistTemplate.model_validate(template_data(*sections, **fields))


def yes() -> Answer:
    return Answer(value="yes")


def no() -> Answer:
    return Answer(value="no")


def na() -> Answer:
    return Answer(value="na")


def count(violations: int, **fields: Any) -> Answer:
    return Answer(value=violations, **fields)


def share(numerator: int, denominator: int, **fields: Any) -> Answer:
    return Answer(numerator=numerator, denominator=denominator, **fields)


def best_answer(item: AnyItem) -> Answer:
    """An answer that fully meets the item, with enough photos and a note for any evidence rule."""
    evidence: dict[str, Any] = {"photo_count": item.evidence.min_photos, "note": "seen on site"}
    if isinstance(item, YesNoItem | YesNoNaItem):
        return Answer(value="yes", **evidence)
    if isinstance(item, ChoiceItem):
        best = max(item.options, key=lambda option: option.points)
        return Answer(value=best.key, **evidence)
    if isinstance(item, CountItem):
        return Answer(value=item.scoring.full_at, **evidence)
    if isinstance(item, PercentItem):
        # Share exactly at or below the target: floor keeps it on the passing side.
        target = math.floor(item.scoring.target)
        if item.scoring.direction == Direction.HIGHER_IS_BETTER:
            return Answer(numerator=100, denominator=100, **evidence)
        return Answer(numerator=target, denominator=100, **evidence)
    if isinstance(item, NumberItem):
        return Answer(value=1.5, **evidence)
    if isinstance(item, TextItem):
        return Answer(value="ghi chép", **evidence)
    if isinstance(item, DateItem):
        return Answer(value="2025-09-01", **evidence)
    if isinstance(item, PhotoItem):
        return Answer(photo_count=max(1, item.evidence.min_photos), note="seen on site")
    if isinstance(item, SignatureItem):
        return Answer(value="sha256:abc", **evidence)
    raise AssertionError(item)


def best_answers(template: ChecklistTemplate) -> dict[str, Answer]:
    return {each.key: best_answer(each) for _section, each in template.items()}


def line_of(source: str, needle: str) -> int:
    """The 1-based line of the only line of `source` that contains `needle`."""
    lines = [number for number, line in enumerate(source.splitlines(), 1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def column_of(source: str, needle: str) -> int:
    """The 1-based column where `needle` starts on its (only) line."""
    line = source.splitlines()[line_of(source, needle) - 1]
    return line.index(needle) + 1


def exact_line(source: str, line_text: str) -> int:
    """The 1-based number of the only line that is exactly `line_text`."""
    lines = [number for number, line in enumerate(source.splitlines(), 1) if line == line_text]
    assert len(lines) == 1, f"{line_text!r} is on lines {lines}"
    return lines[0]

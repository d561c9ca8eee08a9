"""The leader's summary PDF at province scale, rendered in this process from fabricated figures:
no database, no server, only what the render pool's worker does with a summary's JSON (build the
charts and HTML, `summary_document.summary_document_from_json`, then WeasyPrint,
`pdf_engine.render_pdf`).

The figures are those of a province of `SPOTCHECK_BENCH_SUMMARY_UNITS` (204) communes, as the
scale generator's province would give them (bench/province.py): every unit ranked but a few
with too little data, a heatmap row per unit over eight checklist sections, an action row and
a dossier-indicator row per unit; and of one district (13 communes) with the same shape. Both
are rendered `SPOTCHECK_BENCH_SUMMARY_REPEATS` (5) times after a first render (which loads the
fonts and stylesheets, once per worker process as in the pool; reported apart), with the median
of the CPU time (this process's user + system) and of the wall time, the PDF's pages and bytes,
and the load average before and after. Target (issue 13): the province's fresh render < 2 s.

    python -m bench summary-pdf
"""

from __future__ import annotations

import io
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from bench.province import SYLLABLES
from reports.schemas import SummaryOut

UNITS = int(os.environ.get("SPOTCHECK_BENCH_SUMMARY_UNITS", "204"))
REPEATS = int(os.environ.get("SPOTCHECK_BENCH_SUMMARY_REPEATS", "5"))
DISTRICT_UNITS = 13
TARGET_SECONDS = 2.0
SECTIONS = (
    ("A", "Chấp hành kỷ luật, kỷ cương hành chính"),
    ("B", "Cơ sở vật chất Bộ phận Một cửa"),
    ("C", "Công khai, minh bạch thủ tục hành chính"),
    ("D", "Tiếp nhận, giải quyết hồ sơ"),
    ("E", "Chính quyền điện tử, dịch vụ công trực tuyến"),
    ("F", "Văn thư, lưu trữ"),
    ("G", "Chỉ đạo, điều hành của người đứng đầu"),
    ("H", "Tiếp công dân, xử lý phản ánh, kiến nghị"),
)
BANDS = (  # key, label, lowest score
    ("excellent", "Xuất sắc", 90.0),
    ("good", "Tốt", 75.0),
    ("fair", "Khá", 60.0),
    ("weak", "Trung bình", 45.0),
    ("poor", "Yếu", 0.0),
)


def _unit(rng: random.Random, index: int, names: Iterator[str]) -> dict[str, Any]:
    name = next(names)
    return {
        "id": str(UUID(int=rng.getrandbits(128), version=4)),
        "code": f"X{index:03d}",
        "name_vi": f"{'Thị trấn' if index % 15 == 0 else 'Xã'} {name}",
        "name_en": f"Commune {index:03d}",
    }


def _names(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        name = f"{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"
        if name not in seen:
            seen.add(name)
            yield name


def _band(score: float | None) -> tuple[str | None, str | None]:
    if score is None:
        return None, None
    for key, label, lowest in BANDS:
        if score >= lowest:
            return key, label
    return BANDS[-1][0], BANDS[-1][1]


def _indicators(rng: random.Random) -> dict[str, Any]:
    dossiers = rng.randint(200, 3000)

    def share(low: float, high: float, of: int) -> dict[str, Any]:
        numerator = round(of * rng.uniform(low, high))
        return {"numerator": numerator, "denominator": of, "value": numerator / of}

    paid = dossiers // 5
    decided = dossiers - rng.randint(0, 40)
    return {
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "dossiers": dossiers,
        "online": share(0.3, 0.9, dossiers),
        "online_payment": share(0.2, 0.8, paid),
        "on_time": share(0.8, 1.0, decided),
        "backlog": rng.randint(0, 30),
        "pending_at_end": rng.randint(0, 60),
        "flagged": share(0.0, 0.1, dossiers),
    }


def _change(rng: random.Random) -> dict[str, Any]:
    return {
        name: round(rng.uniform(-5, 5), 1)
        for name in ("online_points", "online_payment_points", "on_time_points", "flagged_points")
    } | {"backlog": rng.randint(-10, 10)}


def fabricated_summary(units: int, *, seed: int = 13, scope: str = "Tỉnh Phú An") -> SummaryOut:
    """A summary of `units` communes with every section of the PDF filled: about 1 in 15 units
    has too little data to be ranked, the others are ranked by a random average."""
    rng = random.Random(seed)
    names = _names(rng)
    communes = [_unit(rng, index + 1, names) for index in range(units)]
    scope_unit = {"id": str(UUID(int=rng.getrandbits(128), version=4)), "code": "P"}
    scope_unit |= {"name_vi": scope, "name_en": "Province"}
    current = {"period_from": "2026-07-01", "period_to": "2026-09-30", "days": 92}
    previous = {"period_from": "2026-03-31", "period_to": "2026-06-30", "days": 92}
    scored = [(unit, round(rng.uniform(40, 99), 2)) for unit in communes]
    ranked_units = [pair for index, pair in enumerate(scored) if index % 15 != 7]
    insufficient = [pair for index, pair in enumerate(scored) if index % 15 == 7]
    ranked_units.sort(key=lambda pair: -pair[1])
    ranked = []
    for position, (unit, score) in enumerate(ranked_units):
        band, label = _band(score)
        previous_rank = rng.choice([None, *range(1, len(ranked_units) + 1)])
        ranked.append(
            {
                "unit": unit,
                "rank": position + 1,
                "inspections": rng.randint(3, 12),
                "scored_inspections": rng.randint(2, 10),
                "average_score": score,
                "band": band,
                "band_label_vi": label,
                "previous_rank": previous_rank,
                "rank_change": None if previous_rank is None else previous_rank - position - 1,
                "previous_average_score": None if previous_rank is None else score - 1.5,
                "score_change": None if previous_rank is None else 1.5,
            }
        )

    def heat_row(unit: dict[str, Any] | None, label: str) -> dict[str, Any]:
        cells = []
        for key, _ in SECTIONS:
            value = None if rng.random() < 0.05 else round(rng.uniform(30, 100), 1)
            cells.append(
                {
                    "section_key": key,
                    "average_score": value,
                    "inspections": 0 if value is None else rng.randint(1, 10),
                    "band": _band(value)[0],
                }
            )
        return {"unit": unit, "label": label, "cells": cells}

    def actions(unit: dict[str, Any] | None) -> dict[str, Any]:
        verified_on_time, verified_late = rng.randint(0, 20), rng.randint(0, 5)
        open_ = rng.randint(0, 15)
        figures = {
            "total": open_ + verified_on_time + verified_late,
            "open": open_,
            "overdue": rng.randint(0, open_),
            "verified": verified_on_time + verified_late,
            "verified_on_time": verified_on_time,
            "verified_late": verified_late,
        }
        return figures | ({"unit": unit} if unit else {})

    action_rows = [actions(unit) for unit in communes]
    totals = {
        name: sum(row[name] for row in action_rows)
        for name in ("total", "open", "overdue", "verified", "verified_on_time", "verified_late")
    }
    severities = ("critical", "major", "minor")
    categories = (
        "discipline",
        "facilities",
        "transparency",
        "dossier_handling",
        "e_government",
        "documents_archives",
        "leadership",
    )
    cells = [
        {"category": category, "severity": severity, "count": rng.randint(0, 400)}
        for category in categories
        for severity in severities
    ]
    by_severity = {s: sum(c["count"] for c in cells if c["severity"] == s) for s in severities}
    by_category = {c: sum(x["count"] for x in cells if x["category"] == c) for c in categories}
    done = sum(entry["inspections"] for entry in ranked)
    indicator_rows = [
        {
            "unit": unit,
            "current": _indicators(rng),
            "previous": _indicators(rng),
            "change": _change(rng),
        }
        for unit in sorted(communes, key=lambda unit: unit["name_vi"])
    ]
    return SummaryOut.model_validate(
        {
            "scope_unit": scope_unit,
            "period": current,
            "previous_period": previous,
            "generated_at": datetime(2026, 10, 1, 2, 30, tzinfo=UTC).isoformat(),
            "time_zone": "Asia/Ho_Chi_Minh",
            "min_inspections": 2,
            "inspections": {
                "done": done,
                "scored": done - 40,
                "by_status": {"signed": done - 60, "closed": 40, "submitted": 20},
            },
            "average_score": 71.43,
            "previous_average_score": 69.8,
            "bands": [
                {
                    "key": key,
                    "label_vi": label,
                    "label_en": key,
                    "min_score": lowest,
                    "count": count,
                    "share": count / max(1, len(ranked)),
                }
                for (key, label, lowest), count in zip(
                    BANDS,
                    [sum(1 for entry in ranked if entry["band"] == key) for key, _, _ in BANDS],
                    strict=True,
                )
            ],
            "ranking": {
                "scope_unit": scope_unit,
                "period": current,
                "previous_period": previous,
                "min_inspections": 2,
                "ranked": ranked,
                "insufficient_data": [
                    {
                        "unit": unit,
                        "inspections": 1,
                        "scored_inspections": 1,
                        "average_score": score,
                    }
                    for unit, score in insufficient
                ],
            },
            "section_results": {
                "sections": [
                    {"key": key, "title_vi": title, "title_en": key} for key, title in SECTIONS
                ],
                "overall": heat_row(None, scope),
                "rows": [heat_row(unit, unit["name_vi"]) for unit in communes],
            },
            "findings": {
                "total": sum(by_severity.values()),
                "by_severity": by_severity,
                "by_category": by_category,
                "cells": cells,
            },
            "actions": totals | {"by_responsible_unit": action_rows},
            "dossier_indicators": {
                "units": indicator_rows,
                "totals": {
                    "unit": None,
                    "current": _indicators(rng),
                    "previous": _indicators(rng),
                    "change": _change(rng),
                },
            },
        }
    )


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def render(data: SummaryOut) -> bytes:
    """What a render worker does with a summary (reports.rendering._render_built)."""
    from reports import rendering, summary_document, summary_service

    return rendering._render_built(
        summary_service.SUMMARY_BUILDER,
        data.model_dump_json(),
        images=None,
        stylesheet=summary_document.STYLESHEET,
    )


def measure(data: SummaryOut, repeats: int = REPEATS) -> dict[str, Any]:
    from pypdf import PdfReader

    load_before = os.getloadavg()
    # The first render of a process loads the fonts, stylesheets and templates (once per render
    # worker): reported apart, not in the median.
    started_cpu, started = _cpu(), time.perf_counter()
    render(data)
    first = {
        "cpu_s": round(_cpu() - started_cpu, 3),
        "wall_s": round(time.perf_counter() - started, 3),
    }
    cpu, wall = [], []
    for _ in range(repeats):
        started_cpu, started = _cpu(), time.perf_counter()
        pdf = render(data)
        cpu.append(_cpu() - started_cpu)
        wall.append(time.perf_counter() - started)
    return {
        "cpu_s_median": round(statistics.median(cpu), 3),
        "wall_s_median": round(statistics.median(wall), 3),
        "first_render_of_the_process": first,
        "cpu_s": [round(value, 3) for value in cpu],
        "wall_s": [round(value, 3) for value in wall],
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "pdf_bytes": len(pdf),
        "load_before": [round(value, 2) for value in load_before],
        "load_after": [round(value, 2) for value in os.getloadavg()],
    }


def bench_summary_pdf() -> dict[str, Any]:
    province = measure(fabricated_summary(UNITS))
    district = measure(fabricated_summary(DISTRICT_UNITS, scope="Huyện Phú An"))
    return {
        "name": "summary-pdf",
        "units": UNITS,
        "repeats": REPEATS,
        "target_s": TARGET_SECONDS,
        "province": province,
        "district": district,
        "province_meets_target": province["cpu_s_median"] < TARGET_SECONDS,
    }

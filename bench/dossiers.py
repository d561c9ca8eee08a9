"""Dossier-ledger import: 100,000 generated dossiers read, parsed and validated from CSV and from
XLSX (server.dossiers.reading), then every rule run over them; against a baseline of the same
file merely read (csv.reader over the decoded text; python-calamine's rows), the floor any reader
of that format pays. The ratio is what parsing and validation add.

`python -m bench dossiers` runs it alone; `SPOTCHECK_BENCH_DOSSIERS=N` changes the row count.
Each read runs in a fresh process (timing and peak resident size), at all the rows and at a
tenth of them: CSV streams, so its peak hardly grows; calamine holds the XLSX sheet's cells.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.rules import RuleContext, check_ledger
from server.dossiers.workdays import shipped_calendar
from server.dossiers.writing import write_csv, write_xlsx


def _median_time(function: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# Each read runs in a fresh process, as an import worker would: the timing is not skewed by the
# 100,000 generated records this process holds (the garbage collector walks them), and the peak
# resident size (VmHWM, which a new program starts afresh, unlike ru_maxrss) is the read's own.
_READ_IN_A_PROCESS = """
import csv, re, sys, time
from pathlib import Path
path, file_format, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
from python_calamine import CalamineWorkbook
from server.dossiers.mapping import shipped_layout
from server.dossiers.reading import read_ledger
layout = shipped_layout("one-stop-export")
started, started_cpu = time.perf_counter(), time.process_time()
if mode == "project":
    reading = read_ledger(path, file_format=file_format, layout=layout)
    count = sum(1 for _ in reading)
    assert reading.report.ok, reading.report.issues[:3]
elif file_format == "csv":
    with path.open(encoding="utf-8-sig", newline="") as stream:
        count = sum(1 for _ in csv.reader(stream)) - 1
else:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    count = sum(1 for _ in sheet.iter_rows()) - 1
elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
status = Path("/proc/self/status").read_text()
peak_kib = int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1))
print(elapsed, cpu, peak_kib, count)
"""


def _read_in_a_process(path: Path, file_format: str, mode: str) -> tuple[float, float, float]:
    """Seconds, CPU seconds and peak resident MB of one read in a fresh process (on a shared
    machine the CPU time is the steadier figure)."""
    output = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_PROCESS, str(path), file_format, mode],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(output[0]), float(output[1]), round(int(output[2]) / 1024, 1)


def _median_read(
    path: Path, file_format: str, mode: str, repeat: int
) -> tuple[float, float, float]:
    runs = [_read_in_a_process(path, file_format, mode) for _ in range(repeat)]
    return (
        statistics.median(run[0] for run in runs),
        statistics.median(run[1] for run in runs),
        max(run[2] for run in runs),
    )


def bench_dossiers(workdir: Path) -> dict[str, Any]:
    rows = int(os.environ.get("SPOTCHECK_BENCH_DOSSIERS", "100000"))
    repeat = int(os.environ.get("SPOTCHECK_BENCH_REPEAT", "3"))
    layout = shipped_layout("one-stop-export")
    ledger = generate_ledger(
        14, count=rows, period_start=date(2024, 1, 1), period_end=date(2024, 3, 31)
    )
    csv_path = workdir / "ledger.csv"
    xlsx_path = workdir / "ledger.xlsx"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as stream:
        write_csv(layout, ledger.records, stream)
    write_xlsx(layout, ledger.records, xlsx_path)

    context = RuleContext(shipped_calendar(), ledger.period_end, ledger.posted_fees)
    result: dict[str, Any] = {
        "name": "dossiers",
        "rows": rows,
        "csv_bytes": csv_path.stat().st_size,
        "xlsx_bytes": xlsx_path.stat().st_size,
    }
    small_csv = workdir / "small.csv"
    small_xlsx = workdir / "small.xlsx"
    with small_csv.open("w", encoding="utf-8-sig", newline="") as stream:
        write_csv(layout, ledger.records[: rows // 10], stream)
    write_xlsx(layout, ledger.records[: rows // 10], small_xlsx)
    for file_format, path, small in (("csv", csv_path, small_csv), ("xlsx", xlsx_path, small_xlsx)):
        project, project_cpu, peak = _median_read(path, file_format, "project", repeat)
        baseline, baseline_cpu, baseline_peak = _median_read(path, file_format, "baseline", repeat)
        _, _, small_peak = _median_read(small, file_format, "project", 1)
        result[file_format] = {
            "read_and_validate_s": round(project, 3),
            "read_and_validate_cpu_s": round(project_cpu, 3),
            "rows_per_s": round(rows / project),
            "baseline_read_only_s": round(baseline, 3),
            "baseline_read_only_cpu_s": round(baseline_cpu, 3),
            "ratio_project_over_baseline": round(project / baseline, 3),
            "peak_rss_mb": peak,
            "peak_rss_mb_tenth_of_rows": small_peak,
            "baseline_peak_rss_mb": baseline_peak,
        }
    gc.freeze()  # the generated ledger is long-lived; the rules' own work is what is timed
    result["rules_over_all_s"] = round(
        _median_time(lambda: check_ledger(ledger.records, context), repeat), 3
    )
    result["load_average"] = os.getloadavg()
    return result

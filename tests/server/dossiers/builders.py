"""Hand-built dossiers for the rule tests: a clean dossier with the fields a test changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from server.dossiers.model import PROVINCE_TIME_ZONE, Channel, DossierRecord, DossierStatus, Moment


def day(text: str) -> Moment:
    """'05/03/2024' → a date-only moment."""
    d, m, y = (int(part) for part in text.split("/"))
    return Moment(date(y, m, d))


def at(text: str) -> Moment:
    """'05/03/2024 08:30' → a moment with its time in the province's zone."""
    stamp = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=PROVINCE_TIME_ZONE)
    return Moment(stamp.date(), stamp)


def dossier(**changes: Any) -> DossierRecord:
    """Received Tue 05/03/2024, due Thu 07/03/2024, resolved and returned on time, online with
    files and a result file, no fee, no apology slip (its ledger has a slip column): trips no
    rule."""
    base = DossierRecord(
        dossier_code="PD-0001",
        received=at("05/03/2024 08:30"),
        appointed_return=day("07/03/2024"),
        procedure_code="2.000635",
        procedure_name="Đăng ký khai sinh",
        channel=Channel.online,
        transferred=at("05/03/2024 09:00"),
        resolved=at("06/03/2024 15:00"),
        returned=at("07/03/2024 09:00"),
        component_files=2,
        result_file_present=True,
        fee=0,
        paid_online=None,
        apology_slips=(),
        supplement_requests=0,
        status=DossierStatus.returned,
    )
    return replace(base, **changes)

"""A realistic dossier ledger for the demo and the tests, generated from a seed.

A commune's one-stop shop over a period (a quarter by default): a dozen common commune
procedures with their processing times and fees, dossiers received on working days in office
hours, about 40 % online, most resolved and returned on time, a few rescheduled properly with an
apology slip, some still in progress at the end of the period (not yet due). Into that it plants
known problems, one kind per planted dossier, and lists them: ``planted`` maps each planted
dossier's code to the exact set of rules it must trip, worked out here from how the dossier was
built (never by running the rules), so a test can check that the rules find exactly those and
nothing in the clean dossiers.

The procedure codes and fees are illustrative, in the shape of the national procedure
database's codes, not copied from it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Final

from server.dossiers.model import PROVINCE_TIME_ZONE, Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.workdays import WorkingCalendar, shipped_calendar


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    working_days: int  # processing time; 0 = the same day
    fee: int  # VND, 0 = none due
    online_share: float
    per_page: bool = False  # the fee is per page: a ledger cannot show it is wrong


PROCEDURES: Final = (
    Procedure("2.000635", "Đăng ký khai sinh", 1, 0, 0.55),
    Procedure("1.004227", "Đăng ký kết hôn", 3, 0, 0.35),
    Procedure("1.003622", "Đăng ký khai tử", 1, 0, 0.45),
    Procedure("1.001612", "Cấp Giấy xác nhận tình trạng hôn nhân", 3, 0, 0.6),
    Procedure("2.000986", "Cấp bản sao trích lục hộ tịch", 0, 8_000, 0.5),
    Procedure(
        "2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", 0, 2_000, 0.3, per_page=True
    ),
    Procedure("2.001255", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản", 2, 50_000, 0.1),
    Procedure("1.000656", "Đăng ký giám hộ", 3, 0, 0.2),
    Procedure("1.001193", "Đăng ký nhận cha, mẹ, con", 3, 15_000, 0.25),
    Procedure(
        "2.002163", "Xác nhận hộ gia đình làm nông nghiệp có mức sống trung bình", 7, 0, 0.15
    ),
    Procedure("1.008901", "Cấp giấy phép xây dựng nhà ở riêng lẻ (nông thôn)", 15, 75_000, 0.4),
)

# As the shipped fee catalogue posts them (fee_catalogues/vn.yaml, `ninh-binh`; a test holds the
# two together): per-page fees are not comparable, so not posted for the rules.
POSTED_FEES: Final = {
    procedure.code: procedure.fee for procedure in PROCEDURES if not procedure.per_page
}

# The kinds of planted problem and the share of dossiers that get each one.
PLANTS: Final = {
    "late_no_apology_returned": 0.012,
    "late_no_apology_waiting": 0.004,
    "apology_too_late": 0.006,
    "rescheduled_twice": 0.005,
    "no_result_file": 0.012,
    "online_no_files": 0.010,
    "resolved_before_received": 0.005,
    "returned_before_resolved": 0.004,
    "returned_late": 0.008,
    "backlog": 0.006,
    "fee_differs": 0.005,
    "fee_not_due": 0.004,
    "supplement_twice": 0.005,
}
EXPECTED: Final[dict[str, frozenset[str]]] = {
    "late_no_apology_returned": frozenset({"late_without_apology", "returned_late"}),
    "late_no_apology_waiting": frozenset({"late_without_apology"}),
    "apology_too_late": frozenset({"apology_too_late"}),
    "rescheduled_twice": frozenset({"rescheduled_more_than_once"}),
    "no_result_file": frozenset({"resolved_without_result_file"}),
    "online_no_files": frozenset({"online_without_component_files"}),
    "resolved_before_received": frozenset({"impossible_sequence"}),
    "returned_before_resolved": frozenset({"impossible_sequence"}),
    "returned_late": frozenset({"returned_late"}),
    "backlog": frozenset({"backlog_at_period_end"}),
    "fee_differs": frozenset({"fee_differs"}),
    "fee_not_due": frozenset({"fee_not_due"}),
    "supplement_twice": frozenset({"supplement_requested_more_than_once"}),
}


@dataclass(frozen=True)
class GeneratedLedger:
    records: list[DossierRecord]
    planted: dict[str, frozenset[str]]  # dossier code → the rules it must trip
    planted_kinds: dict[str, str]  # dossier code → the kind of problem planted
    period_start: date
    period_end: date
    posted_fees: dict[str, int]


def generate_ledger(
    seed: int,
    *,
    unit_code: str = "PD",
    period_start: date = date(2024, 1, 1),
    period_end: date = date(2024, 3, 31),
    count: int = 3000,
    plant: bool = True,
    calendar: WorkingCalendar | None = None,
) -> GeneratedLedger:
    calendar = calendar or shipped_calendar()
    rng = random.Random(seed)
    days = [
        period_start + timedelta(days=offset)
        for offset in range((period_end - period_start).days + 1)
        if calendar.is_working_day(period_start + timedelta(days=offset))
    ]
    received_days = sorted(rng.choice(days) for _ in range(count))
    records: list[DossierRecord] = []
    planted: dict[str, frozenset[str]] = {}
    kinds: dict[str, str] = {}
    builder = _Builder(rng, calendar, period_end)
    for sequence, day in enumerate(received_days, start=1):
        code = f"{unit_code}-{day:%y%m%d}-{sequence:05d}"
        record = builder.clean(code, day)
        kind = builder.pick_plant() if plant else None
        if kind is not None:
            changed = builder.plant(kind, record)
            if changed is not None:
                record = changed
                planted[code] = EXPECTED[kind]
                kinds[code] = kind
        records.append(record)
    return GeneratedLedger(records, planted, kinds, period_start, period_end, dict(POSTED_FEES))


def _at(day: date, clock: time) -> Moment:
    return Moment(day, datetime.combine(day, clock, tzinfo=PROVINCE_TIME_ZONE))


class _Builder:
    def __init__(self, rng: random.Random, calendar: WorkingCalendar, period_end: date) -> None:
        self.rng = rng
        self.calendar = calendar
        self.period_end = period_end

    def office_time(self, earliest: int = 7 * 60 + 30, latest: int = 16 * 60 + 45) -> time:
        minute = self.rng.randint(earliest, latest)
        return time(minute // 60, minute % 60)

    def pick_plant(self) -> str | None:
        draw = self.rng.random()
        for kind, share in PLANTS.items():
            if draw < share:
                return kind
            draw -= share
        return None

    def clean(self, code: str, day: date) -> DossierRecord:
        """A dossier with nothing wrong: on time, or properly rescheduled, or not yet due."""
        rng, calendar = self.rng, self.calendar
        procedure = rng.choice(PROCEDURES)
        draw = rng.random()
        if draw < procedure.online_share:
            channel = Channel.online
        elif draw < procedure.online_share + 0.04:
            channel = Channel.post
        else:
            channel = Channel.in_person
        received_clock = self.office_time(latest=15 * 60)
        received = _at(day, received_clock)
        appointed = Moment(calendar.add_working_days(day, procedure.working_days))
        transferred = _at(day, self.later_clock(received_clock))
        files = rng.randint(1, 6) if channel is Channel.online else rng.randint(0, 4)
        paid_online = channel is Channel.online and rng.random() < 0.6 if procedure.fee else None
        base = DossierRecord(
            dossier_code=code,
            received=received,
            appointed_return=appointed,
            procedure_code=procedure.code,
            procedure_name=procedure.name,
            channel=channel,
            handling_agency="UBND xã" if procedure.working_days < 15 else "Phòng Kinh tế",
            transferred=transferred,
            component_files=files,
            result_file_present=False,  # the system has no result file yet
            fee=procedure.fee,
            paid_online=paid_online,
            apology_slips=(),  # the generic export has a slip column
            supplement_requests=1 if rng.random() < 0.05 else 0,
            status=DossierStatus.processing,
        )
        if appointed.day >= self.period_end and rng.random() < 0.7:
            return base  # still in progress at the end of the period, not yet due
        if rng.random() < 0.03 and procedure.working_days >= 2:
            return self.rescheduled_properly(base)
        resolved_day = self.day_between(day, appointed.day)
        return self.finished(base, resolved_day, appointed.day)

    def later_clock(self, clock: time, minutes: int = 90) -> time:
        total = min(clock.hour * 60 + clock.minute + self.rng.randint(5, minutes), 17 * 60)
        return time(total // 60, total % 60)

    def day_between(self, first: date, last: date) -> date:
        span = self.calendar.working_days_between(first, last)
        return self.calendar.add_working_days(first, self.rng.randint(0, max(span, 0)))

    def finished(
        self, record: DossierRecord, resolved_day: date, latest_return: date
    ) -> DossierRecord:
        """Resolved on ``resolved_day`` (after the transfer) and returned by ``latest_return``
        (some left waiting for the applicant)."""
        assert record.transferred is not None and record.transferred.at is not None
        earliest = record.transferred.at.time() if resolved_day == record.received.day else None
        resolved_clock = (
            self.later_clock(earliest, 120) if earliest else self.office_time(latest=16 * 60)
        )
        resolved = _at(resolved_day, resolved_clock)
        if self.rng.random() < 0.15 or resolved_day > self.period_end:
            return replace(
                record, resolved=resolved, result_file_present=True, status=DossierStatus.resolved
            )
        return_day = self.day_between(resolved_day, max(latest_return, resolved_day))
        returned_clock = (
            self.later_clock(resolved_clock, 60)
            if return_day == resolved_day
            else self.office_time()
        )
        return replace(
            record,
            resolved=resolved,
            returned=_at(return_day, returned_clock),
            result_file_present=True,
            status=DossierStatus.returned,
        )

    def rescheduled_properly(self, record: DossierRecord) -> DossierRecord:
        calendar = self.calendar
        appointed = record.appointed_return.day
        slip_day = calendar.add_working_days(appointed, -self.rng.randint(1, 2))
        slip_day = max(slip_day, record.received.day)
        if calendar.working_days_between(slip_day, appointed) < 1:
            return self.finished(record, appointed, appointed)  # too short to reschedule
        new_day = calendar.add_working_days(appointed, self.rng.randint(2, 5))
        rescheduled = replace(
            record, apology_slips=(Moment(slip_day),), new_appointed_returns=(Moment(new_day),)
        )
        resolved_day = calendar.add_working_days(appointed, 1)
        return self.finished(rescheduled, min(resolved_day, new_day), new_day)

    # --- planted problems -----------------------------------------------------------------------

    def plant(self, kind: str, record: DossierRecord) -> DossierRecord | None:
        """``record`` with the problem ``kind``, built so that it trips exactly the rules in
        EXPECTED[kind]; None when this record cannot carry it (then it stays clean)."""
        calendar, rng = self.calendar, self.rng
        appointed = record.appointed_return.day
        fresh = replace(
            record,
            apology_slips=(),
            new_appointed_returns=(),
            resolved=None,
            returned=None,
            status=DossierStatus.processing,
        )
        late_day = calendar.add_working_days(appointed, rng.randint(1, 3))
        if late_day > self.period_end:
            return None  # a late resolution (or return) must still fall in the period
        if kind == "late_no_apology_returned":
            resolved = _at(late_day, self.office_time(latest=15 * 60))
            returned = _at(late_day, self.later_clock(resolved.at.time(), 60))  # type: ignore[union-attr]
            return replace(
                fresh,
                resolved=resolved,
                returned=returned,
                result_file_present=True,
                status=DossierStatus.returned,
            )
        if kind == "late_no_apology_waiting":
            return replace(
                fresh,
                resolved=_at(late_day, self.office_time()),
                result_file_present=True,
                status=DossierStatus.resolved,
            )
        if kind == "apology_too_late":
            slip_day = appointed if rng.random() < 0.5 else late_day
            new_day = calendar.add_working_days(late_day, 3)
            if new_day > self.period_end or slip_day < record.received.day:
                return None
            rescheduled = replace(
                fresh, apology_slips=(Moment(slip_day),), new_appointed_returns=(Moment(new_day),)
            )
            return self.finished(rescheduled, max(late_day, slip_day), new_day)
        if kind == "rescheduled_twice":
            if calendar.working_days_between(record.received.day, appointed) < 1:
                return None
            first_slip = calendar.add_working_days(appointed, -1)
            first_new = calendar.add_working_days(appointed, 2)
            second_slip = calendar.add_working_days(first_new, -1)
            second_new = calendar.add_working_days(first_new, 3)
            if second_new > self.period_end:
                return None
            rescheduled = replace(
                fresh,
                apology_slips=(Moment(first_slip), Moment(second_slip)),
                new_appointed_returns=(Moment(first_new), Moment(second_new)),
            )
            return self.finished(rescheduled, calendar.add_working_days(first_new, 1), second_new)
        on_time = self.finished(fresh, self.day_between(record.received.day, appointed), appointed)
        if kind == "no_result_file":
            return replace(on_time, result_file_present=False)
        if kind == "online_no_files":
            return replace(on_time, channel=Channel.online, component_files=0)
        if kind == "resolved_before_received":
            # Either the same day at an earlier hour or a day before: the system's times were
            # typed in after the fact.
            received_clock = record.received.at.time()  # type: ignore[union-attr]
            if received_clock >= time(8, 0) and rng.random() < 0.5:
                resolved = _at(record.received.day, self.office_time(7 * 60, 7 * 60 + 45))
            else:
                earlier = record.received.day - timedelta(days=1)
                if not calendar.covers(earlier):
                    return None
                resolved = _at(earlier, self.office_time())
            return replace(on_time, resolved=resolved, returned=None, status=DossierStatus.resolved)
        if kind == "returned_before_resolved":
            if on_time.resolved is None or on_time.resolved.day == record.received.day:
                return None
            assert on_time.resolved.at is not None
            return replace(
                on_time,
                returned=_at(record.received.day, self.later_clock(record.received.at.time())),  # type: ignore[union-attr]
                status=DossierStatus.returned,
            )
        if kind == "returned_late":
            assert on_time.resolved is not None
            return replace(
                on_time, returned=_at(late_day, self.office_time()), status=DossierStatus.returned
            )
        if kind == "backlog":
            if appointed >= self.period_end:
                return None
            return fresh
        if kind == "fee_differs":
            if not record.fee or record.procedure_code not in POSTED_FEES:
                return None
            return replace(on_time, fee=record.fee + rng.choice((10_000, 20_000, 50_000)))
        if kind == "fee_not_due":
            if record.fee:
                return None
            return replace(on_time, fee=rng.choice((20_000, 30_000, 50_000)), paid_online=False)
        if kind == "supplement_twice":
            return replace(on_time, supplement_requests=rng.randint(2, 3))
        raise ValueError(f"unknown planted kind {kind!r}")

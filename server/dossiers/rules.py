"""The checks run over every dossier of a ledger, and what they add up to for a unit.

Each rule is a pure function of one record and a :class:`RuleContext` (the working-day calendar,
the period's last day, the posted fees) that returns a short detail, in Vietnamese and English
(:class:`~server.dossiers.texts.Text`), when the dossier breaks it, else None. Its severity, titles and legal bases are data (``rules.yaml``), the basis
chosen by the day the dossier was received. A rule that needs a field the ledger does not give
(unknown, ``None``) does not fire: no evidence, no flag.

Dates, not hours: every comparison with an appointed date is by calendar day (a result on the
appointed day is on time), and the order of events uses instants when both sides have a time.
The date "in force" is the last rescheduled date of an apology slip (form 04), else the
appointment (form 01).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from server.dossiers.model import Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.texts import Text, day_text, joined
from server.dossiers.workdays import WorkingCalendar


class Severity(enum.StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


@dataclass(frozen=True)
class RuleContext:
    calendar: WorkingCalendar
    period_end: date | None = None  # backlog is judged at the end of this day
    posted_fees: Mapping[str, int] | None = None  # procedure code → fee in VND (0: none due)


@dataclass(frozen=True, slots=True)
class LegalBasis:
    text: str
    verified: bool
    valid_from: date | None
    valid_until: date | None

    def applies_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True)
class RuleInfo:
    code: str
    severity: Severity
    title_vi: str
    title_en: str
    legal_bases: tuple[LegalBasis, ...]

    def basis_on(self, day: date) -> LegalBasis | None:
        return next((basis for basis in self.legal_bases if basis.applies_on(day)), None)


@dataclass(frozen=True, slots=True)
class Flag:
    rule: str
    severity: Severity
    detail: Text
    legal_basis: str | None


Check = Callable[[DossierRecord, RuleContext], Text | None]


# --- the rules ----------------------------------------------------------------------------------


def late_without_apology(record: DossierRecord, context: RuleContext) -> Text | None:
    resolved = record.resolved
    # No slip column (None) is not "no slip": without the column the ledger cannot tell.
    if resolved is None or record.apology_slips is None or record.apology_slips:
        return None
    if resolved.day <= record.appointed_return.day:
        return None
    done, appointed = day_text(resolved.day), day_text(record.appointed_return.day)
    return Text(
        vi=f"có kết quả ngày {done}, sau ngày hẹn trả {appointed}, không có phiếu xin lỗi và "
        "hẹn lại ngày trả kết quả",
        en=f"resolved {done}, after the appointed {appointed}, with no apology slip",
    )


def apology_too_late(record: DossierRecord, context: RuleContext) -> Text | None:
    # Each slip must be issued on or before the working day preceding the date it reschedules,
    # so the one-stop shop has a working day to tell the applicant: the first slip reschedules
    # the appointment, a later one the date the previous slip gave. A slip dated on a weekend or
    # holiday just before the date is too late (no working day is left).
    if not record.apology_slips:  # none, or no slip column
        return None
    rescheduled = (record.appointed_return, *record.new_appointed_returns)
    late = []
    for index, slip in enumerate(record.apology_slips):
        if index >= len(rescheduled):
            break
        target = rescheduled[index].day
        if context.calendar.working_days_from(slip.day, target) < 1:
            issued, moved = day_text(slip.day), day_text(target)
            late.append(
                Text(
                    vi=f"phiếu ngày {issued} cho ngày hẹn {moved}",
                    en=f"slip of {issued} for the date {moved}",
                )
            )
    if not late:
        return None
    return Text(
        vi="phiếu xin lỗi lập chưa đủ một ngày làm việc trước ngày hẹn trả được dời: ",
        en="issued less than one working day before the date it reschedules: ",
    ) + joined(late)


def rescheduled_more_than_once(record: DossierRecord, context: RuleContext) -> Text | None:
    # Without a slip column the new return dates alone count (none in form 06).
    times = max(len(record.apology_slips or ()), len(record.new_appointed_returns))
    if times <= 1:
        return None
    return Text(vi=f"hẹn lại ngày trả kết quả {times} lần", en=f"rescheduled {times} times")


_DONE: Final = frozenset({DossierStatus.resolved, DossierStatus.returned})


def resolved_without_result_file(record: DossierRecord, context: RuleContext) -> Text | None:
    done = record.resolved is not None or record.status in _DONE
    if not done or record.result_file_present is not False:
        return None
    if record.status in (DossierStatus.rejected, DossierStatus.withdrawn):
        return None
    return Text(
        vi="đã có kết quả nhưng trên hệ thống không có tệp kết quả giải quyết",
        en="resolved, but the system holds no result file",
    )


def online_without_component_files(record: DossierRecord, context: RuleContext) -> Text | None:
    if record.channel is Channel.online and record.component_files == 0:
        return Text(
            vi="nộp trực tuyến nhưng không đính kèm thành phần hồ sơ",
            en="submitted online with no component files attached",
        )
    return None


_STEP_NAMES: Final = {
    "received": "tiếp nhận",
    "transferred": "chuyển xử lý",
    "resolved": "có kết quả",
    "returned": "trả kết quả",
}


def _order_problems(record: DossierRecord) -> list[Text]:
    steps: list[tuple[str, Moment | None]] = [
        ("received", record.received),
        ("transferred", record.transferred),
        ("resolved", record.resolved),
        ("returned", record.returned),
    ]
    problems = []
    for later_index in range(1, len(steps)):
        later_name, later = steps[later_index]
        if later is None:
            continue
        for earlier_name, earlier in steps[:later_index]:
            if earlier is not None and later.is_before(earlier):
                problems.append(
                    Text(
                        vi=f"thời điểm {_STEP_NAMES[later_name]} ({_shown(later)}) trước thời "
                        f"điểm {_STEP_NAMES[earlier_name]} ({_shown(earlier)})",
                        en=f"{later_name} {_shown(later)} before {earlier_name} {_shown(earlier)}",
                    )
                )
    return problems


def _shown(moment: Moment) -> str:
    return f"{moment.at:%d/%m/%Y %H:%M}" if moment.at else f"{moment.day:%d/%m/%Y}"


def impossible_sequence(record: DossierRecord, context: RuleContext) -> Text | None:
    problems = _order_problems(record)
    return joined(problems) if problems else None


def returned_late(record: DossierRecord, context: RuleContext) -> Text | None:
    returned = record.returned
    if returned is None or returned.day <= record.due:
        return None
    handed, due = day_text(returned.day), day_text(record.due)
    return Text(
        vi=f"trả kết quả ngày {handed}, sau ngày hẹn trả {due}",
        en=f"returned {handed}, after the date in force {due}",
    )


def is_pending_at(record: DossierRecord, day: date) -> bool:
    """Received by ``day`` and, at its end, neither resolved nor returned, refused or withdrawn.
    A resolution dated after ``day`` (a ledger exported later) still counts as pending then."""
    if record.received.day > day:
        return False
    if record.status in (DossierStatus.rejected, DossierStatus.withdrawn):
        return False
    for finished in (record.resolved, record.returned):
        if finished is not None and finished.day <= day:
            return False
    if record.resolved is None and record.returned is None and record.status in _DONE:
        return False  # the system says done without a date: not evidence of a backlog
    return True


def is_overdue_at(record: DossierRecord, day: date) -> bool:
    """Pending at the end of ``day`` with its date in force before it. A dossier waiting for the
    applicant's supplement (form 02) is not overdue: its clock starts again on resubmission."""
    return (
        is_pending_at(record, day)
        and record.due < day
        and record.status is not DossierStatus.awaiting_supplement
    )


def backlog_at_period_end(record: DossierRecord, context: RuleContext) -> Text | None:
    end = context.period_end
    if end is None or not is_overdue_at(record, end):
        return None
    last, due = day_text(end), day_text(record.due)
    return Text(
        vi=f"đến hết ngày {last} chưa giải quyết xong, hẹn trả ngày {due}",
        en=f"unresolved at {last}, due {due}",
    )


def _money(amount: int) -> str:
    """Vietnamese thousands: 20.000."""
    return f"{amount:,}".replace(",", ".")


def _money_en(amount: int) -> str:
    """English thousands: 20,000."""
    return f"{amount:,}"


def fee_not_due(record: DossierRecord, context: RuleContext) -> Text | None:
    posted = _posted_fee(record, context)
    if posted != 0 or not record.fee:
        return None
    return Text(
        vi=f"thu {_money(record.fee)} đồng đối với thủ tục không thu phí, lệ phí",
        en=f"{_money_en(record.fee)} VND collected for a procedure with no fee",
    )


def fee_differs(record: DossierRecord, context: RuleContext) -> Text | None:
    posted = _posted_fee(record, context)
    if not posted or record.fee is None or record.fee == posted:
        return None
    return Text(
        vi=f"thu {_money(record.fee)} đồng, khác mức phí, lệ phí niêm yết {_money(posted)} đồng",
        en=f"{_money_en(record.fee)} VND collected, the posted fee is {_money_en(posted)} VND",
    )


def _posted_fee(record: DossierRecord, context: RuleContext) -> int | None:
    if context.posted_fees is None or record.procedure_code is None:
        return None
    return context.posted_fees.get(record.procedure_code)


def supplement_requested_more_than_once(record: DossierRecord, context: RuleContext) -> Text | None:
    requests = record.supplement_requests
    if not requests or requests <= 1:
        return None
    return Text(
        vi=f"yêu cầu bổ sung hồ sơ {requests} lần", en=f"supplement requested {requests} times"
    )


CHECKS: Final[dict[str, Check]] = {
    "late_without_apology": late_without_apology,
    "apology_too_late": apology_too_late,
    "rescheduled_more_than_once": rescheduled_more_than_once,
    "resolved_without_result_file": resolved_without_result_file,
    "online_without_component_files": online_without_component_files,
    "impossible_sequence": impossible_sequence,
    "returned_late": returned_late,
    "backlog_at_period_end": backlog_at_period_end,
    "fee_not_due": fee_not_due,
    "fee_differs": fee_differs,
    "supplement_requested_more_than_once": supplement_requested_more_than_once,
}


# --- rule data ----------------------------------------------------------------------------------


def parse_rule_data(text: str) -> dict[str, RuleInfo]:
    data: Any = yaml.safe_load(text)
    rules = {}
    for code, entry in data["rules"].items():
        rules[code] = RuleInfo(
            code=code,
            severity=Severity(entry["severity"]),
            title_vi=entry["title"]["vi"],
            title_en=entry["title"]["en"],
            legal_bases=tuple(
                LegalBasis(
                    text=basis["text"],
                    verified=bool(basis.get("verified", False)),
                    valid_from=basis.get("from"),
                    valid_until=basis.get("until"),
                )
                for basis in entry["legal_basis"]
            ),
        )
    if set(rules) != set(CHECKS):
        missing = sorted(set(CHECKS) - set(rules))
        unknown = sorted(set(rules) - set(CHECKS))
        raise ValueError(
            f"rules.yaml and the checks disagree: missing {missing}, unknown {unknown}"
        )
    return rules


@cache
def rule_catalogue() -> dict[str, RuleInfo]:
    """The shipped rules' data, keyed by code, in the order of :data:`CHECKS`."""
    text = resources.files("server.dossiers").joinpath("rules.yaml").read_text("utf-8")
    rules = parse_rule_data(text)
    return {code: rules[code] for code in CHECKS}


# --- running them -------------------------------------------------------------------------------


def check_dossier(record: DossierRecord, context: RuleContext) -> tuple[Flag, ...]:
    flags = []
    for code, info in rule_catalogue().items():
        detail = CHECKS[code](record, context)
        if detail is not None:
            basis = info.basis_on(record.received.day)
            flags.append(Flag(code, info.severity, detail, basis.text if basis else None))
    return tuple(flags)


@dataclass
class FlagCounts:
    """What a unit's ledger adds up to."""

    dossiers: int = 0
    flagged_dossiers: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)

    def add(self, flags: tuple[Flag, ...]) -> None:
        self.dossiers += 1
        if flags:
            self.flagged_dossiers += 1
        for flag in flags:
            self.by_rule[flag.rule] += 1
            self.by_severity[flag.severity] += 1


@dataclass
class LedgerCheck:
    """Per-dossier flags (only the flagged dossiers) and counts, overall and per unit."""

    flags: dict[str, tuple[Flag, ...]]
    totals: FlagCounts
    by_unit: dict[str, FlagCounts]


def check_ledger(
    records: Iterable[DossierRecord],
    context: RuleContext,
    *,
    unit_of: Callable[[DossierRecord], str] | None = None,
) -> LedgerCheck:
    """Every rule over every record. ``unit_of`` names the unit a dossier counts for (default:
    the one unit of the ledger, ``""``; a district-wide export may group by handling agency)."""
    flags: dict[str, tuple[Flag, ...]] = {}
    totals = FlagCounts()
    by_unit: dict[str, FlagCounts] = {}
    for record in records:
        found = check_dossier(record, context)
        if found:
            flags[record.dossier_code] = found
        totals.add(found)
        unit = unit_of(record) if unit_of else ""
        by_unit.setdefault(unit, FlagCounts()).add(found)
    return LedgerCheck(flags, totals, by_unit)

"""Checklist items that fill themselves from the unit's dossier ledger (issue 14, item 4): pure
functions over the stored records, no I/O.

A checklist item names a measure (``prefill: {source: dossier_ledger, measure: …}``, the closed
set ``checklists.format.DOSSIER_LEDGER_MEASURES``). Each measure is computed here from the same
predicates as the ledger's flags and indicators (``rules.py``, ``indicators.py``), so the
checklist, the flagged list and the indicators never disagree about a dossier.

**The period** is :func:`prefill_period`: the 90 days that end the day before the visit (cut short
at the last day the unit's imported ledgers cover), as local calendar days of the unit (the dossiers' days are stored as the ledger gave them, in the unit's
time zone, so a dossier received at 23:30 on the last day is in, one at 00:30 on the visit day
is out). The domain brief names no period for an unannounced visit; the template's section D
asks for "the last 30–90 days", and 90 days is a quarter, the period the one-stop system's
reports use. One function, so it can later follow a plan's own period.

**Definitions** (the dossiers "of the period" are those received in it; "resolved in the period"
goes by the resolved date, whenever the dossier was received):

| measure | kind | numerator / count | denominator |
|---|---|---|---|
| ``online_share`` | share | online dossiers of the period | those whose channel is known |
| ``online_payment_share`` | share | dossiers of the period paid online | those with a fee above 0 and a known payment mode |
| ``online_with_component_files_share`` | share | online dossiers of the period that ``online_without_component_files`` does not flag | online dossiers of the period whose file count is known |
| ``resolved_with_result_file_share`` | share | dossiers resolved in the period that ``resolved_without_result_file`` does not flag | dossiers resolved in the period (not refused or withdrawn) whose result-file column is known |
| ``resolved_late_share`` | share | dossiers resolved in the period after their original appointed date | dossiers resolved in the period (the complement of the on-time indicator) |
| ``late_without_proper_apology`` | count | of those resolved late, the ones ``late_without_apology``, ``apology_too_late`` or ``rescheduled_more_than_once`` flags | |
| ``backlog`` | count | the backlog indicator at the end of the period's last day (``is_overdue_at``) | |

A share whose denominator is 0 is not offered (``None``): the ledger cannot tell, so the inspector
answers. A count is offered when the period has dossiers, except ``late_without_proper_apology``
when a dossier resolved late has unknown apology slips (``None``: its ledger had no slip column,
as form 06 has none): the count would pass over it.

**From the sealed sample's checks** (``prefill: {source: dossier_sample, measure: …}``, the closed
set ``checklists.format.DOSSIER_SAMPLE_MEASURES``): :func:`sample_measures` over the checks the
team recorded for the inspection's sampled dossiers (not the ledger). The phone computes the same
formula from its local checks (``mobile_app/src/rules/prefill.ts``), so the value it offers is
live as checks are recorded; the server recomputes it from the stored checks at submit.

| measure | kind | count | "checked" (the n of "n of m") |
|---|---|---|---|
| ``date_mismatches`` | count | sampled dossiers with ``mismatch`` on the received, resolved or returned date | sampled dossiers with ``match`` or ``mismatch`` on at least one of those three dates |
| ``receipt_slip_share`` | share | sampled dossiers whose ``receipt_slip`` is ``match`` / those whose ``receipt_slip`` is ``match`` or ``mismatch`` | the denominator |

Nothing is offered before one sampled dossier has a date compared: no checks say nothing. A check
of a code outside the sample is ignored (the op refuses it anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Final

from checklists.format import DOSSIER_LEDGER_MEASURES, DOSSIER_SAMPLE_MEASURES, MeasureKind
from server.dossiers.indicators import PeriodIndicators, period_indicators
from server.dossiers.model import Channel, DossierRecord, DossierStatus
from server.dossiers.rules import (
    RuleContext,
    apology_too_late,
    late_without_apology,
    online_without_component_files,
    rescheduled_more_than_once,
    resolved_without_result_file,
)

PREFILL_PERIOD_DAYS: Final = 90


def prefill_period(
    visit_date: date, *, ledger_covers_until: date | None = None
) -> tuple[date, date] | None:
    """The ledger period a visit's pre-filled items describe: the 90 local days ending the day
    before the visit (both ends included; the visit date is the unit's local date), cut short at
    the last day the unit's imported ledgers cover, when that is earlier: a ledger exported weeks
    before the visit knows nothing of the weeks after, and a dossier it shows as pending may have
    been resolved since, so its figures are stated for the days it covers. None when the ledger
    ends before the period starts."""
    period_to = visit_date - timedelta(days=1)
    period_from = period_to - timedelta(days=PREFILL_PERIOD_DAYS - 1)
    if ledger_covers_until is not None and ledger_covers_until < period_to:
        period_to = ledger_covers_until
    return (period_from, period_to) if period_from <= period_to else None


@dataclass(frozen=True, slots=True)
class MeasureValue:
    """A count (``value``) or a share (``numerator`` of ``denominator``)."""

    value: int | None = None
    numerator: int | None = None
    denominator: int | None = None

    def as_answer(self) -> dict[str, int | None]:
        """The answer's fields this value fills."""
        if self.value is not None:
            return {"value": self.value}
        return {"numerator": self.numerator, "denominator": self.denominator}


def _share(numerator: int, denominator: int) -> MeasureValue | None:
    return MeasureValue(numerator=numerator, denominator=denominator) if denominator else None


@dataclass(frozen=True)
class _Period:
    start: date
    end: date
    records: Sequence[DossierRecord]
    context: RuleContext

    @cached_property
    def indicators(self) -> PeriodIndicators:
        return period_indicators(
            self.records, period_start=self.start, period_end=self.end, context=self.context
        )

    def received(self) -> list[DossierRecord]:
        return [r for r in self.records if self.start <= r.received.day <= self.end]

    def resolved(self) -> list[DossierRecord]:
        return [
            r
            for r in self.records
            if r.resolved is not None and self.start <= r.resolved.day <= self.end
        ]


def _online_share(period: _Period) -> MeasureValue | None:
    online = period.indicators.online
    return _share(online.numerator, online.denominator)


def _online_payment_share(period: _Period) -> MeasureValue | None:
    paid = period.indicators.online_payment
    return _share(paid.numerator, paid.denominator)


def _online_with_component_files_share(period: _Period) -> MeasureValue | None:
    online = [
        r
        for r in period.received()
        if r.channel is Channel.online and r.component_files is not None
    ]
    missing = sum(online_without_component_files(r, period.context) is not None for r in online)
    return _share(len(online) - missing, len(online))


def _resolved_with_result_file_share(period: _Period) -> MeasureValue | None:
    resolved = [
        r
        for r in period.resolved()
        if r.result_file_present is not None
        and r.status not in (DossierStatus.rejected, DossierStatus.withdrawn)
    ]
    missing = sum(resolved_without_result_file(r, period.context) is not None for r in resolved)
    return _share(len(resolved) - missing, len(resolved))


def _resolved_late(period: _Period) -> list[DossierRecord]:
    # The complement of the on-time indicator: a result after the *original* appointed date is
    # late, rescheduled or not (the apology slip excuses nothing, it is owed because of it).
    return [r for r in period.resolved() if r.resolved and r.resolved.day > r.appointed_return.day]


def _resolved_late_share(period: _Period) -> MeasureValue | None:
    return _share(len(_resolved_late(period)), len(period.resolved()))


_APOLOGY_RULES: Final = (late_without_apology, apology_too_late, rescheduled_more_than_once)


def _late_without_proper_apology(period: _Period) -> MeasureValue | None:
    late = _resolved_late(period)
    if any(r.apology_slips is None for r in late):
        return None  # the rules are silent on unknown slips: a count would read as "apologised"
    count = sum(any(rule(r, period.context) is not None for rule in _APOLOGY_RULES) for r in late)
    return MeasureValue(value=count)


def _backlog(period: _Period) -> MeasureValue | None:
    return MeasureValue(value=period.indicators.backlog)


MEASURES: Final[dict[str, Callable[[_Period], MeasureValue | None]]] = {
    "online_share": _online_share,
    "online_payment_share": _online_payment_share,
    "online_with_component_files_share": _online_with_component_files_share,
    "resolved_with_result_file_share": _resolved_with_result_file_share,
    "resolved_late_share": _resolved_late_share,
    "late_without_proper_apology": _late_without_proper_apology,
    "backlog": _backlog,
}
if set(MEASURES) != set(DOSSIER_LEDGER_MEASURES):  # pragma: no cover (a test keeps them equal)
    raise RuntimeError("the checklist format's measures and the ledger's disagree")


@dataclass(frozen=True)
class LedgerPrefill:
    """What the ledger says for a period: the values of the measures it can answer."""

    period_from: date
    period_to: date
    dossiers: int  # received in the period
    values: dict[str, MeasureValue]  # measure → value; a measure it cannot answer is absent


def compute_measures(
    records: Iterable[DossierRecord],
    measures: Iterable[str],
    *,
    period_from: date,
    period_to: date,
    context: RuleContext,
) -> LedgerPrefill | None:
    """The measures over the records for the period, or None when no dossier was received in
    it (a ledger that does not reach the period says nothing about it). ``context`` gives the
    calendar and fees; backlog is judged at the end of ``period_to``."""
    if period_to < period_from:
        raise ValueError("the period ends before it starts")
    wanted = list(dict.fromkeys(measures))
    unknown = [name for name in wanted if name not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measures: {', '.join(unknown)}")
    records = list(records)
    period = _Period(
        period_from,
        period_to,
        records,
        RuleContext(context.calendar, period_to, context.posted_fees),
    )
    dossiers = len(period.received())
    if dossiers == 0:
        return None
    values = {}
    for name in wanted:
        value = MEASURES[name](period)
        if value is not None:
            assert (value.value is not None) == (DOSSIER_LEDGER_MEASURES[name] is MeasureKind.COUNT)
            values[name] = value
    return LedgerPrefill(period_from, period_to, dossiers, values)


# --- from the sealed sample's checks ---------------------------------------------------------------

# The check fields that compare the system's recorded dates with the paper file's.
SAMPLE_DATE_CHECKS: Final = ("received", "resolved", "returned")
_COMPARED: Final = frozenset({"match", "mismatch"})


@dataclass(frozen=True, slots=True)
class SampleMeasureValue:
    """A count (``value``) or a share (``numerator`` of ``denominator``) from the sample's
    checks, with how many sampled dossiers it rests on."""

    checked: int  # sampled dossiers the measure looked at (the n of "n of m checked")
    sampled: int  # the sample's size (the m)
    value: int | None = None
    numerator: int | None = None
    denominator: int | None = None


def _date_mismatches(
    sampled: frozenset[str], checks: Mapping[str, Mapping[str, str]]
) -> SampleMeasureValue | None:
    compared = [
        code
        for code in sorted(sampled)
        if any(checks.get(code, {}).get(field) in _COMPARED for field in SAMPLE_DATE_CHECKS)
    ]
    if not compared:
        return None
    mismatched = sum(
        any(checks[code].get(field) == "mismatch" for field in SAMPLE_DATE_CHECKS)
        for code in compared
    )
    return SampleMeasureValue(value=mismatched, checked=len(compared), sampled=len(sampled))


def _receipt_slip_share(
    sampled: frozenset[str], checks: Mapping[str, Mapping[str, str]]
) -> SampleMeasureValue | None:
    compared = [
        code for code in sorted(sampled) if checks.get(code, {}).get("receipt_slip") in _COMPARED
    ]
    if not compared:
        return None
    present = sum(checks[code]["receipt_slip"] == "match" for code in compared)
    return SampleMeasureValue(
        numerator=present,
        denominator=len(compared),
        checked=len(compared),
        sampled=len(sampled),
    )


SAMPLE_MEASURES: Final[
    dict[
        str,
        Callable[[frozenset[str], Mapping[str, Mapping[str, str]]], SampleMeasureValue | None],
    ]
] = {"date_mismatches": _date_mismatches, "receipt_slip_share": _receipt_slip_share}
if set(SAMPLE_MEASURES) != set(DOSSIER_SAMPLE_MEASURES):  # pragma: no cover (a test keeps them)
    raise RuntimeError("the checklist format's sample measures and the sample's disagree")


def sample_measures(
    sampled_codes: Iterable[str],
    checks: Mapping[str, Mapping[str, str]],
    measures: Iterable[str],
) -> dict[str, SampleMeasureValue]:
    """The measures over the sample's recorded checks (``checks``: dossier code → field →
    ``match`` / ``mismatch`` / ``not_checked``). A measure the checks cannot answer yet (nothing
    compared) is absent."""
    sampled = frozenset(sampled_codes)
    values = {}
    for name in dict.fromkeys(measures):
        if name not in SAMPLE_MEASURES:
            raise ValueError(f"unknown sample measure: {name}")
        value = SAMPLE_MEASURES[name](sampled, checks)
        if value is not None:
            values[name] = value
    return values

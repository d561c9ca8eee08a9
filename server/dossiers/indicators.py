"""A unit's indicators for a period, from its ledger (issue 14, item 5): pure arithmetic over the
records, each share kept as its numerator and denominator so a checklist item can say
"12 of 340" and a report can show the percentage.

Definitions (the dossiers "of the period" are those received from ``period_start`` to
``period_end``, both included):

- **online share**: online dossiers of the period over those whose channel is known;
- **online payment share**: dossiers of the period paid online over those with a fee above zero
  and a known payment mode;
- **on-time share**: dossiers resolved in the period (by resolved date, whenever received) on or
  before their *original* appointed date, over all dossiers resolved in the period (a dossier
  rescheduled by an apology slip was late, however politely);
- **backlog**: dossiers pending at the end of ``period_end`` whose date in force (the rescheduled
  date, if any) has passed, received at any time before, not counting those waiting for the
  applicant's supplement; ``pending_at_end`` counts every pending one;
- **flagged share**: dossiers of the period with at least one flag over the dossiers of the
  period (the flags of ``server.dossiers.rules`` with the same context).

A share with nothing to divide by is ``None`` (no data), never 0 % or 100 %.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from server.dossiers.model import Channel, DossierRecord
from server.dossiers.rules import RuleContext, check_dossier, is_overdue_at, is_pending_at


@dataclass(frozen=True, slots=True)
class Share:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class PeriodIndicators:
    period_start: date
    period_end: date
    dossiers: int
    online: Share
    online_payment: Share
    on_time: Share
    backlog: int
    pending_at_end: int
    flagged: Share


def period_indicators(
    records: Iterable[DossierRecord],
    *,
    period_start: date,
    period_end: date,
    context: RuleContext,
    flagged_codes: Collection[str] | None = None,
) -> PeriodIndicators:
    """``flagged_codes``: the codes of the dossiers of the period that the rules flag when
    judged at ``period_end`` with ``context``, when the caller has run them already (an import's
    summary counts the flags too); without it the rules run here. Either way the result is the
    same (a property test holds them together)."""
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    flag_context = RuleContext(context.calendar, period_end, context.posted_fees)
    dossiers = online = channel_known = paid_online = payable = 0
    on_time = resolved = backlog = pending = flagged = 0
    for record in records:
        if period_start <= record.received.day <= period_end:
            dossiers += 1
            if record.channel is not None:
                channel_known += 1
                online += record.channel is Channel.online
            if record.fee and record.paid_online is not None:
                payable += 1
                paid_online += record.paid_online
            if flagged_codes is None:
                flagged += bool(check_dossier(record, flag_context))
            else:
                flagged += record.dossier_code in flagged_codes
        if record.resolved is not None and period_start <= record.resolved.day <= period_end:
            resolved += 1
            on_time += record.resolved.day <= record.appointed_return.day
        if is_pending_at(record, period_end):
            pending += 1
            backlog += is_overdue_at(record, period_end)
    return PeriodIndicators(
        period_start=period_start,
        period_end=period_end,
        dossiers=dossiers,
        online=Share(online, channel_known),
        online_payment=Share(paid_online, payable),
        on_time=Share(on_time, resolved),
        backlog=backlog,
        pending_at_end=pending,
        flagged=Share(flagged, dossiers),
    )


def combine(
    parts: Iterable[PeriodIndicators], *, period_start: date, period_end: date
) -> PeriodIndicators:
    """Several units' indicators of one period as one: numerators and denominators added (a
    pooled share, so a unit with 3,000 dossiers weighs more than one with 30), counts added."""
    totals = [0] * 11
    for part in parts:
        values = (
            part.dossiers,
            part.online.numerator,
            part.online.denominator,
            part.online_payment.numerator,
            part.online_payment.denominator,
            part.on_time.numerator,
            part.on_time.denominator,
            part.backlog,
            part.pending_at_end,
            part.flagged.numerator,
            part.flagged.denominator,
        )
        totals = [total + value for total, value in zip(totals, values, strict=True)]
    return PeriodIndicators(
        period_start=period_start,
        period_end=period_end,
        dossiers=totals[0],
        online=Share(totals[1], totals[2]),
        online_payment=Share(totals[3], totals[4]),
        on_time=Share(totals[5], totals[6]),
        backlog=totals[7],
        pending_at_end=totals[8],
        flagged=Share(totals[9], totals[10]),
    )


@dataclass(frozen=True, slots=True)
class IndicatorChange:
    """From one period to the next: shares in percentage points (rounded to 0.1), the backlog
    in dossiers; ``None`` where either period has nothing to divide by."""

    online_points: float | None
    online_payment_points: float | None
    on_time_points: float | None
    flagged_points: float | None
    backlog: int


def change(current: PeriodIndicators, previous: PeriodIndicators) -> IndicatorChange:
    def points(now: Share, before: Share) -> float | None:
        if now.value is None or before.value is None:
            return None
        return round((now.value - before.value) * 100, 1)

    return IndicatorChange(
        online_points=points(current.online, previous.online),
        online_payment_points=points(current.online_payment, previous.online_payment),
        on_time_points=points(current.on_time, previous.on_time),
        flagged_points=points(current.flagged, previous.flagged),
        backlog=current.backlog - previous.backlog,
    )

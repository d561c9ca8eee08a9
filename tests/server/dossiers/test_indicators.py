"""A period's indicators on a hand-built ledger, each share counted by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.dossiers.generator import generate_ledger
from server.dossiers.indicators import Share, period_indicators
from server.dossiers.model import Channel, DossierStatus
from server.dossiers.rules import RuleContext, check_ledger
from server.dossiers.workdays import shipped_calendar
from tests.server.dossiers.builders import at, day, dossier

CONTEXT = RuleContext(shipped_calendar(), posted_fees={"2.000635": 0, "2.000986": 8_000})


def indicators(records):
    return period_indicators(
        records, period_start=date(2024, 3, 1), period_end=date(2024, 3, 31), context=CONTEXT
    )


def test_the_shares_of_a_small_ledger() -> None:
    paid = dict(procedure_code="2.000986", fee=8_000)
    records = [
        dossier(dossier_code="1"),  # online, on time
        dossier(dossier_code="2", channel=Channel.in_person, paid_online=False, **paid),
        dossier(dossier_code="3", paid_online=True, **paid),
        dossier(dossier_code="4", channel=None),  # unknown channel: out of the online share
        # Resolved late with a proper apology slip: not flagged, but not on time either.
        dossier(
            dossier_code="5",
            apology_slips=(day("06/03/2024"),),
            new_appointed_returns=(day("12/03/2024"),),
            resolved=at("11/03/2024 10:00"),
            returned=at("12/03/2024 08:00"),
        ),
        # Overdue and unresolved at the end of March: backlog, and flagged.
        dossier(dossier_code="6", resolved=None, returned=None, status=DossierStatus.processing),
        # Pending but not yet due.
        dossier(
            dossier_code="7",
            received=at("29/03/2024 08:00"),
            transferred=None,
            appointed_return=day("02/04/2024"),
            resolved=None,
            returned=None,
            status=DossierStatus.processing,
        ),
        # Received in February, resolved in March: counts for on-time, not for the shares.
        dossier(
            dossier_code="8",
            received=at("28/02/2024 08:00"),
            transferred=None,
            appointed_return=day("01/03/2024"),
            resolved=at("04/03/2024 08:00"),
            returned=None,
            status=DossierStatus.resolved,
        ),
    ]

    result = indicators(records)

    assert result.dossiers == 7
    assert result.online == Share(5, 6)  # 1, 3, 5, 6, 7 online; 2 in person; 4 unknown
    assert result.online.value == pytest.approx(5 / 6)
    assert result.online_payment == Share(1, 2)
    assert result.on_time == Share(4, 6)  # resolved in March: 1, 2, 3, 4 on time; 5, 8 late
    assert result.backlog == 1 and result.pending_at_end == 2
    assert result.flagged == Share(1, 7)  # only 6 (backlog); 8 was received in February


def test_nothing_to_divide_by_is_no_data_not_zero() -> None:
    result = indicators([])
    assert result.online.value is None and result.on_time.value is None
    assert result.flagged == Share(0, 0)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    start_offset=st.integers(0, 80),
    length=st.integers(0, 60),
)
def test_flags_counted_once_by_the_caller_give_the_same_indicators(
    seed: int, start_offset: int, length: int
) -> None:
    # An import's summary runs the rules once and hands the flagged codes to the indicators.
    records = generate_ledger(
        seed,
        unit_code="X",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        count=80,
    ).records
    start = date(2024, 1, 1) + timedelta(days=start_offset)
    end = start + timedelta(days=length)
    context = RuleContext(shipped_calendar(), period_end=end)
    of_period = [record for record in records if start <= record.received.day <= end]
    flagged = check_ledger(of_period, context).flags.keys()
    given_flags = period_indicators(
        records, period_start=start, period_end=end, context=context, flagged_codes=flagged
    )
    assert given_flags == period_indicators(
        records, period_start=start, period_end=end, context=context
    )
    assert given_flags.flagged.numerator == len(flagged)
    # The codes given are what is counted: the rules do not run again.
    assert (
        period_indicators(
            records, period_start=start, period_end=end, context=context, flagged_codes=()
        ).flagged.numerator
        == 0
    )

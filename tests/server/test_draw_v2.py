"""Draw algorithm v2 (the dossier terms), pure: every weight within the documented bounds, each
dossier term capped, the neutral values without a ledger, v1 weights and draws unchanged by the
new version, a frozen v2 vector, and verification that recomputes a v2 draw."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.plans import draw
from server.plans.draw import (
    DRAW_ALGORITHM,
    DRAW_ALGORITHM_V2,
    DossierRiskInputs,
    RiskInputs,
    RiskInputsV2,
)
from server.plans.reasons import weight_reasons


@st.composite
def dossier_facts(draw_: st.DrawFn) -> DossierRiskInputs | None:
    if draw_(st.booleans()) and draw_(st.booleans()):
        return None
    dossiers = draw_(st.integers(0, 100_000))
    resolved = draw_(st.integers(0, 100_000))
    return DossierRiskInputs(
        dossiers=dossiers,
        flagged=draw_(st.integers(0, dossiers)),
        resolved=resolved,
        resolved_on_time=draw_(st.integers(0, resolved)),
        backlog=draw_(st.integers(0, 100_000)),
    )


v1_inputs = st.builds(
    RiskInputs,
    unit_id=st.uuids().map(str),
    last_score=st.none() | st.floats(0, 100, allow_nan=False),
    open_actions=st.integers(0, 1000),
    overdue_actions=st.integers(0, 1000),
    critical_findings_12m=st.integers(0, 1000),
    days_since_last_visit=st.none() | st.integers(0, 100_000),
)


@settings(max_examples=300, deadline=None)
@given(inputs=v1_inputs, facts=dossier_facts())
def test_v2_weights_stay_within_1_and_26_and_add_only_capped_dossier_terms(
    inputs: RiskInputs, facts: DossierRiskInputs | None
) -> None:
    v2 = RiskInputsV2(**inputs.model_dump(), dossiers=facts)
    terms = draw.risk_weight_terms(v2, DRAW_ALGORITHM_V2)
    v1 = draw.risk_weight_terms(inputs)

    assert Decimal(1) <= terms.weight <= Decimal(26)
    assert terms.flagged_dossiers is not None and terms.late_dossiers is not None
    assert terms.backlog is not None
    assert Decimal(0) <= terms.flagged_dossiers <= Decimal(3)
    assert Decimal(0) <= terms.late_dossiers <= Decimal(2)
    assert Decimal(0) <= terms.backlog <= Decimal(2)
    # v2 is v1 plus the three dossier terms, to the last decimal.
    assert terms.weight == v1.weight + terms.flagged_dossiers + terms.late_dossiers + terms.backlog
    # And the v1 weight of the same unit does not see the dossiers at all.
    assert draw.risk_weight_terms(v2).weight == v1.weight
    assert v1.flagged_dossiers is None
    # Each term above zero has its reason in words.
    assert {reason.code for reason in weight_reasons(v2, terms)} == {
        name
        for name, value in terms.model_dump(exclude={"weight", "base"}).items()
        if value is not None and value > 0
    }


def test_the_dossier_terms_follow_the_documented_formula() -> None:
    facts = DossierRiskInputs(
        dossiers=340, flagged=41, resolved=300, resolved_on_time=264, backlog=7
    )
    flagged, late, backlog = draw.dossier_terms(facts)
    assert flagged == Decimal("1.2059")  # 10 × 41 / 340
    assert late == Decimal("0.6000")  # 5 × 36 / 300
    assert backlog == Decimal("0.4118")  # 20 × 7 / 340
    # A small unit is counted over at least 100 dossiers, and every term is capped.
    small = DossierRiskInputs(dossiers=10, flagged=10, resolved=10, resolved_on_time=0, backlog=5)
    assert draw.dossier_terms(small) == (Decimal(3), Decimal(2), Decimal("1.0000"))


def test_no_ledger_gives_the_documented_neutral_terms() -> None:
    assert draw.dossier_terms(None) == (Decimal(1), Decimal("0.5"), Decimal("0.4"))
    nothing_received = DossierRiskInputs(
        dossiers=0, flagged=0, resolved=0, resolved_on_time=0, backlog=3
    )
    assert draw.dossier_terms(nothing_received) == (
        Decimal(1),
        Decimal("0.5"),
        Decimal("0.6000"),
    )


def test_reasons_say_the_share_flagged_and_the_backlog_in_both_languages() -> None:
    inputs = RiskInputsV2(
        unit_id=str(uuid.UUID(int=1)),
        last_score=80,
        dossiers=DossierRiskInputs(
            dossiers=100, flagged=12, resolved=90, resolved_on_time=81, backlog=7
        ),
    )
    reasons = {
        reason.code: reason
        for reason in weight_reasons(inputs, draw.risk_weight_terms(inputs, DRAW_ALGORITHM_V2))
    }
    assert reasons["flagged_dossiers"].vi == "12% hồ sơ bị gắn cờ (12/100)"
    assert reasons["flagged_dossiers"].en == "12% of dossiers flagged (12 of 100)"
    assert reasons["backlog"].vi == "Tồn đọng 7 hồ sơ quá hạn"
    assert reasons["late_dossiers"].vi == "90% hồ sơ giải quyết đúng hạn (81/90)"
    neutral = RiskInputsV2(unit_id=str(uuid.UUID(int=2)), dossiers=None)
    words = weight_reasons(neutral, draw.risk_weight_terms(neutral, DRAW_ALGORITHM_V2))
    assert sum("trung tính" in reason.vi for reason in words) == 3


def test_dossier_counts_must_be_consistent() -> None:
    with pytest.raises(ValueError):
        DossierRiskInputs(dossiers=1, flagged=2, resolved=0, resolved_on_time=0, backlog=0)


FROZEN_NONCE = "c0ffee" * 10
FROZEN_SALT = "5b7f7f0e-0000-4000-8000-000000000001"


def frozen_candidates() -> list[RiskInputs]:
    return [
        RiskInputsV2(
            unit_id=str(uuid.UUID(int=number)),
            last_score=60 + number,
            open_actions=number % 3,
            days_since_last_visit=100 * number,
            dossiers=None
            if number == 4
            else DossierRiskInputs(
                dossiers=200 * number,
                flagged=7 * number * number,
                resolved=150 * number,
                resolved_on_time=150 * number - 9 * number,
                backlog=number,
            ),
        )
        for number in range(1, 7)
    ]


# Frozen when v2 was introduced: changing the v2 formula must add a v3 instead.
FROZEN_V2_SELECTION = (
    "00000000-0000-0000-0000-000000000005",
    "00000000-0000-0000-0000-000000000001",
    "00000000-0000-0000-0000-000000000004",
)
FROZEN_V2_WEIGHTS = {
    # Unit 1 by hand: v1 1 + 1.56 + 0.2 + 0.274 = 3.034; dossier terms 10 × 7/200 = 0.35,
    # 5 × 9/150 = 0.3, 20 × 1/200 = 0.1.
    "00000000-0000-0000-0000-000000000001": Decimal("3.7840"),
    "00000000-0000-0000-0000-000000000002": Decimal("4.5679"),
    "00000000-0000-0000-0000-000000000003": Decimal("4.7519"),
    "00000000-0000-0000-0000-000000000004": Decimal("5.6359"),  # no ledger: neutral 1.9
    "00000000-0000-0000-0000-000000000005": Decimal("6.3199"),
    "00000000-0000-0000-0000-000000000006": Decimal("6.5038"),
}


def test_frozen_v2_vector_never_changes() -> None:
    result = draw.draw_units(frozen_candidates(), 3, FROZEN_NONCE, FROZEN_SALT, DRAW_ALGORITHM_V2)
    assert result.algorithm == DRAW_ALGORITHM_V2
    assert result.selected_unit_ids == FROZEN_V2_SELECTION
    weights = {entry.unit_id: entry.weight for entry in result.candidates}
    for unit_id, weight in FROZEN_V2_WEIGHTS.items():
        assert weights[unit_id] == weight


def test_a_v2_draw_verifies_with_v2_only() -> None:
    candidates = frozen_candidates()
    result = draw.draw_units(candidates, 3, FROZEN_NONCE, FROZEN_SALT, DRAW_ALGORITHM_V2)
    document = {
        "draw": {
            "algorithm": DRAW_ALGORITHM_V2,
            "candidates": [candidate.model_dump(mode="json") for candidate in candidates],
        }
    }
    sealed = draw.commitment(document, FROZEN_NONCE)
    honest = draw.verify(
        document,
        FROZEN_NONCE,
        sealed,
        candidates,
        3,
        FROZEN_SALT,
        result.selected_unit_ids,
        DRAW_ALGORITHM_V2,
    )
    assert honest.ok
    as_v1 = draw.verify(
        document,
        FROZEN_NONCE,
        sealed,
        candidates,
        3,
        FROZEN_SALT,
        result.selected_unit_ids,
        DRAW_ALGORITHM,
    )
    assert as_v1.draw is not None
    assert [entry.weight for entry in as_v1.draw.candidates] != [
        entry.weight
        for entry in honest.draw.candidates  # type: ignore[union-attr]
    ]
    # A changed dossier count changes the commitment.
    document["draw"]["candidates"][0]["dossiers"]["flagged"] -= 1  # type: ignore[index]
    assert draw.commitment(document, FROZEN_NONCE) != sealed


def test_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown draw algorithm"):
        draw.draw_units(frozen_candidates(), 1, FROZEN_NONCE, FROZEN_SALT, "spotcheck-draw-v9")
    with pytest.raises(ValueError, match="dossier counts"):
        draw.risk_weight_terms(RiskInputs(unit_id=str(uuid.UUID(int=1))), DRAW_ALGORITHM_V2)

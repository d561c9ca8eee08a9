"""The weighted draw and the plan commitment: fixed vectors, determinism, verification."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from server.plans.draw import (
    DRAW_ALGORITHM,
    RiskInputs,
    VerifyResult,
    canonical_json,
    commitment,
    draw_units,
    new_nonce,
    risk_weight,
    verify,
)

# ---------------------------------------------------------------------------------------------
# FIXED VECTORS. Published plans are checked by recomputing them with this code, so these values
# must NEVER change. If a test below fails, the change broke every plan sealed so far: revert it,
# or introduce a new DRAW_ALGORITHM version and keep this one working.
# ---------------------------------------------------------------------------------------------

FIXED_CANDIDATES = [
    RiskInputs(
        unit_id="0b5f3c1e-8a4d-4e2b-9c71-2f6d8e9a1b01",
        last_score=92.5,
        open_actions=0,
        overdue_actions=0,
        critical_findings_12m=0,
        days_since_last_visit=45,
    ),
    RiskInputs(
        unit_id="1c6a4d2f-9b5e-4f3c-8d82-3a7e9f0b2c02",
        last_score=61.25,
        open_actions=4,
        overdue_actions=2,
        critical_findings_12m=1,
        days_since_last_visit=200,
    ),
    RiskInputs(
        unit_id="2d7b5e3a-ac6f-4a4d-9e93-4b8fa01c3d03",
        last_score=None,
        days_since_last_visit=None,
    ),
    RiskInputs(
        unit_id="3e8c6f4b-bd7a-4b5e-8fa4-5c9ab12d4e04",
        last_score=38.0,
        open_actions=12,
        overdue_actions=7,
        critical_findings_12m=3,
        days_since_last_visit=400,
    ),
    RiskInputs(
        unit_id="4f9d7a5c-ce8b-4c6f-9ab5-6dabc23e5f05",
        last_score=75.0,
        open_actions=1,
        days_since_last_visit=900,
    ),
    RiskInputs(
        unit_id="5a0e8b6d-df9c-4d7a-8bc6-7ebcd34f6a06",
        last_score=100.0,
        days_since_last_visit=10,
    ),
]
FIXED_NONCE = "9f1c2e3d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
FIXED_SALT = "plan-7a1e2b3c-4d5e-4f60-8172-839405a6b7c8"
FIXED_K = 3
FIXED_SELECTION = (
    "1c6a4d2f-9b5e-4f3c-8d82-3a7e9f0b2c02",
    "3e8c6f4b-bd7a-4b5e-8fa4-5c9ab12d4e04",
    "2d7b5e3a-ac6f-4a4d-9e93-4b8fa01c3d03",
)
FIXED_WEIGHTS = {
    "0b5f3c1e-8a4d-4e2b-9c71-2f6d8e9a1b01": Decimal("1.4233"),
    "1c6a4d2f-9b5e-4f3c-8d82-3a7e9f0b2c02": Decimal("5.8979"),
    "2d7b5e3a-ac6f-4a4d-9e93-4b8fa01c3d03": Decimal("6.0000"),
    "3e8c6f4b-bd7a-4b5e-8fa4-5c9ab12d4e04": Decimal("13.0759"),
    "4f9d7a5c-ce8b-4c6f-9ab5-6dabc23e5f05": Decimal("4.2000"),
    "5a0e8b6d-df9c-4d7a-8bc6-7ebcd34f6a06": Decimal("1.0274"),
}
FIXED_KEY_OF_SECOND_CANDIDATE = Decimal("0.98155530010671936176318073921881183167974861126145")
FIXED_CANONICAL_JSON_TAIL = (
    '"plan_id":"7a1e2b3c-4d5e-4f60-8172-839405a6b7c8",'
    '"targets":["1c6a4d2f-9b5e-4f3c-8d82-3a7e9f0b2c02","3e8c6f4b-bd7a-4b5e-8fa4-5c9ab12d4e04",'
    '"2d7b5e3a-ac6f-4a4d-9e93-4b8fa01c3d03"],"threshold":"0.50",'
    '"title":"Kiểm tra đột xuất Quý II",'
    '"window_end":"2025-04-30T10:00:00Z","window_start":"2025-04-01T01:00:00Z"}'
)
FIXED_COMMITMENT = "6b132eb1365f5c5709a4558d92c3e558438ab1c93ce200fcf3cd430ac1fe3864"


def fixed_plan_document(targets: tuple[str, ...] = FIXED_SELECTION) -> dict[str, object]:
    return {
        "plan_id": uuid.UUID("7a1e2b3c-4d5e-4f60-8172-839405a6b7c8"),
        "title": "Kiểm tra đột xuất Quý II",
        "window_start": dt.datetime(2025, 4, 1, 1, 0, tzinfo=dt.UTC),
        # Same instant type, other zone: must come out in UTC with a Z.
        "window_end": dt.datetime(2025, 4, 30, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))),
        "targets": list(targets),
        "draw": {
            "k": FIXED_K,
            "plan_salt": FIXED_SALT,
            "candidates": [candidate.model_dump() for candidate in FIXED_CANDIDATES],
        },
        "threshold": Decimal("0.50"),
    }


def make_unit_id(number: int) -> str:
    return str(uuid.UUID(int=number))


# --- fixed vectors ----------------------------------------------------------------------------


def test_fixed_vector_selection_and_numbers_never_change() -> None:
    result = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, FIXED_SALT)

    assert result.selected_unit_ids == FIXED_SELECTION
    assert result.algorithm == DRAW_ALGORITHM
    assert {entry.unit_id: entry.weight for entry in result.candidates} == FIXED_WEIGHTS
    assert result.candidates[1].key == FIXED_KEY_OF_SECOND_CANDIDATE


def test_fixed_vector_commitment_never_changes() -> None:
    document = fixed_plan_document()

    assert canonical_json(document).decode("utf-8").endswith(FIXED_CANONICAL_JSON_TAIL)
    assert commitment(document, FIXED_NONCE) == FIXED_COMMITMENT


def test_published_numbers_follow_the_documented_formula() -> None:
    """Someone with only hashlib and floats can check the published u and key."""
    result = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, FIXED_SALT)
    for entry in result.candidates:
        digest = hmac.new(
            FIXED_NONCE.encode(), (FIXED_SALT + entry.unit_id).encode(), hashlib.sha256
        ).digest()
        expected_uniform = (int.from_bytes(digest, "big") + 1) / (2**256 + 1)
        assert float(entry.uniform) == pytest.approx(expected_uniform, rel=1e-15)
        expected_key = expected_uniform ** (1 / float(entry.weight))
        assert float(entry.key) == pytest.approx(expected_key, rel=1e-12)
    keys_in_draw_order = [
        next(entry.key for entry in result.candidates if entry.unit_id == unit_id)
        for unit_id in result.selected_unit_ids
    ]
    others = [
        entry.key for entry in result.candidates if entry.unit_id not in result.selected_unit_ids
    ]
    assert keys_in_draw_order == sorted(keys_in_draw_order, reverse=True)
    assert min(keys_in_draw_order) > max(others)


# --- risk weight ------------------------------------------------------------------------------


def test_risk_weight_terms_and_caps() -> None:
    unit_id = make_unit_id(1)
    perfect_recent = RiskInputs(unit_id=unit_id, last_score=100, days_since_last_visit=0)
    never_inspected = RiskInputs(unit_id=unit_id)
    worst_possible = RiskInputs(
        unit_id=unit_id,
        last_score=0,
        open_actions=10_000,
        overdue_actions=10_000,
        critical_findings_12m=10_000,
        days_since_last_visit=10_000,
    )

    assert risk_weight(perfect_recent) == 1.0
    assert risk_weight(never_inspected) == 6.0
    assert risk_weight(worst_possible) == 19.0
    # Binary noise in the score does not leak into the weight.
    noisy_score = RiskInputs(unit_id=unit_id, last_score=72.35, days_since_last_visit=0)
    assert risk_weight(noisy_score) == 2.106


def test_risk_inputs_are_validated_and_unit_ids_normalised() -> None:
    upper = RiskInputs(unit_id="0B5F3C1E-8A4D-4E2B-9C71-2F6D8E9A1B01")
    assert upper.unit_id == "0b5f3c1e-8a4d-4e2b-9c71-2f6d8e9a1b01"
    with pytest.raises(ValidationError):
        RiskInputs(unit_id="not-a-uuid")
    with pytest.raises(ValidationError):
        RiskInputs(unit_id=make_unit_id(1), last_score=101)
    with pytest.raises(ValidationError):
        RiskInputs(unit_id=make_unit_id(1), open_actions=-1)
    with pytest.raises(ValidationError):
        RiskInputs(unit_id=make_unit_id(1), surprise=True)  # type: ignore[call-arg]


# --- the draw ---------------------------------------------------------------------------------


def test_input_order_never_matters() -> None:
    expected = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, FIXED_SALT)
    shuffler = random.Random(20250401)
    for _ in range(10):
        shuffled = FIXED_CANDIDATES.copy()
        shuffler.shuffle(shuffled)
        assert draw_units(shuffled, FIXED_K, FIXED_NONCE, FIXED_SALT) == expected


def test_same_inputs_same_draw_other_nonce_or_salt_other_numbers() -> None:
    first = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, FIXED_SALT)
    again = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, FIXED_SALT)
    other_nonce = draw_units(FIXED_CANDIDATES, FIXED_K, new_nonce(), FIXED_SALT)
    other_salt = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, "another plan")

    assert first == again
    assert [entry.key for entry in other_nonce.candidates] != [e.key for e in first.candidates]
    assert [entry.key for entry in other_salt.candidates] != [e.key for e in first.candidates]


def test_draw_result_round_trips_through_json() -> None:
    result = draw_units(FIXED_CANDIDATES, FIXED_K, FIXED_NONCE, FIXED_SALT)
    assert type(result).model_validate_json(result.model_dump_json()) == result


@pytest.mark.parametrize("k", [0, -1])
def test_draw_refuses_non_positive_k(k: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        draw_units(FIXED_CANDIDATES, k, FIXED_NONCE, FIXED_SALT)


def test_draw_refuses_more_units_than_candidates() -> None:
    with pytest.raises(ValueError, match="Cannot draw 7 units from 6 candidates"):
        draw_units(FIXED_CANDIDATES, 7, FIXED_NONCE, FIXED_SALT)


def test_draw_refuses_duplicate_candidates_and_empty_nonce() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        draw_units([*FIXED_CANDIDATES, FIXED_CANDIDATES[0]], 1, FIXED_NONCE, FIXED_SALT)
    with pytest.raises(ValueError, match="nonce"):
        draw_units(FIXED_CANDIDATES, 1, "", FIXED_SALT)


def test_new_nonce_is_64_hex_characters_and_fresh() -> None:
    nonce = new_nonce()
    assert len(nonce) == 64
    int(nonce, 16)
    assert new_nonce() != nonce


candidate_strategy = st.builds(
    RiskInputs,
    unit_id=st.uuids().map(str),
    last_score=st.none() | st.floats(min_value=0, max_value=100, allow_nan=False),
    open_actions=st.integers(min_value=0, max_value=50),
    overdue_actions=st.integers(min_value=0, max_value=50),
    critical_findings_12m=st.integers(min_value=0, max_value=20),
    days_since_last_visit=st.none() | st.integers(min_value=0, max_value=5000),
)


@st.composite
def draw_arguments(draw: st.DrawFn) -> tuple[list[RiskInputs], int, str]:
    candidates = draw(
        st.lists(candidate_strategy, min_size=1, max_size=25, unique_by=lambda c: c.unit_id)
    )
    k = draw(st.integers(min_value=1, max_value=len(candidates)))
    nonce = draw(st.text(min_size=1, max_size=64))
    return candidates, k, nonce


@settings(max_examples=150, deadline=None)
@given(arguments=draw_arguments(), plan_salt=st.text(max_size=40))
def test_any_draw_selects_k_distinct_candidates(
    arguments: tuple[list[RiskInputs], int, str], plan_salt: str
) -> None:
    candidates, k, nonce = arguments
    result = draw_units(candidates, k, nonce, plan_salt)

    candidate_ids = {candidate.unit_id for candidate in candidates}
    assert len(result.selected_unit_ids) == k
    assert len(set(result.selected_unit_ids)) == k
    assert set(result.selected_unit_ids) <= candidate_ids
    assert [entry.unit_id for entry in result.candidates] == sorted(candidate_ids)
    assert all(1 <= entry.weight <= 19 for entry in result.candidates)
    assert all(0 < entry.uniform < 1 and 0 < entry.key < 1 for entry in result.candidates)


def test_heavier_units_are_drawn_more_often() -> None:
    heavy = RiskInputs(
        unit_id=make_unit_id(1), last_score=20, overdue_actions=4, days_since_last_visit=700
    )
    light = RiskInputs(unit_id=make_unit_id(2), last_score=100, days_since_last_visit=0)
    middle = [
        RiskInputs(unit_id=make_unit_id(number), last_score=80, days_since_last_visit=100)
        for number in range(3, 6)
    ]
    candidates = [heavy, light, *middle]
    draws = 2000
    first_place_counts = {candidate.unit_id: 0 for candidate in candidates}
    for index in range(draws):
        result = draw_units(candidates, 1, f"nonce-{index}", "statistics")
        first_place_counts[result.selected_unit_ids[0]] += 1

    weights = {candidate.unit_id: risk_weight(candidate) for candidate in candidates}
    total_weight = sum(weights.values())
    heavy_share = first_place_counts[heavy.unit_id] / draws
    light_share = first_place_counts[light.unit_id] / draws
    # With k=1 the probability of being drawn is exactly weight / total weight
    # (heavy ≈ 0.53, light ≈ 0.065); the tolerance is about ten standard deviations.
    assert heavy_share == pytest.approx(weights[heavy.unit_id] / total_weight, abs=0.1)
    assert light_share == pytest.approx(weights[light.unit_id] / total_weight, abs=0.06)
    assert first_place_counts[heavy.unit_id] > 3 * first_place_counts[light.unit_id]


# --- verification -----------------------------------------------------------------------------


def verify_fixed(**changes: object) -> VerifyResult:
    arguments: dict[str, object] = {
        "plan_document": fixed_plan_document(),
        "nonce": FIXED_NONCE,
        "expected_commitment": FIXED_COMMITMENT,
        "candidates": FIXED_CANDIDATES,
        "k": FIXED_K,
        "plan_salt": FIXED_SALT,
        "expected_selection": FIXED_SELECTION,
    }
    arguments.update(changes)
    return verify(**arguments)  # type: ignore[arg-type]


def test_verify_accepts_the_honest_plan() -> None:
    result = verify_fixed()
    assert result.hash_matches and result.draw_matches and result.ok
    assert result.recomputed_commitment == FIXED_COMMITMENT
    assert result.recomputed_selection == FIXED_SELECTION


def test_verify_accepts_uppercase_commitment_and_ids() -> None:
    result = verify_fixed(
        expected_commitment=FIXED_COMMITMENT.upper(),
        expected_selection=[unit_id.upper() for unit_id in FIXED_SELECTION],
    )
    assert result.ok


def test_verify_detects_a_changed_target() -> None:
    swapped_targets = (
        FIXED_SELECTION[0],
        FIXED_SELECTION[1],
        "0b5f3c1e-8a4d-4e2b-9c71-2f6d8e9a1b01",
    )
    result = verify_fixed(
        plan_document=fixed_plan_document(swapped_targets), expected_selection=swapped_targets
    )
    assert not result.hash_matches
    assert not result.draw_matches
    assert result.recomputed_selection == FIXED_SELECTION


def test_verify_detects_a_changed_nonce() -> None:
    result = verify_fixed(nonce=FIXED_NONCE[:-1] + "1")
    assert not result.hash_matches
    assert not result.ok


def test_verify_detects_a_reordered_selection() -> None:
    result = verify_fixed(expected_selection=tuple(reversed(FIXED_SELECTION)))
    assert result.hash_matches
    assert not result.draw_matches


def test_verify_reports_an_impossible_draw_without_raising() -> None:
    result = verify_fixed(k=99)
    assert not result.draw_matches
    assert result.recomputed_selection is None
    assert result.draw_error is not None
    assert "Cannot draw 99" in result.draw_error


# --- canonical JSON ---------------------------------------------------------------------------


def test_canonical_json_is_stable_and_compact() -> None:
    first = {"b": 1, "a": [uuid.UUID(int=1), Decimal("1.10")], "đ": "Phường Bến Nghé"}
    second = {"đ": "Phường Bến Nghé", "a": [uuid.UUID(int=1), Decimal("1.10")], "b": 1}

    encoded = canonical_json(first)
    assert encoded == canonical_json(second)
    assert (
        encoded
        == (
            '{"a":["00000000-0000-0000-0000-000000000001","1.10"],"b":1,"đ":"Phường Bến Nghé"}'
        ).encode()
    )


def test_canonical_json_refuses_ambiguous_values() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        canonical_json({"at": dt.datetime(2025, 1, 1, 8, 0)})
    with pytest.raises(ValueError):
        canonical_json({"score": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({1: "integer keys sort differently from strings"})
    with pytest.raises(TypeError):
        canonical_json({"raw": b"bytes"})

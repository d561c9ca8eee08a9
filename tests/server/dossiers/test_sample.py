"""The sealed dossier sample's pure draw: reproducible from the nonce, salt and pool (in any
order), allocation laws, the weights followed in distribution, and a fixed vector."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.dossiers.sample import (
    SAMPLE_ALGORITHM,
    PoolRow,
    allocate,
    draw_sample,
    exact_key,
    flagged_weight_decimal,
    pool_digest,
    pool_from_json,
    pool_to_json,
    salt_for,
    sample_digest,
    stratum_of,
)

SALT = salt_for("6f1e1c1e-0000-4000-8000-000000000001", "6f1e1c1e-0000-4000-8000-000000000002")

pools = st.lists(
    st.builds(
        PoolRow,
        st.text(alphabet="ABCDEFGHJK0123456789-", min_size=1, max_size=8),
        st.sampled_from(["online", "in_person", "post", "unknown"]),
        st.booleans(),
    ),
    max_size=40,
    unique_by=lambda row: row.dossier_code,
)
nonces = st.text(alphabet="0123456789abcdef", min_size=1, max_size=64)


@settings(max_examples=120, deadline=None)
@given(
    pool=pools,
    nonce=nonces,
    size=st.integers(1, 100),
    weight=st.integers(1, 10),
    seed=st.integers(),
)
def test_the_sample_is_reproducible_from_nonce_salt_and_pool_in_any_order(
    pool: list[PoolRow], nonce: str, size: int, weight: int, seed: int
) -> None:
    first = draw_sample(pool, size=size, nonce=nonce, salt=SALT, flagged_weight=weight)
    shuffled = list(pool)
    random.Random(seed).shuffle(shuffled)
    again = draw_sample(shuffled, size=size, nonce=nonce, salt=SALT, flagged_weight=weight)
    assert again == first
    # Through the stored JSON form too: what verify reads back.
    stored = pool_from_json(pool_to_json(shuffled))
    assert draw_sample(stored, size=size, nonce=nonce, salt=SALT, flagged_weight=weight) == first
    assert pool_digest(stored) == pool_digest(pool)
    assert sample_digest(reversed(first.codes)) == sample_digest(first.codes)
    # The sample: distinct dossiers of the pool, min(size, pool) of them, as allocated.
    assert len(set(first.codes)) == len(first.codes) == min(size, len(pool))
    assert set(first.codes) <= {row.dossier_code for row in pool}
    assert Counter(row.stratum for row in first.drawn) == +Counter(first.allocation)


def reference_draw(pool: list[PoolRow], size: int, nonce: str, weight: int) -> tuple[str, ...]:
    """The specification word for word: every dossier's exact Decimal key, no shortcut."""
    allocation = allocate(dict(Counter(row.stratum for row in pool)), size)
    codes: list[str] = []
    for label in sorted(allocation):
        keyed = sorted(
            (
                (
                    exact_key(
                        row.dossier_code,
                        nonce=nonce,
                        salt=SALT,
                        weight=flagged_weight_decimal(weight if row.flagged else 1),
                    ),
                    row.dossier_code,
                )
                for row in pool
                if row.stratum == label
            ),
            key=lambda entry: (-entry[0], entry[1]),
        )
        codes += [code for _key, code in keyed[: allocation[label]]]
    return tuple(codes)


@settings(max_examples=80, deadline=None)
@given(pool=pools, nonce=nonces, size=st.integers(1, 45), weight=st.integers(1, 10))
def test_the_fast_draw_gives_exactly_the_specified_draw(
    pool: list[PoolRow], nonce: str, size: int, weight: int
) -> None:
    fast = draw_sample(pool, size=size, nonce=nonce, salt=SALT, flagged_weight=weight)
    assert fast.codes == reference_draw(pool, size, nonce, weight)


@settings(max_examples=300, deadline=None)
@given(
    sizes=st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 60), max_size=8),
    size=st.integers(0, 120),
)
def test_the_allocation_sums_to_the_size_and_fits_every_stratum(
    sizes: dict[str, int], size: int
) -> None:
    allocation = allocate(sizes, size)
    non_empty = {label for label, count in sizes.items() if count}
    assert set(allocation) == non_empty
    n = min(size, sum(sizes.values()))
    assert sum(allocation.values()) == n
    assert all(0 <= allocation[label] <= sizes[label] for label in non_empty)
    if n >= len(non_empty):
        assert all(allocation[label] >= 1 for label in non_empty)
    total = sum(sizes.values())
    if total and n >= len(non_empty):
        # Proportional, up to the rounding and the one-each rule: within 1 + (strata − 1).
        for label in non_empty:
            quota = Fraction(n * sizes[label], total)
            assert abs(allocation[label] - quota) < len(non_empty)


def test_the_allocation_is_proportional_with_largest_remainders() -> None:
    # Quotas 3.5, 6 and 0.5: floors 3, 6, 0; the leftover place goes to the larger of the two
    # remainders of 0.5 (online); then post, left with none, takes one from the largest (in
    # person).
    assert allocate({"online": 35, "in_person": 60, "post": 5}, 10) == {
        "online": 4,
        "in_person": 5,
        "post": 1,
    }
    # Fewer places than strata: the largest strata get one each.
    assert allocate({"a": 10, "b": 30, "c": 20}, 2) == {"a": 0, "b": 1, "c": 1}
    # A size beyond the pool takes the whole pool.
    assert allocate({"a": 2, "b": 3}, 100) == {"a": 2, "b": 3}


def test_a_stratum_is_named_by_its_fields_values() -> None:
    assert stratum_of(["channel"], procedure_code="1.001", channel="online") == "online"
    assert stratum_of([], procedure_code="1.001", channel="online") == "all"
    assert stratum_of(["channel", "procedure"], procedure_code="1.001", channel=None) == (
        "1.001|unknown"
    )


def test_another_nonce_or_another_unit_draws_independently() -> None:
    pool = [PoolRow(f"D{i:03}", "all", False) for i in range(200)]
    one = draw_sample(pool, size=10, nonce="a" * 64, salt=SALT, flagged_weight=3).codes
    other_nonce = draw_sample(pool, size=10, nonce="b" * 64, salt=SALT, flagged_weight=3).codes
    other_unit = draw_sample(
        pool, size=10, nonce="a" * 64, salt=salt_for("x", "y"), flagged_weight=3
    ).codes
    assert set(one) != set(other_nonce) and set(one) != set(other_unit)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="nonce"):
        draw_sample([], size=1, nonce="", salt=SALT, flagged_weight=3)
    with pytest.raises(ValueError, match="twice"):
        draw_sample(
            [PoolRow("A", "x", False), PoolRow("A", "y", True)],
            size=1,
            nonce="n",
            salt=SALT,
            flagged_weight=3,
        )
    with pytest.raises(ValueError, match="between 1 and 10"):
        draw_sample([], size=1, nonce="n", salt=SALT, flagged_weight=11)


# --- the distribution follows the weights --------------------------------------------------------


def chi2_sf(x: float, df: int) -> float:
    """P(χ² ≥ x) with df degrees of freedom (regularised upper incomplete gamma, by series)."""
    a, half = df / 2, x / 2
    term = total = 1 / a
    n = 1
    while term > 1e-17 * total:
        term *= half / (a + n)
        total += term
        n += 1
    lower = math.exp(a * math.log(half) - half - math.lgamma(a)) * total
    return 1 - lower


def chi2(observed: Counter[object], expected: dict[object, float]) -> float:
    return sum((observed[key] - value) ** 2 / value for key, value in expected.items())


DRAWS = 3000
SIGNIFICANCE = 1e-6  # the nonces are fixed, so the test is deterministic: it cannot flake


def test_one_draw_picks_each_dossier_in_proportion_to_its_weight() -> None:
    pool = [
        PoolRow("F1", "all", True),
        PoolRow("F2", "all", True),
        PoolRow("N1", "all", False),
        PoolRow("N2", "all", False),
        PoolRow("N3", "all", False),
    ]
    picks = Counter(
        draw_sample(pool, size=1, nonce=f"nonce-{i}", salt=SALT, flagged_weight=3).codes[0]
        for i in range(DRAWS)
    )
    weights = {row.dossier_code: 3 if row.flagged else 1 for row in pool}
    expected = {code: DRAWS * w / sum(weights.values()) for code, w in weights.items()}
    assert chi2_sf(chi2(picks, expected), df=len(pool) - 1) > SIGNIFICANCE
    # And the over-weighting is visible: flagged dossiers about three times as often.
    assert picks["F1"] + picks["F2"] > 2 * (picks["N1"] + picks["N2"] + picks["N3"]) * 0.8


def test_two_draws_without_replacement_follow_successive_weighted_sampling() -> None:
    pool = [PoolRow("F1", "all", True), PoolRow("N1", "all", False), PoolRow("N2", "all", False)]
    pool.append(PoolRow("F2", "all", True))
    weights = {row.dossier_code: 2.5 if row.flagged else 1.0 for row in pool}
    total = sum(weights.values())
    expected: dict[object, float] = {}
    for first, second in itertools.permutations(weights, 2):
        pair = frozenset((first, second))
        chance = weights[first] / total * weights[second] / (total - weights[first])
        expected[pair] = expected.get(pair, 0.0) + DRAWS * chance
    pairs = Counter(
        frozenset(
            draw_sample(pool, size=2, nonce=f"pair-{i}", salt=SALT, flagged_weight="2.5").codes
        )
        for i in range(DRAWS)
    )
    assert chi2_sf(chi2(pairs, expected), df=len(expected) - 1) > SIGNIFICANCE


def test_chi2_tail_matches_known_values() -> None:
    # Critical values from tables: χ²(4) = 9.488 at p = 0.05; χ²(5) = 11.070 at p = 0.05.
    assert chi2_sf(9.4877, 4) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(11.0705, 5) == pytest.approx(0.05, abs=1e-4)


# --- a fixed vector: past samples must recompute forever -----------------------------------------


def test_fixed_vector() -> None:
    pool = [
        PoolRow(f"PD-{i:04}", "online" if i % 3 == 0 else "in_person", i % 7 == 0)
        for i in range(1, 61)
    ]
    result = draw_sample(pool, size=6, nonce="0" * 63 + "1", salt=SALT, flagged_weight=3)
    assert SAMPLE_ALGORITHM.startswith("spotcheck-dossier-sample-v1")
    assert result.allocation == {"in_person": 4, "online": 2}
    assert result.codes == FIXED_CODES
    assert pool_digest(pool) == FIXED_POOL_DIGEST


FIXED_CODES = ("PD-0056", "PD-0053", "PD-0028", "PD-0014", "PD-0018", "PD-0048")
FIXED_POOL_DIGEST = "80ba1232412ab3d1d8fcc34d09b5e149b279e16c4ad20496e606f5f97ce300de"

"""The weighted random draw of target units and the commitment that seals a plan.

Pure functions: no database, no clock, no global state. Everything here must give the same answer
on any machine, today and in ten years, because a published plan is checked by recomputing it.
Changing any constant or formula below changes past draws: add a new ``DRAW_ALGORITHM`` version
instead of editing this one.

Risk weight (``risk_weight``)
-----------------------------
Each candidate unit gets a weight ``w >= 1``; a unit with weight 6 is six times as likely as a unit
with weight 1 to be drawn first::

    w = 1
      + score_term       4 × (100 − last_score) / 100          0 … 4   (score 0 → 4, score 100 → 0)
                         never scored (last_score None) → 3            (as if it had scored 25)
      + 0.2 × min(open_actions, 10)                            0 … 2
      + 0.5 × min(overdue_actions, 10)                         0 … 5
      + 1.0 × min(critical_findings_12m, 5)                    0 … 5
      + min(days_since_last_visit, 730) / 365                  0 … 2   (one point per year)
                         never visited (None) → 2                      (the cap)

so ``1 ≤ w ≤ 19``. A never-inspected unit with nothing else known weighs 1 + 3 + 2 = 6: high,
but a unit that failed badly and ignores its corrective actions still outweighs it. Overdue
actions are usually also open, so they count twice on purpose: ignoring a deadline is worse
than having work in progress. Every term is capped so that one bad number cannot make a unit
certain to be drawn, which would make the inspection predictable and so no longer unannounced.

Arithmetic is ``Decimal`` in an explicit local context (never the caller's thread context):
``last_score`` is rounded to 0.01 first (floats are IEEE-754 doubles everywhere, and the rounding
removes binary noise such as 72.35 → 72.3499999…), the time term is rounded to 4 decimals
(half-even), and the weight therefore is an exact number with 4 decimals.

Dossier terms (``DRAW_ALGORITHM_V2``, ``draw.dossier_indicators: true``)
-----------------------------------------------------------------------
A plan drawn with the dossier indicators uses algorithm v2: the v1 weight above plus three
terms from the unit's dossier ledger over the 90 days before the window's first day (the
period is sealed in the document's ``draw.dossier_period``; ``DossierRiskInputs`` holds the
counts, all integers)::

    w2 = w
      + flagged term     min(10 × flagged / dossiers, 3)                    0 … 3
                         (30 % or more of the period's dossiers flagged → 3)
      + late term        min(5 × (resolved − resolved_on_time) / resolved, 2) 0 … 2
                         (on time 60 % or less → 2)
      + backlog term     min(20 × backlog / max(dossiers, 100), 2)          0 … 2
                         (0.2 per overdue pending dossier per 100 received, counted over at
                         least 100 dossiers so a small unit is not judged on a handful;
                         10 or more per 100 → 2)

so ``1 ≤ w2 ≤ 26``. A unit with no dossier that counts in the period (no ledger imported)
gets the **neutral** values 1 (as if 10 % flagged), 0.5 (as if 90 % on time) and 0.4 (as if 2
overdue per 100): not having a ledger neither spares a unit nor marks it. With dossiers but
none received (or none resolved) in the period, the flagged (or late) term is neutral alone.
Each term is rounded to 4 decimals (half-even). v1 plans are recomputed with v1, unchanged.

The draw (``draw_units``)
-------------------------
Efraimidis–Spirakis weighted sampling without replacement (A-ES, 2006): every candidate gets
``key = u ** (1 / w)`` with ``u`` uniform in (0, 1); the ``k`` largest keys win, in descending key
order. Here ``u`` is not random but derived from the secret nonce, so nobody can predict the draw
before the reveal, and everybody can recompute it after::

    digest = HMAC-SHA256(key = nonce as UTF-8, message = (plan_salt + unit_id) as UTF-8)
    u      = (int.from_bytes(digest, "big") + 1) / (2**256 + 1)       strictly inside (0, 1)
    key    = exp(ln(u) / w)

``unit_id`` is the canonical lowercase UUID string (36 characters), so the concatenation with
the salt cannot be ambiguous. ``u``, ``ln`` and ``exp`` are computed with ``Decimal`` at
``KEY_PRECISION`` significant digits; the IEEE-754 decimal operations ``ln``, ``exp`` and
division are correctly rounded, so the digits do not depend on the platform or the C library's
``pow`` (which a float ``u ** (1 / w)`` would). Candidates are sorted by ``unit_id`` first, and
ties between equal keys (practically impossible) go to the smaller ``unit_id``, so the order in
which candidates are passed in never matters.

Commitment (``commitment``)
---------------------------
``sha256(canonical_json({"plan": plan_document, "nonce": nonce})).hexdigest()``. The canonical
JSON (``server.core.canonical.CANONICAL_V2``) has sorted keys, no spaces, UTF-8 (not ``\\u``
escapes), aware datetimes as ISO-8601 in UTC with ``Z``, UUIDs and ``Decimal`` values as strings.
Floats are written by Python's shortest round-trip ``repr``; prefer integers, strings or
``Decimal`` in plan documents so that verifiers in other languages produce identical bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import uuid
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.core import canonical

DRAW_ALGORITHM: Final = "spotcheck-draw-v1:efraimidis-spirakis:hmac-sha256"
DRAW_ALGORITHM_V2: Final = "spotcheck-draw-v2:efraimidis-spirakis:hmac-sha256:dossier-indicators"
DRAW_ALGORITHMS: Final = (DRAW_ALGORITHM, DRAW_ALGORITHM_V2)

# Significant digits of u and of the keys. 50 digits keep distinct 256-bit HMAC outputs apart far
# beyond any realistic number of candidates, and stay fast (a few microseconds per candidate).
KEY_PRECISION: Final = 50

_WEIGHT_QUANTUM: Final = Decimal("0.0001")
_SCORE_QUANTUM: Final = Decimal("0.01")

_BASE_WEIGHT: Final = Decimal(1)
_SCORE_TERM_PER_POINT_MISSED: Final = Decimal("0.04")  # 100 points missed → 4
_NEVER_SCORED_TERM: Final = Decimal(3)
_OPEN_ACTION_TERM: Final = Decimal("0.2")
_OPEN_ACTIONS_CAP: Final = 10
_OVERDUE_ACTION_TERM: Final = Decimal("0.5")
_OVERDUE_ACTIONS_CAP: Final = 10
_CRITICAL_FINDING_TERM: Final = Decimal(1)
_CRITICAL_FINDINGS_CAP: Final = 5
_DAYS_PER_POINT: Final = Decimal(365)
_DAYS_SINCE_VISIT_CAP: Final = 730
# v2: the dossier terms (module docstring).
_FLAGGED_SLOPE: Final = Decimal(10)
_FLAGGED_CAP: Final = Decimal(3)
_FLAGGED_NEUTRAL: Final = Decimal(1)
_LATE_SLOPE: Final = Decimal(5)
_LATE_CAP: Final = Decimal(2)
_LATE_NEUTRAL: Final = Decimal("0.5")
_BACKLOG_SLOPE: Final = Decimal(20)
_BACKLOG_CAP: Final = Decimal(2)
_BACKLOG_NEUTRAL: Final = Decimal("0.4")
_BACKLOG_MIN_DOSSIERS: Final = 100

# An explicit context: the thread's decimal context belongs to whoever called us and may have
# been changed (precision, rounding, traps); the draw must not depend on it.
_WEIGHT_CONTEXT: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)
_KEY_CONTEXT: Final = Context(prec=KEY_PRECISION, rounding=ROUND_HALF_EVEN)
# u is built from a 256-bit integer (78 digits): divide exactly enough, then round to KEY_PRECISION.
_UNIFORM_DENOMINATOR: Final = 2**256 + 1


class DossierRiskInputs(BaseModel):
    """A unit's dossier counts over the draw's dossier period (v2 only); all go into the plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dossiers: int = Field(ge=0, description="Dossiers received in the period")
    flagged: int = Field(ge=0, description="Of those, dossiers with at least one flag")
    resolved: int = Field(ge=0, description="Dossiers resolved in the period")
    resolved_on_time: int = Field(ge=0, description="Of those, by their original appointed date")
    backlog: int = Field(ge=0, description="Pending and overdue at the period's end")

    @model_validator(mode="after")
    def _parts_within_wholes(self) -> DossierRiskInputs:
        if self.flagged > self.dossiers or self.resolved_on_time > self.resolved:
            raise ValueError("flagged must not exceed dossiers, nor resolved_on_time resolved")
        return self


class RiskInputs(BaseModel):
    """What the draw knows about one candidate unit; all of it goes into the sealed plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str = Field(description="UUID of the unit, normalised to lowercase canonical form.")
    last_score: float | None = Field(
        default=None,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Total score (0–100) of the last inspection; null when never inspected.",
    )
    open_actions: int = Field(default=0, ge=0)
    overdue_actions: int = Field(default=0, ge=0)
    critical_findings_12m: int = Field(default=0, ge=0)
    days_since_last_visit: int | None = Field(
        default=None, ge=0, description="Null when the unit was never visited."
    )

    @field_validator("unit_id")
    @classmethod
    def _canonical_uuid(cls, value: str) -> str:
        # The HMAC message contains the id: "ABC…" and "abc…" must not give different draws.
        return canonical_unit_id(value)


class RiskInputsV2(RiskInputs):
    """A candidate of a v2 draw: the v1 inputs and the unit's dossier counts (a separate model,
    so that v1 plan documents keep exactly the keys they always had)."""

    dossiers: DossierRiskInputs | None = Field(
        description="Null when the unit has no ledger data for the period (neutral terms)."
    )


def candidate_model(algorithm: str) -> type[RiskInputs]:
    """How a sealed document's candidates of this algorithm are read."""
    require_known_algorithm(algorithm)
    return RiskInputsV2 if algorithm == DRAW_ALGORITHM_V2 else RiskInputs


class CandidateDraw(BaseModel):
    """One candidate's published numbers, enough to recompute and check the order by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: str
    weight: Decimal
    uniform: Decimal
    key: Decimal


class DrawResult(BaseModel):
    """The outcome of a draw.

    It reveals the selection, so it is as secret as the plan's targets until the plan is revealed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: str = DRAW_ALGORITHM
    plan_salt: str
    k: int
    selected_unit_ids: tuple[str, ...] = Field(description="Drawn units, in draw order.")
    candidates: tuple[CandidateDraw, ...] = Field(description="Every candidate, sorted by unit_id.")


class VerifyResult(BaseModel):
    """What recomputing a revealed plan found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hash_matches: bool
    draw_matches: bool
    recomputed_commitment: str
    recomputed_selection: tuple[str, ...] | None = Field(
        description="Null when the draw could not be recomputed (see draw_error)."
    )
    draw: DrawResult | None
    draw_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.hash_matches and self.draw_matches


def canonical_unit_id(value: str | uuid.UUID) -> str:
    """Return the lowercase hyphenated form of a UUID; ValueError when it is not a UUID."""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"unit_id {value!r} is not a UUID") from error


class WeightTerms(BaseModel):
    """The parts of a candidate's weight (formula in the module docstring); ``weight`` is their
    sum rounded to 4 decimals. Shown to a planner before a draw, and after it from the sealed
    inputs: the same numbers the draw uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: Decimal
    score: Decimal = Field(description="From the last score; 3 when never scored")
    open_actions: Decimal
    overdue_actions: Decimal
    critical_findings: Decimal
    time_since_visit: Decimal = Field(description="One point per year; 2 when never visited")
    flagged_dossiers: Decimal | None = Field(default=None, description="v2 only")
    late_dossiers: Decimal | None = Field(default=None, description="v2 only")
    backlog: Decimal | None = Field(default=None, description="v2 only")
    weight: Decimal


def risk_weight(inputs: RiskInputs, algorithm: str = DRAW_ALGORITHM) -> float:
    """The weight of a candidate (formula in the module docstring), exact to 4 decimals."""
    return float(_risk_weight_decimal(inputs, algorithm))


def _risk_weight_decimal(inputs: RiskInputs, algorithm: str = DRAW_ALGORITHM) -> Decimal:
    return risk_weight_terms(inputs, algorithm).weight


def require_known_algorithm(algorithm: str) -> None:
    if algorithm not in DRAW_ALGORITHMS:
        raise ValueError(f"Unknown draw algorithm {algorithm!r}.")


def dossier_terms(facts: DossierRiskInputs | None) -> tuple[Decimal, Decimal, Decimal]:
    """The v2 terms (flagged, late, backlog) of a unit's dossier counts; neutral for None."""
    ctx = _WEIGHT_CONTEXT
    if facts is None:
        return _FLAGGED_NEUTRAL, _LATE_NEUTRAL, _BACKLOG_NEUTRAL

    def capped(slope: Decimal, part: int, whole: int, cap: Decimal) -> Decimal:
        value = ctx.divide(ctx.multiply(slope, Decimal(part)), Decimal(whole))
        return min(value, cap).quantize(_WEIGHT_QUANTUM, context=ctx)

    flagged = (
        capped(_FLAGGED_SLOPE, facts.flagged, facts.dossiers, _FLAGGED_CAP)
        if facts.dossiers
        else _FLAGGED_NEUTRAL
    )
    late = (
        capped(_LATE_SLOPE, facts.resolved - facts.resolved_on_time, facts.resolved, _LATE_CAP)
        if facts.resolved
        else _LATE_NEUTRAL
    )
    backlog = capped(
        _BACKLOG_SLOPE,
        facts.backlog,
        max(facts.dossiers, _BACKLOG_MIN_DOSSIERS),
        _BACKLOG_CAP,
    )
    return flagged, late, backlog


def risk_weight_terms(inputs: RiskInputs, algorithm: str = DRAW_ALGORITHM) -> WeightTerms:
    """Each term of the weight and the weight itself (the draw's own arithmetic)."""
    require_known_algorithm(algorithm)
    ctx = _WEIGHT_CONTEXT
    if inputs.last_score is None:
        score_term = _NEVER_SCORED_TERM
    else:
        # Decimal(float) is the exact binary value; rounding to 0.01 drops the binary noise.
        score = Decimal(inputs.last_score).quantize(_SCORE_QUANTUM, context=ctx)
        score_term = ctx.multiply(ctx.subtract(Decimal(100), score), _SCORE_TERM_PER_POINT_MISSED)

    if inputs.days_since_last_visit is None:
        capped_days = _DAYS_SINCE_VISIT_CAP
    else:
        capped_days = min(inputs.days_since_last_visit, _DAYS_SINCE_VISIT_CAP)
    time_term = ctx.divide(Decimal(capped_days), _DAYS_PER_POINT).quantize(
        _WEIGHT_QUANTUM, context=ctx
    )

    open_term = _OPEN_ACTION_TERM * min(inputs.open_actions, _OPEN_ACTIONS_CAP)
    overdue_term = _OVERDUE_ACTION_TERM * min(inputs.overdue_actions, _OVERDUE_ACTIONS_CAP)
    critical_term = _CRITICAL_FINDING_TERM * min(
        inputs.critical_findings_12m, _CRITICAL_FINDINGS_CAP
    )
    terms = [_BASE_WEIGHT, score_term, open_term, overdue_term, critical_term, time_term]
    extra: dict[str, Decimal] = {}
    if algorithm == DRAW_ALGORITHM_V2:
        if not isinstance(inputs, RiskInputsV2):
            raise ValueError("A v2 draw needs each candidate's dossier counts (RiskInputsV2).")
        flagged, late, backlog = dossier_terms(inputs.dossiers)
        terms += [flagged, late, backlog]
        extra = {"flagged_dossiers": flagged, "late_dossiers": late, "backlog": backlog}
    total = Decimal(0)
    for term in terms:
        total = ctx.add(total, term)
    return WeightTerms(
        **extra,
        base=_BASE_WEIGHT,
        score=score_term,
        open_actions=open_term,
        overdue_actions=overdue_term,
        critical_findings=critical_term,
        time_since_visit=time_term,
        weight=total.quantize(_WEIGHT_QUANTUM, context=ctx),
    )


def _uniform_for(unit_id: str, *, nonce: str, plan_salt: str) -> Decimal:
    digest = hmac.new(
        nonce.encode("utf-8"), (plan_salt + unit_id).encode("utf-8"), hashlib.sha256
    ).digest()
    numerator = int.from_bytes(digest, "big") + 1
    # Both integers are exact Decimals; one correctly rounded division gives u.
    return _KEY_CONTEXT.divide(Decimal(numerator), Decimal(_UNIFORM_DENOMINATOR))


def _key_for(uniform: Decimal, weight: Decimal) -> Decimal:
    ctx = _KEY_CONTEXT
    return ctx.exp(ctx.divide(ctx.ln(uniform), weight))


def draw_units(
    candidates: list[RiskInputs],
    k: int,
    nonce: str,
    plan_salt: str,
    algorithm: str = DRAW_ALGORITHM,
) -> DrawResult:
    """Draw ``k`` distinct units, weighted by risk, reproducibly from ``nonce`` and ``plan_salt``.

    Raises ValueError when ``k`` is not between 1 and the number of candidates, when a unit is
    listed twice, when the nonce is empty, or when the algorithm is unknown.
    """
    require_known_algorithm(algorithm)
    if not nonce:
        raise ValueError("The draw needs a non-empty nonce.")
    if k <= 0:
        raise ValueError(f"The number of units to draw must be at least 1 (got {k}).")
    if k > len(candidates):
        raise ValueError(
            f"Cannot draw {k} units from {len(candidates)} candidates: "
            "draw fewer units or add candidates."
        )
    ordered = sorted(candidates, key=lambda candidate: candidate.unit_id)
    for previous, current in itertools.pairwise(ordered):
        if previous.unit_id == current.unit_id:
            raise ValueError(f"Unit {current.unit_id} is listed twice among the candidates.")

    drawn: list[CandidateDraw] = []
    for candidate in ordered:
        weight = _risk_weight_decimal(candidate, algorithm)
        uniform = _uniform_for(candidate.unit_id, nonce=nonce, plan_salt=plan_salt)
        drawn.append(
            CandidateDraw(
                unit_id=candidate.unit_id,
                weight=weight,
                uniform=uniform,
                key=_key_for(uniform, weight),
            )
        )

    # Largest key first; ties go to the smaller unit_id. Sorting by (-key, unit_id) is exact
    # because Decimal comparison is exact.
    by_key = sorted(drawn, key=lambda entry: (-entry.key, entry.unit_id))
    return DrawResult(
        algorithm=algorithm,
        plan_salt=plan_salt,
        k=k,
        selected_unit_ids=tuple(entry.unit_id for entry in by_key[:k]),
        candidates=tuple(drawn),
    )


def new_nonce() -> str:
    """A fresh secret nonce: 32 random bytes as 64 hex characters."""
    return secrets.token_hex(32)


def canonical_json(obj: Any) -> bytes:
    """Canonical UTF-8 JSON bytes: sorted keys, compact, datetimes in UTC with 'Z'."""
    return canonical.canonical_json(obj, version=canonical.CANONICAL_V2)


def commitment(plan_document: Mapping[str, Any], nonce: str) -> str:
    """SHA-256 hex of the canonical JSON of the plan together with its secret nonce."""
    return canonical.canonical_sha256(
        {"plan": plan_document, "nonce": nonce}, version=canonical.CANONICAL_V2
    )


def verify(
    plan_document: Mapping[str, Any],
    nonce: str,
    expected_commitment: str,
    candidates: list[RiskInputs],
    k: int,
    plan_salt: str,
    expected_selection: Iterable[str],
    algorithm: str = DRAW_ALGORITHM,
) -> VerifyResult:
    """Recompute the commitment and the draw of a revealed plan and compare them.

    The selection must match in draw order. A draw that cannot be recomputed (for example ``k``
    larger than the candidate list) does not raise: it is reported as ``draw_matches=False``
    with the reason in ``draw_error``.
    """
    recomputed_commitment = commitment(plan_document, nonce)
    # Compare bytes: compare_digest refuses non-ASCII str, and a bad input should just not match.
    hash_matches = hmac.compare_digest(
        recomputed_commitment.encode("ascii"), expected_commitment.strip().lower().encode("utf-8")
    )

    try:
        draw = draw_units(candidates, k, nonce, plan_salt, algorithm)
    except ValueError as error:
        return VerifyResult(
            hash_matches=hash_matches,
            draw_matches=False,
            recomputed_commitment=recomputed_commitment,
            recomputed_selection=None,
            draw=None,
            draw_error=str(error),
        )
    return VerifyResult(
        hash_matches=hash_matches,
        draw_matches=draw.selected_unit_ids == _normalised_selection(expected_selection),
        recomputed_commitment=recomputed_commitment,
        recomputed_selection=draw.selected_unit_ids,
        draw=draw,
    )


def _normalised_selection(unit_ids: Iterable[str]) -> tuple[str, ...]:
    normalised = []
    for unit_id in unit_ids:
        try:
            normalised.append(canonical_unit_id(unit_id))
        except ValueError:
            normalised.append(unit_id)  # cannot match any candidate; keeps the comparison honest
    return tuple(normalised)

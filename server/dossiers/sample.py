"""The sealed sample of dossiers a plan commits to for each target unit that has a ledger.

Pure functions: no database, no clock, no global state. A revealed plan is checked by recomputing
its samples, so everything here must give the same answer on any machine, today and in ten years.
Changing any constant or formula below changes past samples: add a new ``SAMPLE_ALGORITHM``
version instead of editing this one.

The pool (``PoolRow``)
----------------------
The unit's stored dossiers received in the plan's period (``period_from``..``period_to``, by the
local day received), each reduced to what the draw reads: its code, its stratum and whether the
ledger rules flag it (judged at ``period_to``). The pool is bound into the plan's commitment by
its digest (``pool_digest``), so the flags and strata as they were at sealing are what any later
recomputation uses, whatever a later import changes in the ledger.

Strata (``stratum_of``)
-----------------------
``strata`` names the fields that split the pool: ``[]`` (one stratum, ``all``), ``["channel"]``
(the default), ``["procedure"]`` or both. A stratum's label joins the dossier's values in the
order ``procedure``, ``channel`` with ``|``; an unknown value is ``unknown`` (``2.001|online``).

Allocation (``allocate``)
-------------------------
``n = min(size, len(pool))`` dossiers are shared among the non-empty strata in proportion to
their sizes by the largest-remainder method: stratum ``i`` of ``N_i`` dossiers gets
``floor(n × N_i / N)``, then the ``n − Σ floor`` leftover places go one each to the strata with the
largest remainders (ties: the larger stratum, then the smaller label). Exact fractions, no floats.
Then, while ``n`` is at least the number of strata, a stratum left with none takes one place from
the stratum holding the most (ties: the smaller label), so every kind of dossier is looked at.

The draw inside a stratum (``draw_sample``)
-------------------------------------------
Efraimidis–Spirakis weighted sampling without replacement, as in the draw of units
(``server/plans/draw.py``): a flagged dossier weighs ``flagged_weight`` (1 to 10, quantised to
0.01), any other 1; the stratum's ``k`` dossiers with the largest keys win::

    salt    = "dossier-sample:" + plan_id + ":" + unit_id + ":"      (lowercase UUIDs)
    digest  = HMAC-SHA256(key = the plan's nonce as UTF-8, message = (salt + dossier_code) as UTF-8)
    u       = (int.from_bytes(digest, "big") + 1) / (2**256 + 1)          strictly inside (0, 1)
    key     = ln(u) / w                  (the order of u ** (1/w), without the exponential)

``u`` and ``ln`` are computed with ``Decimal`` at ``KEY_PRECISION`` significant digits (correctly
rounded, so platform-independent). Ties (practically impossible) go to the smaller code. (For
speed, float keys first narrow each stratum to the dossiers that can make its cut, with a margin
far above their error; the outcome is exactly that of the Decimal keys: ``exact_key``.) The
nonce is the plan's secret nonce, so nobody can predict the sample before the reveal (the unit
least of all), and anybody holding the pool can recompute it after.

Commitment (``sample_digest``, ``pool_digest``)
----------------------------------------------
SHA-256 of the canonical JSON (``server.core.canonical.CANONICAL_V2``) of the pool's rows
``[code, stratum, flagged]`` sorted by code, and of the drawn codes sorted. The plan document
carries both (never the codes themselves, which stay secret even after the reveal).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Final, Literal

from server.core import canonical

SAMPLE_ALGORITHM: Final = (
    "spotcheck-dossier-sample-v1:largest-remainder:efraimidis-spirakis:hmac-sha256"
)
KEY_PRECISION: Final = 50
STRATUM_FIELDS: Final = ("procedure", "channel")
ALL: Final = "all"
UNKNOWN: Final = "unknown"

_KEY_CONTEXT: Final = Context(prec=KEY_PRECISION, rounding=ROUND_HALF_EVEN)
_UNIFORM_DENOMINATOR: Final = 2**256 + 1
_WEIGHT_QUANTUM: Final = Decimal("0.01")

StratumField = Literal["procedure", "channel"]


@dataclass(frozen=True, slots=True, order=True)
class PoolRow:
    """One dossier as the draw sees it."""

    dossier_code: str
    stratum: str
    flagged: bool


@dataclass(frozen=True, slots=True)
class SampleResult:
    algorithm: str
    allocation: dict[str, int]  # stratum → how many drawn from it
    drawn: tuple[PoolRow, ...]  # stratum by stratum (by label), largest key first

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(row.dossier_code for row in self.drawn)


def stratum_of(strata: Sequence[str], *, procedure_code: str | None, channel: str | None) -> str:
    """The stratum label of a dossier (see the module docstring)."""
    values = {"procedure": procedure_code, "channel": channel}
    parts = [values[name] or UNKNOWN for name in STRATUM_FIELDS if name in strata]
    return "|".join(parts) if parts else ALL


def salt_for(plan_id: str, unit_id: str) -> str:
    return f"dossier-sample:{plan_id.lower()}:{unit_id.lower()}:"


def flagged_weight_decimal(value: float | Decimal | str) -> Decimal:
    """The flagged weight as the draw uses it: quantised to 0.01, between 1 and 10."""
    weight = Decimal(str(value)).quantize(_WEIGHT_QUANTUM, rounding=ROUND_HALF_EVEN)
    if not Decimal(1) <= weight <= Decimal(10):
        raise ValueError(f"flagged_weight must be between 1 and 10 (got {value}).")
    return weight


def allocate(stratum_sizes: dict[str, int], size: int) -> dict[str, int]:
    """How many dossiers each stratum gives (see the module docstring); sums to
    ``min(size, Σ sizes)`` and never exceeds a stratum's size."""
    sizes = {label: count for label, count in stratum_sizes.items() if count > 0}
    total = sum(sizes.values())
    n = min(max(size, 0), total)
    if n == 0:
        return {label: 0 for label in sizes}
    quotas = {label: Fraction(n * count, total) for label, count in sizes.items()}
    allocation = {label: int(quota) for label, quota in quotas.items()}  # floor (quota ≥ 0)
    leftover = n - sum(allocation.values())
    by_remainder = sorted(
        sizes, key=lambda label: (-(quotas[label] - allocation[label]), -sizes[label], label)
    )
    for label in by_remainder[:leftover]:
        allocation[label] += 1
    if n >= len(sizes):
        for label in sorted(sizes):
            if allocation[label] == 0:
                donor = max(sorted(sizes), key=lambda other: allocation[other])
                allocation[donor] -= 1
                allocation[label] += 1
    return allocation


def _hmac_integer(dossier_code: str, *, nonce: str, salt: str) -> int:
    digest = hmac.new(
        nonce.encode("utf-8"), (salt + dossier_code).encode("utf-8"), hashlib.sha256
    ).digest()
    return int.from_bytes(digest, "big")


def exact_key(dossier_code: str, *, nonce: str, salt: str, weight: Decimal) -> Decimal:
    """The key of the specification: ``ln(u) / w`` in Decimal at ``KEY_PRECISION`` digits."""
    ctx = _KEY_CONTEXT
    integer = _hmac_integer(dossier_code, nonce=nonce, salt=salt)
    uniform = ctx.divide(Decimal(integer + 1), _UNIFORM_DENOMINATOR)
    return ctx.divide(ctx.ln(uniform), weight)


# Float keys are within about 1e-13 of the exact ones (|key| < 178, relative error under 1e-15);
# every dossier whose float key is this close to the cut is decided by its exact key.
_FLOAT_MARGIN: Final = 1e-9


def _top_by_key(
    rows: list[PoolRow], take: int, *, nonce: str, salt: str, weight: Decimal
) -> list[PoolRow]:
    """The ``take`` rows with the largest exact keys, largest first (ties: smaller code).

    Computing 50-digit logarithms for every dossier of a large ledger takes seconds (100,000 in
    about 20 s), so float keys (correctly rounded ``u``, ``math.log``) pick the few rows that can
    be in the top ``take``, with a margin far above their error, and only those get exact keys:
    the outcome is the exact keys' outcome."""
    float_weight = float(weight)
    keyed = []
    for row in rows:
        integer = _hmac_integer(row.dossier_code, nonce=nonce, salt=salt)
        uniform = (integer + 1) / _UNIFORM_DENOMINATOR  # int / int: correctly rounded
        keyed.append((math.log(uniform) / (float_weight if row.flagged else 1.0), row))
    keyed.sort(key=lambda entry: -entry[0])
    cut = keyed[take - 1][0]
    margin = _FLOAT_MARGIN * max(1.0, abs(cut))
    near = [row for key, row in keyed if key >= cut - margin]
    exact = [
        (
            exact_key(
                row.dossier_code,
                nonce=nonce,
                salt=salt,
                weight=weight if row.flagged else Decimal(1),
            ),
            row,
        )
        for row in near
    ]
    exact.sort(key=lambda entry: (-entry[0], entry[1].dossier_code))
    return [row for _key, row in exact[:take]]


def draw_sample(
    pool: Iterable[PoolRow],
    *,
    size: int,
    nonce: str,
    salt: str,
    flagged_weight: float | Decimal | str,
) -> SampleResult:
    """Draw ``min(size, len(pool))`` dossiers (see the module docstring). The order of ``pool``
    never matters. ValueError for an empty nonce, a code listed twice or a weight out of range."""
    if not nonce:
        raise ValueError("The sample needs a non-empty nonce.")
    weight = flagged_weight_decimal(flagged_weight)
    rows = sorted(pool)
    by_stratum: dict[str, list[PoolRow]] = {}
    seen: set[str] = set()
    for row in rows:
        if row.dossier_code in seen:
            raise ValueError(f"Dossier {row.dossier_code} is listed twice in the pool.")
        seen.add(row.dossier_code)
        by_stratum.setdefault(row.stratum, []).append(row)
    allocation = allocate({label: len(members) for label, members in by_stratum.items()}, size)
    drawn: list[PoolRow] = []
    for label in sorted(by_stratum):
        take = allocation[label]
        if take:
            drawn.extend(
                _top_by_key(by_stratum[label], take, nonce=nonce, salt=salt, weight=weight)
            )
    return SampleResult(algorithm=SAMPLE_ALGORITHM, allocation=allocation, drawn=tuple(drawn))


def pool_digest(pool: Iterable[PoolRow]) -> str:
    return canonical.canonical_sha256(pool_to_json(pool), version=canonical.CANONICAL_V2)


def sample_digest(codes: Iterable[str]) -> str:
    return canonical.canonical_sha256(sorted(codes), version=canonical.CANONICAL_V2)


def pool_to_json(pool: Iterable[PoolRow]) -> list[list[str | bool]]:
    return [[row.dossier_code, row.stratum, row.flagged] for row in sorted(pool)]


def pool_from_json(value: Iterable[Sequence[object]]) -> list[PoolRow]:
    return [PoolRow(str(code), str(stratum), bool(flagged)) for code, stratum, flagged in value]

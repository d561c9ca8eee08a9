"""The posted-fee catalogue: the fee of each procedure as a province posts it, kept as data
(``fee_catalogues/vn.yaml``, one catalogue per province, naming the resolution that sets the
amounts), and the one place that builds the rules' :class:`RuleContext` from it.

Which catalogue applies is one setting for the server (``SPOTCHECK_FEE_CATALOGUE``, the shipped
``ninh-binh`` by default, ``none`` for no fee rules): a deployment serves one province, whose
People's Council sets the fees of all its communes. The app factory calls :func:`use_fee_catalogue`
at start-up, so an unknown key stops the server before it serves anything.

A per-page fee (certification of copies) is kept in the catalogue but left out of
:attr:`FeeCatalogue.posted_fees`: a ledger gives no page count, so it cannot be compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.core.errors import InvalidInput
from server.dossiers.rules import RuleContext
from server.dossiers.workdays import shipped_calendar

DEFAULT_FEE_CATALOGUE: Final = "ninh-binh"
NO_FEE_CATALOGUE: Final = "none"
_SHIPPED_FILE: Final = "fee_catalogues/vn.yaml"


class FeeCatalogueInvalid(InvalidInput):
    """A fee catalogue file that cannot be used, or a catalogue key it does not have."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostedFeeIn(_Strict):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    fee: int = Field(ge=0, strict=True, description="whole VND; 0: none due")
    per: Literal["dossier", "page"] = "dossier"
    basis: str | None = None


class CatalogueIn(_Strict):
    province: str = Field(min_length=1)
    resolution: str = Field(min_length=1)
    verified: bool = Field(strict=True)
    procedures: list[PostedFeeIn] = Field(min_length=1)

    @field_validator("procedures")
    @classmethod
    def _codes_once(cls, procedures: list[PostedFeeIn]) -> list[PostedFeeIn]:
        seen: set[str] = set()
        for procedure in procedures:
            if procedure.code in seen:
                raise ValueError(f"the procedure code {procedure.code!r} is listed twice")
            seen.add(procedure.code)
        return procedures


class CatalogueFileIn(_Strict):
    catalogues: dict[str, CatalogueIn] = Field(min_length=1)

    @field_validator("catalogues")
    @classmethod
    def _none_is_reserved(cls, catalogues: dict[str, CatalogueIn]) -> dict[str, CatalogueIn]:
        if NO_FEE_CATALOGUE in catalogues:
            raise ValueError(f"{NO_FEE_CATALOGUE!r} is reserved for 'no catalogue'")
        return catalogues


@dataclass(frozen=True)
class FeeCatalogue:
    key: str
    province: str
    resolution: str
    verified: bool
    procedures: tuple[PostedFeeIn, ...]

    @property
    def posted_fees(self) -> Mapping[str, int]:
        """Procedure code → fee in VND (0: none due), per-page fees left out."""
        return {p.code: p.fee for p in self.procedures if p.per == "dossier"}


def parse_fee_catalogues(text: str, source: str = "<fee catalogue>") -> dict[str, FeeCatalogue]:
    """Every catalogue of a file; a bad file raises :class:`FeeCatalogueInvalid` saying where."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise FeeCatalogueInvalid(
            f"The fee catalogue {source} is not valid YAML{where}: {problem}."
        ) from None
    try:
        parsed = CatalogueFileIn.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"line {_line_of(root, item['loc'])}, {_path(item['loc'])}: "
            f"{str(item['msg']).removeprefix('Value error, ')}"
            for item in error.errors()
        )
        raise FeeCatalogueInvalid(
            f"The fee catalogue {source} cannot be used: {problems}."
        ) from None
    return {
        key: FeeCatalogue(
            key, entry.province, entry.resolution, entry.verified, tuple(entry.procedures)
        )
        for key, entry in parsed.catalogues.items()
    }


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "the file"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The line of the deepest node of ``loc`` the file has (a missing key: its mapping's)."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


@cache
def shipped_fee_catalogues() -> dict[str, FeeCatalogue]:
    text = resources.files("server.dossiers").joinpath(_SHIPPED_FILE).read_text("utf-8")
    return parse_fee_catalogues(text, _SHIPPED_FILE)


def fee_catalogue(key: str) -> FeeCatalogue | None:
    """The shipped catalogue ``key``; ``none`` gives no catalogue (the fee rules stay silent)."""
    if key == NO_FEE_CATALOGUE:
        return None
    catalogues = shipped_fee_catalogues()
    if key not in catalogues:
        known = ", ".join(sorted(catalogues))
        raise FeeCatalogueInvalid(
            f"No fee catalogue {key!r} in {_SHIPPED_FILE} (it has {known}; "
            f"{NO_FEE_CATALOGUE!r} turns the fee rules off)."
        )
    return catalogues[key]


_in_use: FeeCatalogue | None = fee_catalogue(DEFAULT_FEE_CATALOGUE)


def use_fee_catalogue(key: str) -> FeeCatalogue | None:
    """Make ``key`` the catalogue every rule run uses (the app factory, from the setting)."""
    global _in_use
    _in_use = fee_catalogue(key)
    return _in_use


def catalogue_in_use() -> FeeCatalogue | None:
    return _in_use


def rule_context(period_end: date | None) -> RuleContext:
    """The context every server-side run of the rules uses: the shipped working-day calendar and
    the posted fees of the catalogue in use."""
    return context_with(_in_use, period_end)


def context_with(catalogue: FeeCatalogue | None, period_end: date | None) -> RuleContext:
    """The same with ``catalogue`` (None: no fee rules), for a caller that names it too."""
    return RuleContext(
        shipped_calendar(),
        period_end=period_end,
        posted_fees=catalogue.posted_fees if catalogue is not None else None,
    )

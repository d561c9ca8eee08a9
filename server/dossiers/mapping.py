"""Column layouts: which source column holds which canonical field, and how to read it.

A layout is a YAML file (``mappings/*.yaml`` ships form 06 and a generic one-stop export; a
province adds its system's export as another file)::

    layout: one-stop-export            # its key
    title: Xuất dữ liệu hồ sơ …         # for people
    header_search_rows: 10             # the header is the first of these rows that names every
                                       # required field (title lines above it are skipped)
    columns:
      dossier_code:                    # a canonical field (server.dossiers.model.FIELDS)
        headers: [Mã hồ sơ, Số hồ sơ]  # any of these names, matched tolerantly
      result_file_present:
        headers: [Tệp kết quả]
        parser: flag_nonempty          # one of the parsers for the field's kind
        if_blank: Không                # a blank cell reads as this, not as "unknown"
      channel:
        headers: [Hình thức nộp]
        words: {online: [DVC mức 4]}   # extra words for a word field

Headers match with case, diacritics, punctuation and spacing ignored ("NGÀY NHẬN HỒ SƠ:" is
"Ngày nhận hồ sơ"). A layout file is checked as a whole and every problem is reported at once
(:class:`LayoutInvalid`), naming the known fields when one is misspelt.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.core.errors import InvalidInput
from server.dossiers.model import FIELDS, PROVINCE_TIME_ZONE
from server.dossiers.parsing import (
    PARSERS_BY_KIND,
    Cell,
    CellError,
    Parser,
    clean_text,
    fold,
    make_parser,
    word_meanings,
)
from server.dossiers.texts import Text

SHIPPED_LAYOUTS: Final = ("form-06", "one-stop-export")


class LayoutInvalid(InvalidInput):
    """A layout file with problems; ``problems`` lists every one (``path: message``)."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        super().__init__(
            f"The column layout {source} has {len(problems)} problem(s): " + "; ".join(problems),
            extra={"problems": list(problems)},
        )
        self.problems = list(problems)


class ColumnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    headers: list[str] = Field(min_length=1)
    parser: str | None = None
    if_blank: str | int | bool | None = None
    words: dict[str, list[str]] = {}

    @field_validator("headers")
    @classmethod
    def _headers_have_words(cls, headers: list[str]) -> list[str]:
        for header in headers:
            if not fold(header):
                raise ValueError(f"header {header!r} has no letters or digits to match")
        return headers


class LayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    title: str
    title_en: str = ""  # the layout's name for an English screen (default: the title)
    description: str = ""
    time_zone: str = str(PROVINCE_TIME_ZONE)
    header_search_rows: int = Field(default=10, ge=1, le=50)
    sheet: str | None = None
    # Each column is validated on its own (_columns), so one bad column does not hide the others.
    columns: dict[str, Any] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    field: str
    headers: tuple[str, ...]
    folded_headers: frozenset[str]
    parser_name: str
    parser: Parser
    if_blank: Cell


@dataclass(frozen=True)
class Layout:
    key: str
    title: str
    time_zone: ZoneInfo
    header_search_rows: int
    sheet: str | None
    columns: tuple[ColumnSpec, ...]
    title_en: str = ""
    description: str = ""

    @property
    def required_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(column for column in self.columns if FIELDS[column.field].required)


def parse_layout(text: str, source: str = "<layout>") -> Layout:
    """A layout from YAML text, or :class:`LayoutInvalid` with every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise LayoutInvalid(source, [f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise LayoutInvalid(source, ["the file must be a mapping with layout, title and columns"])
    try:
        model = LayoutIn.model_validate(data)
    except ValidationError as error:
        raise LayoutInvalid(source, _pydantic_problems(error)) from None
    columns_in, problems = _columns(model.columns)
    problems.extend(_check_columns(columns_in))
    try:
        zone = ZoneInfo(model.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time_zone: {model.time_zone!r} is not a known IANA time zone")
        zone = PROVINCE_TIME_ZONE
    if problems:
        raise LayoutInvalid(source, problems)
    columns = []
    for field, column in columns_in.items():
        parser_name = column.parser or PARSERS_BY_KIND[FIELDS[field].kind][0]
        parser = make_parser(parser_name, zone, column.words)
        columns.append(
            ColumnSpec(
                field=field,
                headers=tuple(column.headers),
                folded_headers=frozenset(fold(header) for header in column.headers),
                parser_name=parser_name,
                parser=parser,
                if_blank=None if column.if_blank is None else parser(column.if_blank),
            )
        )
    return Layout(
        key=model.layout,
        title=model.title,
        time_zone=zone,
        header_search_rows=model.header_search_rows,
        sheet=model.sheet,
        columns=tuple(columns),
        title_en=model.title_en or model.title,
        description=model.description,
    )


def load_layout_file(path: Path) -> Layout:
    return parse_layout(path.read_text(encoding="utf-8"), str(path))


@cache
def shipped_layout(key: str) -> Layout:
    """One of the layouts shipped in ``server/dossiers/mappings/``."""
    if key not in SHIPPED_LAYOUTS:
        raise InvalidInput(
            f"Unknown column layout {key!r}: the shipped ones are {', '.join(SHIPPED_LAYOUTS)}."
        )
    text = resources.files("server.dossiers").joinpath(f"mappings/{key}.yaml").read_text("utf-8")
    return parse_layout(text, f"mappings/{key}.yaml")


def _columns(raw: dict[str, Any]) -> tuple[dict[str, ColumnIn], list[str]]:
    known = list(FIELDS)
    columns: dict[str, ColumnIn] = {}
    problems: list[str] = []
    for field, column in raw.items():
        if field not in FIELDS:
            close = difflib.get_close_matches(field, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"columns.{field}: unknown field{hint}; the canonical fields are "
                + ", ".join(known)
            )
            continue
        try:
            columns[field] = ColumnIn.model_validate(column)
        except ValidationError as error:
            problems.extend(f"columns.{field}.{problem}" for problem in _pydantic_problems(error))
    return columns, problems


def _check_columns(columns: dict[str, ColumnIn]) -> Iterable[str]:
    for field, column in columns.items():
        kind = FIELDS[field].kind
        allowed = PARSERS_BY_KIND[kind]
        if column.parser is not None and column.parser not in allowed:
            yield (
                f"columns.{field}.parser: {column.parser!r} cannot read a {kind} field; "
                f"use one of {', '.join(allowed)}"
            )
            continue
        meanings = word_meanings(kind)
        for meaning in column.words:
            if meaning not in meanings:
                yield (
                    f"columns.{field}.words: {meaning!r} is not a meaning of a {kind} field"
                    + (f"; use {', '.join(meanings)}" if meanings else " (it reads no words)")
                )
        if column.if_blank is not None:
            try:
                make_parser(
                    column.parser or allowed[0], PROVINCE_TIME_ZONE, _valid_words(column, meanings)
                )(column.if_blank)
            except CellError as error:
                yield f"columns.{field}.if_blank: {error}"
    for field, spec in FIELDS.items():
        if spec.required and field not in columns:
            yield f"columns: the required field {field!r} is not mapped"
    owners: dict[str, str] = {}
    for field, column in columns.items():
        for header in column.headers:
            key = fold(header)
            if key in owners and owners[key] != field:
                yield (
                    f"columns.{field}.headers: {header!r} already names {owners[key]!r} "
                    "(headers are matched ignoring case and diacritics)"
                )
            owners.setdefault(key, field)


def _valid_words(column: ColumnIn, meanings: tuple[str, ...]) -> dict[str, list[str]]:
    return {meaning: words for meaning, words in column.words.items() if meaning in meanings}


def _pydantic_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(f"{path}: {message}" if path else message)
    return problems


# --- binding a layout to a file's header row ----------------------------------------------------


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the spreadsheet's name of a column."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class BoundColumn:
    spec: ColumnSpec
    index: int  # 0-based position in the row
    header: str  # the header as the file wrote it

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class HeaderMatch:
    columns: tuple[BoundColumn, ...]
    ignored_headers: tuple[str, ...]
    problems: tuple[Text, ...]  # ambiguous headers: two file columns for one field


def match_header(layout: Layout, row: Sequence[Any]) -> HeaderMatch | None:
    """The layout bound to ``row`` if it is the header row (it names every required field),
    else None."""
    by_header: dict[str, ColumnSpec] = {}
    for spec in layout.columns:
        for folded in spec.folded_headers:
            by_header[folded] = spec
    bound: dict[str, BoundColumn] = {}
    ignored: list[str] = []
    problems: list[Text] = []
    for index, cell in enumerate(row):
        if cell is None:
            continue
        header = clean_text(cell)
        if not header:
            continue
        found = by_header.get(fold(header))
        if found is None:
            ignored.append(header)
            continue
        spec = found
        if spec.field in bound:
            first = bound[spec.field]
            letter = column_letter(index)
            problems.append(
                Text(
                    vi=f"cột {first.letter} («{first.header}») và cột {letter} («{header}») "
                    f"cùng ghi một thông tin ({spec.field}); đề nghị chỉ giữ một cột",
                    en=f"columns {first.letter} ({first.header!r}) and {letter} ({header!r}) "
                    f"both name the field {spec.field!r}; keep one",
                )
            )
        else:
            bound[spec.field] = BoundColumn(spec, index, header)
    if any(spec.field not in bound for spec in layout.required_columns):
        return None
    return HeaderMatch(tuple(bound.values()), tuple(ignored), tuple(problems))


def missing_headers_message(layout: Layout, rows_seen: int) -> Text:
    required = layout.required_columns
    wanted_vi = "; ".join(" / ".join(column.headers) for column in required)
    wanted_en = "; ".join(f"{column.field} ({' / '.join(column.headers)})" for column in required)
    return Text(
        vi=f"Trong {rows_seen} dòng đầu của tệp không có dòng tên cột nào có đủ các cột bắt "
        f"buộc của mẫu «{layout.title}»: {wanted_vi}.",
        en=f"No header row in the first {rows_seen} row(s) names every required column of the "
        f"layout {layout.key!r}: {wanted_en}.",
    )

"""Validate a checklist YAML file and report every problem with its line and column.

The file is read with PyYAML's composer, so every value keeps the position it came from. Three kinds
of checks run, and all their problems are reported together (an author fixes a file in one pass):

1. the YAML itself: syntax, duplicate keys (PyYAML would silently keep the last one);
2. the structure: the Pydantic models in `checklists.format` (types, required and unknown keys,
   both languages, type-specific fields, `show_if` syntax, scoring parameters);
3. the rules that tie the file together (`_cross_checks`): unique keys, point sums, rating bands,
   legal-basis codes, choice points, `show_if` references, self-references and cycles.

The cross-checks read the raw YAML data rather than the model, so they still run, and still help,
when the structure has errors elsewhere.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeAlias

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checklists import expressions
from checklists.format import (
    CHECKLIST_KEY_PATTERN,
    CODE_PATTERN,
    ITEM_KEY_PATTERN,
    ITEM_MODELS,
    SCORED_ANSWER_TYPES,
    AnswerType,
    ChecklistTemplate,
)

Location: TypeAlias = tuple[str | int, ...]


class Issue(BaseModel):
    """One problem in a checklist file. `line` and `column` are 1-based; `path` is like
    `sections[2].items[4].points` (empty for the whole document)."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ChecklistInvalid(Exception):
    """A checklist file that cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        shown = "\n".join(str(issue) for issue in issues[:10])
        more = f"\n… and {len(issues) - 10} more" if len(issues) > 10 else ""
        super().__init__(f"checklist is invalid ({len(issues)} issues):\n{shown}{more}")


def validate_text(text: str, filename: str = "<checklist>") -> list[Issue]:
    """Every problem in a checklist file, sorted by position; empty when the file is valid."""
    _template, issues = _checked(text, filename)
    return list(issues)


def load_template(text: str, filename: str = "<checklist>") -> ChecklistTemplate:
    """Parse and validate a checklist file; raise `ChecklistInvalid` with every issue found.
    The template is shared with other callers of the same text: treat it as immutable, like
    the published versions' templates."""
    template, issues = _checked(text, filename)
    if issues or template is None:
        raise ChecklistInvalid(list(issues))
    return template


@functools.lru_cache(maxsize=8)
def _checked(text: str, filename: str) -> tuple[ChecklistTemplate | None, tuple[Issue, ...]]:
    """The same file is often checked again (each `spotcheck demo`, a publish after a preview):
    the pure-Python YAML reader with positions takes a tenth of a second for the shipped one."""
    template, issues = _check(text, filename)
    return template, tuple(issues)


# --- YAML reading ------------------------------------------------------------------------------

_BOOL_TAG = "tag:yaml.org,2002:bool"


class _ChecklistLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: `yes`, `no`, `on` and `off` stay strings, because "yes"
    and "no" are answer values in checklists and must not turn into true and false."""


_ChecklistLoader.yaml_implicit_resolvers = {
    first_character: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first_character, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ChecklistLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """PyYAML's own constructor raises a bare ValueError for a date-shaped value that is no date
    (`0000-00-00`, `2026-02-30`); report it at its place in the file like any YAML error."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as error:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date or time ({error})", node.start_mark
        ) from error


_ChecklistLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass(frozen=True)
class _Problem:
    """A problem found on the data, before it is placed in the file.

    `at_key` points at the key rather than its value (unknown and duplicate keys); `offset` is a
    character offset inside a scalar (a `show_if` error); `related` is another location whose line
    is worth mentioning (where a duplicated key was first used).
    """

    location: Location
    message: str
    at_key: bool = False
    offset: int | None = None
    related: Location | None = None


def _check(text: str, filename: str) -> tuple[ChecklistTemplate | None, list[Issue]]:
    text = text.removeprefix("\ufeff")
    try:
        # The reader already checks characters, so even creating the loader can fail.
        loader = _ChecklistLoader(text)
    except yaml.reader.ReaderError as error:
        return None, [_reader_error_issue(filename, text, error)]
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [Issue(file=filename, line=1, column=1, path="", message="file is empty")]
        issues = [
            _issue_at(filename, key_node, path, message)
            for key_node, path, message in _duplicate_keys(root)
        ]
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        return None, [_yaml_error_issue(filename, error)]
    except yaml.YAMLError as error:
        return None, [
            Issue(file=filename, line=1, column=1, path="", message=f"YAML error: {error}")
        ]
    finally:
        loader.dispose()

    problems: list[_Problem] = []
    template: ChecklistTemplate | None = None
    try:
        template = ChecklistTemplate.model_validate(data)
    except ValidationError as error:
        problems += [_problem_from_pydantic(each) for each in error.errors()]
    if isinstance(data, dict):
        problems += _cross_checks(data)

    locator = _Locator(root, text)
    issues += [locator.issue(filename, problem) for problem in problems]
    issues.sort(key=lambda issue: (issue.line, issue.column, issue.path, issue.message))
    return (template if not issues else None), issues


def _yaml_error_issue(filename: str, error: yaml.MarkedYAMLError) -> Issue:
    mark = error.problem_mark or error.context_mark
    parts = [part for part in (error.context, error.problem) if part]
    message = "YAML syntax error: " + ("; ".join(parts) if parts else str(error))
    if mark is None:
        return Issue(file=filename, line=1, column=1, path="", message=message)
    return Issue(
        file=filename, line=mark.line + 1, column=mark.column + 1, path="", message=message
    )


def _reader_error_issue(filename: str, text: str, error: yaml.reader.ReaderError) -> Issue:
    before = text[: error.position]
    line = before.count("\n") + 1
    column = error.position - (before.rfind("\n") + 1) + 1
    message = f"YAML syntax error: character {error.character:#06x} is not allowed"
    return Issue(file=filename, line=line, column=column, path="", message=message)


def _issue_at(filename: str, node: Node, path: str, message: str) -> Issue:
    mark = node.start_mark
    return Issue(
        file=filename, line=mark.line + 1, column=mark.column + 1, path=path, message=message
    )


def _duplicate_keys(root: Node) -> Iterator[tuple[Node, str, str]]:
    """(key node, path, message) for every key that repeats one earlier in the same mapping."""
    visited: set[int] = set()

    def visit(node: Node, path: str) -> Iterator[tuple[Node, str, str]]:
        # Aliases make the node graph shareable (even cyclic); check each node once.
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, SequenceNode):
            for index, child in enumerate(node.value):
                yield from visit(child, f"{path}[{index}]")
        elif isinstance(node, MappingNode):
            first_seen: dict[str, Node] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    yield key_node, path, "mapping keys must be plain text"
                    continue
                key = key_node.value
                child_path = f"{path}.{key}" if path else key
                if key == "<<":  # a merge key, resolved by the constructor
                    yield from visit(value_node, path)
                    continue
                if key in first_seen:
                    first_line = first_seen[key].start_mark.line + 1
                    yield (
                        key_node,
                        child_path,
                        f"duplicate key '{key}' (first used on line {first_line})",
                    )
                else:
                    first_seen[key] = key_node
                yield from visit(value_node, child_path)

    yield from visit(root, "")


# --- Placing problems in the file --------------------------------------------------------------

_ANSWER_TYPE_TAGS = frozenset(answer_type.value for answer_type in AnswerType)


def _is_answer_type_tag(location: Location, index: int) -> bool:
    """Pydantic puts the chosen answer_type into the location of an item's errors
    (`sections, 0, items, 3, count, scoring`); that segment is not a key in the file."""
    return (
        index >= 2
        and location[index - 2] == "items"
        and isinstance(location[index - 1], int)
        and location[index] in _ANSWER_TYPE_TAGS
    )


def _without_tags(location: Location) -> Location:
    return tuple(
        part for index, part in enumerate(location) if not _is_answer_type_tag(location, index)
    )


def format_path(location: Location) -> str:
    """`("sections", 2, "items", 4, "points")` → `sections[2].items[4].points`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


class _Locator:
    def __init__(self, root: Node, text: str) -> None:
        self.root = root
        self.lines = text.splitlines()

    def find(self, location: Location) -> tuple[Node, Node | None, bool]:
        """The deepest node on the way to `location`, the key node that leads to it, and whether
        the whole location was found."""
        node, key_node = self.root, None
        for part in _without_tags(location):
            if (
                isinstance(part, int)
                and isinstance(node, SequenceNode)
                and 0 <= part < len(node.value)
            ):
                node, key_node = node.value[part], None
                continue
            if isinstance(part, str) and isinstance(node, MappingNode):
                pair = _lookup(node, part)
                if pair is not None:
                    key_node, node = pair
                    continue
            return node, key_node, False
        return node, key_node, True

    def issue(self, filename: str, problem: _Problem) -> Issue:
        node, key_node, complete = self.find(problem.location)
        target = key_node if (problem.at_key and complete and key_node is not None) else node
        line, column = target.start_mark.line, target.start_mark.column
        if complete and problem.offset is not None and isinstance(node, ScalarNode):
            column = self._column_inside(node, problem.offset)
        message = problem.message
        if problem.related is not None:
            related_node, _key, found = self.find(problem.related)
            if found:
                message += f" (first used on line {related_node.start_mark.line + 1})"
        return Issue(
            file=filename,
            line=line + 1,
            column=column + 1,
            path=format_path(_without_tags(problem.location)),
            message=message,
        )

    def _column_inside(self, node: ScalarNode, offset: int) -> int:
        """The column of character `offset` of a one-line scalar's value, counting the quotes and
        escapes of its source text; other scalars (block, multi-line) point at their start."""
        start, end = node.start_mark, node.end_mark
        if start.line != end.line or start.line >= len(self.lines):
            return start.column
        source = self.lines[start.line][start.column : end.column]
        if node.style is None:
            return start.column + offset
        if node.style not in ("'", '"'):
            return start.column
        position, remaining = 1, offset  # skip the opening quote
        while remaining > 0 and position < len(source) - 1:
            if node.style == "'" and source[position : position + 2] == "''":
                position += 2
            elif node.style == '"' and source[position] == "\\":
                position += _escape_length(source, position)
            else:
                position += 1
            remaining -= 1
        return start.column + position


def _escape_length(source: str, position: int) -> int:
    code = source[position + 1 : position + 2]
    return {"x": 4, "u": 6, "U": 10}.get(code, 2)


def _lookup(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    found = None
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found = (key_node, value_node)  # the last one wins, as in PyYAML
    return found


# --- Pydantic errors as problems ---------------------------------------------------------------

_PATTERN_DESCRIPTIONS = {
    ITEM_KEY_PATTERN: "must start with a letter and contain only letters, digits and _",
    CHECKLIST_KEY_PATTERN: "must be lower-case letters and digits separated by single hyphens",
    CODE_PATTERN: "must be lower-case letters and digits separated by single - . or _",
}
_TYPE_MESSAGES = {
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "list_type": "expected a list",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
}


def _problem_from_pydantic(error: Any) -> _Problem:
    location: Location = tuple(error["loc"])
    error_type: str = error["type"]
    context: dict[str, Any] = error.get("ctx") or {}
    given = error.get("input")
    if error_type == "extra_forbidden":
        key = str(location[-1])
        return _Problem(location, _unknown_key_message(location, key), at_key=True)
    if error_type == "missing":
        return _Problem(location, f"missing required key '{location[-1]}'")
    if error_type == "union_tag_not_found":
        return _Problem((*location, "answer_type"), "missing required key 'answer_type'")
    if error_type == "union_tag_invalid":
        allowed = ", ".join(answer_type.value for answer_type in AnswerType)
        message = f"unknown answer_type {context.get('tag')!r}; use one of: {allowed}"
        return _Problem((*location, "answer_type"), message)
    if error_type == "value_error":
        cause = context.get("error")
        if isinstance(cause, expressions.ExpressionError):
            return _Problem(location, cause.message, offset=cause.column)
        return _Problem(location, str(cause))
    if error_type in _TYPE_MESSAGES:
        return _Problem(location, f"{_TYPE_MESSAGES[error_type]}, got {_describe_value(given)}")
    if error_type == "string_pattern_mismatch":
        pattern = context.get("pattern", "")
        rule = _PATTERN_DESCRIPTIONS.get(pattern, f"must match {pattern}")
        return _Problem(location, f"{given!r} {rule}")
    if error_type == "literal_error" and location[-1] == "points":
        answer_type = location[-2] if len(location) >= 2 else "these"
        return _Problem(location, f"{answer_type} items are not scored: leave points out or use 0")
    if error_type in ("literal_error", "enum"):
        return _Problem(location, f"must be one of {context.get('expected')}, got {given!r}")
    if error_type == "too_short" and isinstance(given, list) and not given:
        return _Problem(location, "must not be empty")
    message = (
        str(error["msg"]).replace("Input should be", "must be").replace("Input should", "must")
    )
    return _Problem(location, message)


def _describe_value(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _unknown_key_message(location: Location, key: str) -> str:
    message = f"unknown key '{key}'"
    if _is_answer_type_tag(location, len(location) - 2):
        # A key of another answer type (`options` on a count item) deserves a precise hint.
        allowing = [tag.value for tag, model in ITEM_MODELS.items() if key in model.model_fields]
        if allowing:
            return f"{message}: not used by {location[-2]} items (only by: {', '.join(allowing)})"
    parent = _model_at(location[:-1])
    known = list(parent.model_fields) if parent is not None else []
    close = difflib.get_close_matches(key, known, n=1)
    return f"{message} (did you mean '{close[0]}'?)" if close else message


def _model_at(location: Location) -> type[BaseModel] | None:
    """The format model that describes the object at `location` (for hints on unknown keys)."""
    current: Any = ChecklistTemplate
    for index, part in enumerate(location):
        if isinstance(part, int):
            continue
        if _is_answer_type_tag(location, index):
            current = ITEM_MODELS[AnswerType(part)]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """`list[X]`, `X | None` and `Annotated[X, …]` → X; a union of several models stays as is."""
    while True:
        origin = typing.get_origin(annotation)
        arguments = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if origin in (list, typing.Annotated) or (
            origin in (typing.Union, types.UnionType) and len(arguments) == 1
        ):
            annotation = arguments[0]
        else:
            return annotation


# --- Rules across the file ---------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_number(value: Any) -> Fraction | None:
    # Exact arithmetic, so 0.1 + 0.2 points add up to exactly 0.3.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _show(number: Fraction) -> str:
    return str(number.numerator) if number.denominator == 1 else f"{float(number):g}"


@dataclass(frozen=True)
class _RawItem:
    location: Location
    data: dict[str, Any]

    @property
    def key(self) -> str | None:
        key = self.data.get("key")
        return key if isinstance(key, str) else None

    @property
    def answer_type(self) -> str | None:
        answer_type = self.data.get("answer_type")
        return answer_type if isinstance(answer_type, str) else None


def _raw_items(data: dict[str, Any]) -> list[_RawItem]:
    items = []
    for section_index, section in enumerate(_as_list(data.get("sections"))):
        if not isinstance(section, dict):
            continue
        for item_index, item in enumerate(_as_list(section.get("items"))):
            if isinstance(item, dict):
                items.append(_RawItem(("sections", section_index, "items", item_index), item))
    return items


def _cross_checks(data: dict[str, Any]) -> list[_Problem]:
    items = _raw_items(data)
    return [
        *_check_unique_keys(data, items),
        *_check_points(data),
        *_check_rating_bands(data),
        *_check_legal_basis_codes(data, items),
        *_check_choice_options(items),
        *_check_show_if(items),
    ]


def _duplicates(keyed: Sequence[tuple[Any, Location]], what: str) -> Iterator[_Problem]:
    first_seen: dict[Any, Location] = {}
    for key, location in keyed:
        if not isinstance(key, str | Fraction):
            continue  # missing or malformed: the structure check reports it
        if key in first_seen:
            message = f"{what} {key!r} is already used by {format_path(first_seen[key][:-1])}"
            yield _Problem(location, message, related=first_seen[key])
        else:
            first_seen[key] = location


def _check_unique_keys(data: dict[str, Any], items: list[_RawItem]) -> Iterator[_Problem]:
    sections = [
        (section.get("key"), ("sections", index, "key"))
        for index, section in enumerate(_as_list(data.get("sections")))
        if isinstance(section, dict) and isinstance(section.get("key"), str)
    ]
    yield from _duplicates(sections, "section key")
    yield from _duplicates([(item.key, (*item.location, "key")) for item in items], "item key")


def _section_item_points(section: dict[str, Any]) -> Fraction | None:
    """The sum of a section's item points, or None when some item's points are unreadable."""
    total = Fraction(0)
    for item in _as_list(section.get("items")):
        if not isinstance(item, dict):
            return None
        # Unscored items may leave points out (they are 0); scored ones must state them.
        answer_type = item.get("answer_type")
        default = None if isinstance(answer_type, str) and answer_type in SCORED_ANSWER_TYPES else 0
        points = _as_number(item.get("points", default))
        if points is None:
            return None
        total += points
    return total


def _check_points(data: dict[str, Any]) -> Iterator[_Problem]:
    sections = _as_list(data.get("sections"))
    declared_totals: list[Fraction | None] = []
    for index, section in enumerate(sections):
        declared = _as_number(section.get("points")) if isinstance(section, dict) else None
        declared_totals.append(declared)
        items_total = _section_item_points(section) if isinstance(section, dict) else None
        if declared is not None and items_total is not None and declared != items_total:
            yield _Problem(
                ("sections", index, "points"),
                f"section {section.get('key')!r} has {_show(declared)} points but its items "
                f"add up to {_show(items_total)}",
            )
    total = _as_number(data.get("total_points", 100))
    known = [points for points in declared_totals if points is not None]
    if total is None or not known or len(known) != len(declared_totals):
        return
    if total != sum(known):
        location: Location = ("total_points",) if "total_points" in data else ("sections",)
        message = (
            f"total_points is {_show(total)} but the sections add up to "
            f"{_show(sum(known, Fraction(0)))}"
        )
        # Without total_points in the file, point at the `sections:` key, not its first element.
        yield _Problem(location, message, at_key="total_points" not in data)


def _check_rating_bands(data: dict[str, Any]) -> Iterator[_Problem]:
    bands = [
        (index, band)
        for index, band in enumerate(_as_list(data.get("rating_bands")))
        if isinstance(band, dict)
    ]
    yield from _duplicates(
        [(band.get("key"), ("rating_bands", index, "key")) for index, band in bands], "band key"
    )
    starts = [
        (_as_number(band.get("min_score")), ("rating_bands", index, "min_score"))
        for index, band in bands
    ]
    valid_starts = [(start, location) for start, location in starts if start is not None]
    if len(valid_starts) != len(bands) or not bands:
        return  # a missing or malformed min_score is reported by the structure check
    for problem in _duplicates(valid_starts, "min_score"):
        yield _Problem(
            problem.location,
            "two bands start at the same score; each band needs its own min_score",
            related=problem.related,
        )
    lowest, lowest_location = min(valid_starts, key=lambda pair: pair[0])
    if lowest != 0:
        yield _Problem(
            lowest_location,
            f"the lowest band starts at {_show(lowest)}, so lower scores have no band; "
            "bands must cover 0–100, set the lowest min_score to 0",
        )


def _check_legal_basis_codes(data: dict[str, Any], items: list[_RawItem]) -> Iterator[_Problem]:
    bases = [
        (basis.get("code"), ("legal_bases", index, "code"))
        for index, basis in enumerate(_as_list(data.get("legal_bases")))
        if isinstance(basis, dict)
    ]
    yield from _duplicates(bases, "legal basis code")
    declared = sorted({code for code, _location in bases if isinstance(code, str)})
    for item in items:
        for index, code in enumerate(_as_list(item.data.get("legal_basis"))):
            if isinstance(code, str) and code not in declared:
                close = difflib.get_close_matches(code, declared, n=1)
                hint = (
                    f" (did you mean {close[0]!r}?)" if close else " (declare it under legal_bases)"
                )
                yield _Problem(
                    (*item.location, "legal_basis", index), f"unknown legal basis {code!r}{hint}"
                )


def _check_choice_options(items: list[_RawItem]) -> Iterator[_Problem]:
    for item in items:
        if item.answer_type != AnswerType.CHOICE:
            continue
        options = [
            (index, option)
            for index, option in enumerate(_as_list(item.data.get("options")))
            if isinstance(option, dict)
        ]
        yield from _duplicates(
            [
                (option.get("key"), (*item.location, "options", index, "key"))
                for index, option in options
            ],
            "option key",
        )
        item_points = _as_number(item.data.get("points"))
        option_points = [(index, _as_number(option.get("points"))) for index, option in options]
        if (
            item_points is None
            or not option_points
            or any(points is None for _i, points in option_points)
        ):
            continue
        for index, points in option_points:
            if points is not None and points > item_points:
                yield _Problem(
                    (*item.location, "options", index, "points"),
                    f"option is worth {_show(points)} points, more than the item's {_show(item_points)}",
                )
        best = max(points for _index, points in option_points if points is not None)
        if best < item_points:
            yield _Problem(
                (*item.location, "points"),
                f"no option earns the item's full {_show(item_points)} points, so it can never pass",
            )


def _check_show_if(items: list[_RawItem]) -> Iterator[_Problem]:
    by_key = {item.key: item for item in items if item.key is not None}
    dependencies: dict[str, list[str]] = {}
    for item in items:
        show_if = item.data.get("show_if")
        if not isinstance(show_if, str) or item.key is None:
            continue
        try:
            tree = expressions.parse(show_if)
        except expressions.ExpressionError:
            continue  # reported by the structure check
        location = (*item.location, "show_if")
        dependencies[item.key] = []
        for node in expressions.walk(tree):
            if not isinstance(node, expressions.Reference):
                continue
            if node.item_key == item.key:
                yield _Problem(location, f"{item.key} cannot depend on itself", offset=node.column)
            elif node.item_key not in by_key:
                close = difflib.get_close_matches(node.item_key, list(by_key), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                message = f"unknown item {node.item_key!r}{hint}"
                yield _Problem(location, message, offset=node.column)
            else:
                dependencies[item.key].append(node.item_key)
        for node in expressions.walk(tree):
            if isinstance(node, expressions.Comparison):
                for message, offset in _comparison_mistakes(node, by_key):
                    yield _Problem(location, message, offset=offset)
    for cycle in _cycles(dependencies):
        item = by_key[cycle[0]]
        yield _Problem(
            (*item.location, "show_if"), "show_if conditions form a cycle: " + " → ".join(cycle)
        )


_ANSWER_WORDS = {
    AnswerType.YES_NO_NA: ("yes", "no", "na"),
    AnswerType.YES_NO: ("yes", "no"),
}
_NUMERIC_ANSWERS = {AnswerType.COUNT, AnswerType.PERCENT, AnswerType.NUMBER, AnswerType.PHOTO}
_UNORDERED_ANSWERS = {AnswerType.YES_NO_NA, AnswerType.YES_NO, AnswerType.CHOICE}


def _comparison_mistakes(
    comparison: expressions.Comparison, by_key: dict[str, _RawItem]
) -> Iterator[tuple[str, int]]:
    """Literals that the referenced item can never answer: `B5 == "yse"`, `A1 > "3"`."""
    for reference, other in (
        (comparison.left, comparison.right),
        (comparison.right, comparison.left),
    ):
        if not isinstance(reference, expressions.Reference) or reference.item_key not in by_key:
            continue
        item = by_key[reference.item_key]
        answer_type = item.answer_type
        literals = other.items if isinstance(other, expressions.ListLiteral) else (other,)
        if (
            reference.attribute in ("numerator", "denominator")
            and answer_type != AnswerType.PERCENT
        ):
            yield f"only percent items have a {reference.attribute}", reference.column
            continue
        if comparison.operator in ("<", "<=", ">", ">=") and answer_type in _UNORDERED_ANSWERS:
            yield (
                f"{reference.item_key} is a {answer_type} item; '{comparison.operator}' is always false "
                "for it, compare with == or in",
                comparison.column,
            )
            continue
        for literal in literals:
            if not isinstance(literal, expressions.Literal) or literal.value is None:
                continue
            expected = _expected_values(item, reference.attribute)
            if expected is None:
                continue
            if isinstance(expected, tuple):
                if literal.value not in expected or not isinstance(literal.value, str):
                    choices = ", ".join(f'"{value}"' for value in expected)
                    yield (
                        f"{reference.item_key} is a {answer_type} item; compare it with {choices}, "
                        f"not {_literal_text(literal.value)}",
                        literal.column,
                    )
            elif expected == "number" and (
                isinstance(literal.value, bool) or not isinstance(literal.value, int | float)
            ):
                yield (
                    f"{reference.item_key} holds a number, not {_literal_text(literal.value)}",
                    literal.column,
                )
            elif expected == "text" and not isinstance(literal.value, str):
                yield (
                    f"{reference.item_key} holds text, not {_literal_text(literal.value)}",
                    literal.column,
                )


def _expected_values(item: _RawItem, attribute: str) -> tuple[str, ...] | str | None:
    """Allowed string values (a tuple), "number", "text", or None when anything goes."""
    if attribute != "answer":
        return "number"
    answer_type = item.answer_type
    if answer_type in _ANSWER_WORDS:
        return _ANSWER_WORDS[AnswerType(answer_type)]
    if answer_type == AnswerType.CHOICE:
        keys = [
            option.get("key")
            for option in _as_list(item.data.get("options"))
            if isinstance(option, dict)
        ]
        return tuple(key for key in keys if isinstance(key, str)) or None
    if answer_type in _NUMERIC_ANSWERS:
        return "number"
    if answer_type in (AnswerType.TEXT, AnswerType.DATE, AnswerType.SIGNATURE):
        return "text"
    return None


def _literal_text(value: expressions.Value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _cycles(dependencies: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle once, as [a, b, …, a], starting from the item met first."""
    found: list[list[str]] = []
    seen_members: set[frozenset[str]] = set()
    finished: set[str] = set()

    def visit(key: str, trail: list[str]) -> None:
        if key in trail:
            cycle = [*trail[trail.index(key) :], key]
            members = frozenset(cycle)
            if members not in seen_members:
                seen_members.add(members)
                found.append(cycle)
            return
        if key in finished:
            return
        for dependency in dependencies.get(key, []):
            visit(dependency, [*trail, key])
        finished.add(key)

    for key in dependencies:
        visit(key, [])
    return found

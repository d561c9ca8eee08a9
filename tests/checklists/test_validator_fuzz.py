"""The validator reports problems in damaged files; it never crashes on them."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklists.validator import validate_text
from tests.checklists.test_validator import VALID

# Hypothesis' own default of 100 damaged files a test (it was 150), drawn afresh on every run.
FUZZ_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def all_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            paths += all_paths(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            paths += all_paths(child, (*path, index))
    return paths


def assert_reports_cleanly(source: str) -> None:
    issues = validate_text(source, "fuzz.yaml")
    line_count = max(1, len(source.splitlines()) + 1)
    for issue in issues:
        assert 1 <= issue.line <= line_count
        assert issue.column >= 1
        assert issue.message


@FUZZ_SETTINGS
@given(st.data())
def test_replacing_any_value_is_reported_not_raised(data: st.DataObject) -> None:
    document = yaml.safe_load(VALID)
    path = data.draw(st.sampled_from(all_paths(document)[1:]))
    damaged = copy.deepcopy(document)
    parent = damaged
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = data.draw(JSON_VALUES)
    assert_reports_cleanly(yaml.safe_dump(damaged, allow_unicode=True, sort_keys=False))


@FUZZ_SETTINGS
@given(st.data())
def test_deleting_or_repeating_lines_is_reported_not_raised(data: st.DataObject) -> None:
    lines = VALID.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        if data.draw(st.booleans()):
            del lines[index]
        else:
            lines.insert(index, lines[index])
        if not lines:
            break
    assert_reports_cleanly("\n".join(lines) + "\n")


@FUZZ_SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_is_reported_not_raised(text: str) -> None:
    assert_reports_cleanly(text)

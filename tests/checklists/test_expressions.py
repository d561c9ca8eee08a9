from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.expressions import (
    MAX_NESTING,
    BooleanOperation,
    Comparison,
    ExpressionError,
    ListLiteral,
    Literal,
    Not,
    Reference,
    evaluate,
    parse,
    references,
)


def test_parses_a_comparison_with_columns() -> None:
    tree = parse('B5 == "yes"')
    assert tree == Comparison("==", Reference("B5", "answer", 0), Literal("yes", 6), column=3)


def test_parses_boolean_operators_with_python_precedence() -> None:
    tree = parse('A1.answer != "na" and D5 > 0 or not C1 == "no"')
    assert isinstance(tree, BooleanOperation) and tree.operator == "or"
    left, right = tree.operands
    assert isinstance(left, BooleanOperation) and left.operator == "and"
    assert isinstance(right, Not) and isinstance(right.operand, Comparison)


def test_parses_lists_and_not_in() -> None:
    tree = parse('not (C1 in ["yes", "na",])')
    assert isinstance(tree, Not)
    inner = tree.operand
    assert isinstance(inner, Comparison) and inner.operator == "in"
    assert inner.right == ListLiteral((Literal("yes", 12), Literal("na", 19)), 11)
    assert parse('C1 not in ["yes"]').operator == "not in"  # type: ignore[union-attr]


def test_literals() -> None:
    assert parse("A1 == -2.5").right == Literal(-2.5, 6)  # type: ignore[union-attr]
    assert parse(r"A1 == 'it\'s'").right.value == "it's"  # type: ignore[union-attr]
    assert parse(r'A1 == "say \"hi\""').right.value == 'say "hi"'  # type: ignore[union-attr]
    assert parse("A1 == null").right == Literal(None, 6)  # type: ignore[union-attr]
    assert parse("true") == Literal(True, 0)


def test_references_lists_every_item_read() -> None:
    assert references(parse('A1 == "yes" and (B2.numerator > 3 or C3 in [1, 2])')) == {
        "A1",
        "B2",
        "C3",
    }
    assert references(parse("true")) == set()


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        ("__import__('os')", 0, "unexpected character '_'"),
        ("open('/etc/passwd')", 4, "function calls are not allowed"),
        ("A1.__class__ == 1", 3, "unexpected character '_'"),
        ("A1.foo == 1", 3, "unknown attribute 'foo'"),
        ("A1 = 1", 3, "use '=='"),
        ("A1 == ", 6, "expected a value, found end of expression"),
        ('A1 == "yes', 6, "string is not closed"),
        ("A1", 0, "a condition must compare something"),
        ("not A1", 4, "a condition must compare something"),
        ("A1 == 1 == 2", 8, "unexpected '=='"),
        ("A1 in B1", 6, "'in' needs a list"),
        ("A1 in [B1]", 7, "list elements must be literal values"),
        ("(A1 == 1", 8, "expected ')'"),
        ("A1 == 1)", 7, "unexpected ')'"),
        ("", 0, "expression is empty"),
        ("A1 == 1; import os", 7, "unexpected character ';'"),
        ("lambda: 1", 6, "unexpected character ':'"),
        ("A1 == 1 and", 11, "expected a value"),
        ("Đ1 == 1", 0, "unexpected character 'Đ'"),
        ("A1 == 1abc", 6, "a number cannot run into a name"),
        ("[1] == A1", 0, "a list can only follow 'in'"),
        ("and == 1", 0, "expected a value, found 'and'"),
    ],
)
def test_rejects_with_the_column_of_the_problem(expression: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(expression)
    assert caught.value.column == column
    assert message in caught.value.message


def test_rejects_deep_nesting_and_long_text() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * (MAX_NESTING + 1) + "true" + ")" * (MAX_NESTING + 1))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("not " * (MAX_NESTING + 1) + "true")
    with pytest.raises(ExpressionError, match="longer than"):
        parse("A1 == 1 or " * 200 + "true")


def test_evaluates_answers() -> None:
    condition = parse('A1.answer != "na" and D5 > 0')
    assert evaluate(condition, {"A1": "yes", "D5": 12.5}) is True
    assert evaluate(condition, {"A1": "na", "D5": 12.5}) is False
    assert evaluate(condition, {"A1": "yes", "D5": 0}) is False


def test_unanswered_items_read_as_null_and_ordering_with_null_is_false() -> None:
    assert evaluate(parse("D5 > 0"), {}) is False
    assert evaluate(parse("D5 <= 0"), {}) is False
    assert evaluate(parse("not (D5 > 0)"), {}) is True
    assert evaluate(parse("D5 == null"), {}) is True
    assert evaluate(parse('not (C1 in ["yes", "na"])'), {}) is True


def test_attributes_read_from_a_mapping() -> None:
    values = {"D5": {"answer": 25.0, "numerator": 1, "denominator": 4, "photo_count": 2}}
    assert evaluate(parse("D5.denominator >= 4 and D5.photo_count == 2"), values) is True
    assert evaluate(parse("D5 == 25"), values) is True
    # A plain value has no numerator.
    assert evaluate(parse("D5.numerator == null"), {"D5": 25.0}) is True


def test_equality_does_not_mix_booleans_numbers_and_strings() -> None:
    assert evaluate(parse("A1 == true"), {"A1": 1}) is False
    assert evaluate(parse("A1 == 1"), {"A1": 1.0}) is True
    assert evaluate(parse('A1 == "1"'), {"A1": 1}) is False
    assert evaluate(parse('A1 < "b"'), {"A1": "a"}) is True
    assert evaluate(parse("A1 < 2"), {"A1": "a"}) is False
    assert evaluate(parse("A1 in [1, 2]"), {"A1": True}) is False


EXPRESSION_ALPHABET = "AB12 ()[]\"'=!<>,._-\\aeinodrtulfsc"


@settings(max_examples=500)
@given(st.text(alphabet=EXPRESSION_ALPHABET, max_size=40) | st.text(max_size=40))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        tree = parse(text)
    except ExpressionError as error:
        assert 0 <= error.column <= len(text)
    else:
        assert isinstance(evaluate(tree, {}), bool)


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(-5, 5), st.text(max_size=3)
)


@given(
    st.sampled_from(
        [
            'A1 == "yes" or A2 > 1',
            "not (A1 in [1, 2.5, null]) and A2 != A1",
            "A1 >= A2 or A1.numerator < 1",
        ]
    ),
    st.dictionaries(st.sampled_from(["A1", "A2"]), VALUES),
)
def test_evaluation_always_gives_a_boolean(expression: str, values: dict[str, object]) -> None:
    assert isinstance(evaluate(parse(expression), values), bool)  # type: ignore[arg-type]

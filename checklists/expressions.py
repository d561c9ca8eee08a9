"""The `show_if` expression language: a tiny, safe language for conditional checklist items.

An item with `show_if` is asked only when its expression is true for the answers given so far::

    B5 == "yes"
    A1.answer != "na" and D5 > 0
    not (C1 in ["yes", "na"])
    D5.denominator >= 10

Grammar (lowest precedence first)::

    expression := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand]
                | operand ["not"] "in" list
    operand    := reference | literal | "(" expression ")"
    reference  := ITEM_KEY ["." ("answer" | "numerator" | "denominator" | "photo_count")]
    literal    := STRING | NUMBER | "true" | "false" | "null"
    list       := "[" [literal ("," literal)* [","]] "]"

The text is read by a hand-written tokenizer and recursive-descent parser; nothing is ever handed to
`eval`, so the language can do exactly what the grammar says and no more. Expressions are short
(`MAX_EXPRESSION_LENGTH`) and shallow (`MAX_NESTING`), so a hostile template cannot exhaust the
stack.

Evaluation rules (chosen so that a condition on an unanswered item is simply false):

- A reference evaluates to the item's value (for percent items the percentage 0–100), or `null` when
  the item is unanswered, hidden or not applicable.
- `==` and `!=` compare by value; numbers compare with numbers (1 == 1.0), booleans only with
  booleans, and `null` equals only `null`.
- `<`, `<=`, `>`, `>=` are true only when both sides are numbers or both are strings; anything else
  (notably `null`) makes them false, so `D5 > 0` is false while D5 is unanswered.
- `in` / `not in` test membership with the same equality as `==`.
- A standalone operand must be `true`, `false` or a parenthesised expression: `show_if: A5` is
  rejected, because the truthiness of "no" would be a trap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import TypeAlias, cast

MAX_EXPRESSION_LENGTH = 1000
MAX_NESTING = 32

# The facts a reference can read from an answered item; `answer` is what a bare reference means.
ATTRIBUTES = frozenset({"answer", "numerator", "denominator", "photo_count"})
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})

Value: TypeAlias = str | int | float | bool | None
ComparisonOperator: TypeAlias = TypingLiteral["==", "!=", "<", "<=", ">", ">=", "in", "not in"]


class ExpressionError(ValueError):
    """A `show_if` expression that cannot be parsed; `column` is the 0-based offset in the text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (at column {column + 1})")
        self.message = message
        self.column = column


# --- Syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """An item reference such as `A1` or `D5.denominator`."""

    item_key: str
    attribute: str
    column: int


@dataclass(frozen=True)
class Literal:
    value: Value
    column: int


@dataclass(frozen=True)
class ListLiteral:
    items: tuple[Literal, ...]
    column: int


@dataclass(frozen=True)
class Comparison:
    operator: ComparisonOperator
    left: Node
    right: Node
    column: int


@dataclass(frozen=True)
class Not:
    operand: Node
    column: int


@dataclass(frozen=True)
class BooleanOperation:
    operator: TypingLiteral["and", "or"]
    operands: tuple[Node, ...]
    column: int


Node: TypeAlias = Reference | Literal | ListLiteral | Comparison | Not | BooleanOperation


# --- Tokenizer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: TypingLiteral["name", "string", "number", "operator", "punctuation", "end"]
    text: str
    column: int
    value: Value = None


_TWO_CHARACTER_OPERATORS = ("==", "!=", "<=", ">=")
_ONE_CHARACTER_OPERATORS = ("<", ">")
_PUNCTUATION = "()[],."
_STRING_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


def _is_digit(character: str) -> bool:
    # str.isdigit() also accepts "²" and other Unicode digits that int() cannot read.
    return "0" <= character <= "9"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    length = len(text)
    while position < length:
        character = text[position]
        if character.isspace():
            position += 1
        elif character.isascii() and character.isalpha():
            start = position
            while position < length and (
                text[position].isascii() and (text[position].isalnum() or text[position] == "_")
            ):
                position += 1
            tokens.append(_Token("name", text[start:position], start))
        elif _is_digit(character) or (
            character == "-" and position + 1 < length and _is_digit(text[position + 1])
        ):
            tokens.append(_read_number(text, position))
            position += len(tokens[-1].text)
        elif character in "\"'":
            token = _read_string(text, position)
            tokens.append(token)
            position += len(token.text)
        elif text[position : position + 2] in _TWO_CHARACTER_OPERATORS:
            tokens.append(_Token("operator", text[position : position + 2], position))
            position += 2
        elif character in _ONE_CHARACTER_OPERATORS:
            tokens.append(_Token("operator", character, position))
            position += 1
        elif character in _PUNCTUATION:
            tokens.append(_Token("punctuation", character, position))
            position += 1
        elif character == "=":
            raise ExpressionError("use '==' to compare, not '='", position)
        else:
            raise ExpressionError(f"unexpected character {character!r}", position)
    tokens.append(_Token("end", "", length))
    return tokens


def _read_number(text: str, start: int) -> _Token:
    position = start + 1
    seen_point = False
    while position < len(text) and (_is_digit(text[position]) or text[position] == "."):
        if text[position] == ".":
            # `1.5` is a number; `1.` followed by a non-digit is not.
            if seen_point or position + 1 >= len(text) or not _is_digit(text[position + 1]):
                break
            seen_point = True
        position += 1
    if position < len(text) and (text[position].isalnum() or text[position] == "_"):
        raise ExpressionError("a number cannot run into a name", start)
    literal_text = text[start:position]
    value: int | float = float(literal_text) if seen_point else int(literal_text)
    return _Token("number", literal_text, start, value)


def _read_string(text: str, start: int) -> _Token:
    quote = text[start]
    position = start + 1
    characters: list[str] = []
    while position < len(text):
        character = text[position]
        if character == quote:
            return _Token("string", text[start : position + 1], start, "".join(characters))
        if character == "\\":
            escaped = text[position + 1 : position + 2]
            if escaped not in _STRING_ESCAPES:
                raise ExpressionError("unknown escape in string", position)
            characters.append(_STRING_ESCAPES[escaped])
            position += 2
            continue
        characters.append(character)
        position += 1
    raise ExpressionError("string is not closed", start)


# --- Parser ------------------------------------------------------------------------------------

_COMPARISON_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.current.kind == "name" and self.current.text == word

    def at_punctuation(self, character: str) -> bool:
        return self.current.kind == "punctuation" and self.current.text == character

    def expect_punctuation(self, character: str) -> _Token:
        if self.at_punctuation(character):
            return self.advance()
        raise ExpressionError(
            f"expected '{character}', found {_describe(self.current)}", self.current.column
        )

    def parse(self) -> Node:
        node = self.expression()
        if self.current.kind != "end":
            raise ExpressionError(f"unexpected {_describe(self.current)}", self.current.column)
        return node

    @contextmanager
    def nested(self) -> Iterator[None]:
        """Guard every recursion (parentheses, `not`) so a hostile file cannot exhaust the stack."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise ExpressionError("expression is nested too deeply", self.current.column)
            yield
        finally:
            self.depth -= 1

    def expression(self) -> Node:
        with self.nested():
            return self.boolean_chain("or", self.and_expression)

    def and_expression(self) -> Node:
        return self.boolean_chain("and", self.not_expression)

    def boolean_chain(
        self, word: TypingLiteral["and", "or"], parse_operand: Callable[[], Node]
    ) -> Node:
        start = self.current.column
        operands = [parse_operand()]
        while self.at_keyword(word):
            self.advance()
            operands.append(parse_operand())
        if len(operands) == 1:
            return operands[0]
        return BooleanOperation(word, tuple(operands), start)

    def not_expression(self) -> Node:
        if self.at_keyword("not"):
            token = self.advance()
            with self.nested():
                return Not(self.not_expression(), token.column)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.current
        if token.kind == "operator" and token.text in _COMPARISON_OPERATORS:
            self.advance()
            right = self.operand()
            return Comparison(cast(ComparisonOperator, token.text), left, right, token.column)
        if self.at_keyword("in") or (self.at_keyword("not") and self._next_is_keyword("in")):
            negated = self.at_keyword("not")
            self.advance()
            if negated:
                self.advance()
            if not self.at_punctuation("["):
                raise ExpressionError(
                    '\'in\' needs a list such as ["yes", "na"]', self.current.column
                )
            right = self.list_literal()
            return Comparison("not in" if negated else "in", left, right, token.column)
        if isinstance(left, Literal) and isinstance(left.value, bool):
            return left
        if isinstance(left, Comparison | Not | BooleanOperation):
            return left
        raise ExpressionError('a condition must compare something, e.g. A1 == "yes"', left.column)

    def _next_is_keyword(self, word: str) -> bool:
        following = self.tokens[self.index + 1]
        return following.kind == "name" and following.text == word

    def operand(self) -> Node:
        token = self.current
        if self.at_punctuation("("):
            self.advance()
            node = self.expression()
            self.expect_punctuation(")")
            # Parentheses only group; a parenthesised comparison is still a condition.
            return node
        if self.at_punctuation("["):
            raise ExpressionError("a list can only follow 'in'", token.column)
        if token.kind in ("string", "number"):
            self.advance()
            return Literal(token.value, token.column)
        if token.kind == "name":
            return self.name()
        raise ExpressionError(f"expected a value, found {_describe(token)}", token.column)

    def name(self) -> Node:
        token = self.advance()
        if token.text == "true":
            return Literal(True, token.column)
        if token.text == "false":
            return Literal(False, token.column)
        if token.text == "null":
            return Literal(None, token.column)
        if token.text in KEYWORDS:
            raise ExpressionError(f"expected a value, found '{token.text}'", token.column)
        if self.at_punctuation("("):
            raise ExpressionError("function calls are not allowed", self.current.column)
        attribute = "answer"
        if self.at_punctuation("."):
            self.advance()
            attribute_token = self.current
            if attribute_token.kind != "name" or attribute_token.text not in ATTRIBUTES:
                allowed = ", ".join(sorted(ATTRIBUTES))
                raise ExpressionError(
                    f"unknown attribute {attribute_token.text!r}; use one of {allowed}",
                    attribute_token.column,
                )
            self.advance()
            attribute = attribute_token.text
        return Reference(token.text, attribute, token.column)

    def list_literal(self) -> ListLiteral:
        opening = self.expect_punctuation("[")
        items: list[Literal] = []
        while not self.at_punctuation("]"):
            element = self.operand()
            if not isinstance(element, Literal):
                raise ExpressionError("list elements must be literal values", element.column)
            items.append(element)
            if self.at_punctuation(","):
                self.advance()
            elif not self.at_punctuation("]"):
                raise ExpressionError(
                    f"expected ',' or ']', found {_describe(self.current)}", self.current.column
                )
        self.advance()
        return ListLiteral(tuple(items), opening.column)


def _describe(token: _Token) -> str:
    return "end of expression" if token.kind == "end" else f"{token.text!r}"


def parse(expression: str) -> Node:
    """Parse a `show_if` expression; raise `ExpressionError` (with a column) when it is not valid."""
    if not isinstance(expression, str):
        raise ExpressionError("an expression must be a string", 0)
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression is longer than {MAX_EXPRESSION_LENGTH} characters", MAX_EXPRESSION_LENGTH
        )
    if not expression.strip():
        raise ExpressionError("expression is empty", 0)
    return _Parser(expression).parse()


# --- Analysis and evaluation -------------------------------------------------------------------


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    nodes: list[Node] = [node]
    if isinstance(node, Comparison):
        nodes += walk(node.left) + walk(node.right)
    elif isinstance(node, Not):
        nodes += walk(node.operand)
    elif isinstance(node, BooleanOperation):
        for operand in node.operands:
            nodes += walk(operand)
    elif isinstance(node, ListLiteral):
        nodes += list(node.items)
    return nodes


def references(node: Node) -> set[str]:
    """The keys of the items an expression reads."""
    return {each.item_key for each in walk(node) if isinstance(each, Reference)}


ItemValues: TypeAlias = Mapping[str, Value | Mapping[str, Value]]


def evaluate(node: Node, values: ItemValues) -> bool:
    """Evaluate a parsed condition.

    `values` maps an item key either to its plain value (what a bare reference reads) or to a
    mapping of attributes (`answer`, `numerator`, `denominator`, `photo_count`). Missing keys and
    missing attributes read as `null`.
    """
    result = _evaluate(node, values)
    # The parser only lets conditions through, so a non-boolean here is a bug, not user input.
    if not isinstance(result, bool):
        raise TypeError(f"expression did not produce a boolean: {result!r}")
    return result


def _evaluate(node: Node, values: ItemValues) -> Value | list[Value]:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListLiteral):
        return [item.value for item in node.items]
    if isinstance(node, Reference):
        return _read_reference(node, values)
    if isinstance(node, Not):
        return not _evaluate(node.operand, values)
    if isinstance(node, BooleanOperation):
        if node.operator == "and":
            return all(_evaluate(operand, values) is True for operand in node.operands)
        return any(_evaluate(operand, values) is True for operand in node.operands)
    return _compare(node.operator, _evaluate(node.left, values), _evaluate(node.right, values))


def _read_reference(reference: Reference, values: ItemValues) -> Value:
    item_value = values.get(reference.item_key)
    if isinstance(item_value, Mapping):
        return item_value.get(reference.attribute)
    return item_value if reference.attribute == "answer" else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: object, right: object) -> bool:
    # Python says True == 1; a checklist author comparing a count with `true` means something else.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if _is_number(left) and _is_number(right):
        return left == right
    return type(left) is type(right) and left == right


def _compare(operator: ComparisonOperator, left: object, right: object) -> bool:
    if operator == "==":
        return _equal(left, right)
    if operator == "!=":
        return not _equal(left, right)
    if operator in ("in", "not in"):
        members = right if isinstance(right, list) else []
        found = any(_equal(left, member) for member in members)
        return found if operator == "in" else not found
    comparable = (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable:
        return False
    if operator == "<":
        return left < right  # type: ignore[operator]
    if operator == "<=":
        return left <= right  # type: ignore[operator]
    if operator == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]

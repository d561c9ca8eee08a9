"""Conformance vectors: the checklist rules written down as data, shared by both engines.

The phone scores an inspection offline with a TypeScript port of this package's rules
(`mobile_app/src/rules/`); the server scores it again with `checklists.scoring`. The two must agree to
the last rounding digit, so the expected answers are not written by hand: this module runs the Python
engine on many inputs and writes what it answers to `conformance/vectors.json`. Both test suites read
that file (`tests/checklists/test_conformance.py`, `mobile_app/tests/conformance.test.ts`).

Regenerate after any change to the rules, and commit the file with the change:

    python -m checklists.conformance

The file holds four kinds of vectors:

- `expressions`: a `show_if` text with either the parse error (message and 0-based column) or the
  items it reads and its value for several sets of facts;
- `templates`: checklist versions in the canonical form the phone receives
  (`ChecklistVersionOut.content`): the shipped template and small synthetic ones for edge cases;
- `answer_sets`: answers on one of those templates, with the whole `ScoreResult` (or the answer
  problems that stop scoring) and the visible items;
- `check_answer`: one answer for one item, with the message `check_answer` gives (null when it fits).

Inputs go through JSON before the engine sees them, so the vectors say exactly what an engine reading
the file computes. Random inputs come from a seeded generator: the output is the same on every run.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

from checklists import expressions, scoring
from checklists.canonical import canonical_json
from checklists.format import (
    AnyItem,
    ChecklistTemplate,
    ChoiceItem,
    CountItem,
    DateItem,
    NumberItem,
    PercentItem,
    PhotoItem,
    SignatureItem,
    TextItem,
    YesNoItem,
    YesNoNaItem,
)
from checklists.templates import TEMPLATES_DIR
from checklists.validator import load_template

VECTORS_PATH = Path(__file__).resolve().parent / "conformance" / "vectors.json"
SHIPPED_TEMPLATE = "one-stop-shop"
SEED = 2025_07_01  # fixed: changing it changes every random vector

Json = Any  # what json.loads gives: dict, list, str, int, float, bool or None
Facts = dict[str, Json]


def canonical(value: Json) -> Json:
    """`value` as it reads back from the vectors file (sorted keys; 1.0 stays a float)."""
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False))


def _compact(value: Json) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def render(vectors: dict[str, Json]) -> str:
    """The text of the vectors file: sorted keys, real characters, one vector per line (so a diff
    names the vectors that changed), and a final newline."""
    lines = ["{"]
    for index, key in enumerate(sorted(vectors)):
        value = vectors[key]
        comma = "," if index < len(vectors) - 1 else ""
        if isinstance(value, list):
            entries = [_compact(entry) for entry in value]
            brackets = "[]"
        elif isinstance(value, dict):
            entries = [f"{_compact(name)}:{_compact(value[name])}" for name in sorted(value)]
            brackets = "{}"
        else:
            lines.append(f"{_compact(key)}:{_compact(value)}{comma}")
            continue
        lines.append(f"{_compact(key)}:{brackets[0]}")
        lines += [f"{entry}," for entry in entries[:-1]] + entries[-1:]
        lines.append(f"{brackets[1]}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Expression vectors ------------------------------------------------------------------------


def _facts(answer: Json = None, **attributes: Json) -> Facts:
    """What `scoring` lets a condition read about an answered item."""
    return {
        "answer": answer,
        "numerator": attributes.get("numerator"),
        "denominator": attributes.get("denominator"),
        "photo_count": attributes.get("photo_count", 0),
    }


ANSWERED: Facts = {
    "A1": _facts("yes", photo_count=2),
    "B5": _facts("na"),
    "C1": _facts(3),
    "D5": _facts(25.0, numerator=1, denominator=4, photo_count=1),
    "E1": _facts(0.0, numerator=0, denominator=7),
    "F1": _facts(None, numerator=0, denominator=0),
    "G3a": _facts("2025-06-30"),
    "N1": _facts(2.5),
    "T1": _facts("ghi chú"),
    "P1": _facts(3, photo_count=3),
}
PLAIN: Facts = {"A1": "no", "C1": 0, "D5": 100.0, "N1": -1, "T1": "", "Z1": True, "Z2": False}
EDGE_VALUES: Facts = {
    "I1": 1,
    "F1": 1.0,
    "Z1": True,
    "Z0": False,
    "S1": "1",
    "E0": "",
    "U1": "\uff01",
    "U2": "😀",
    "U3": "é",
    "U4": "e\u0301",
    "BIG": 9007199254740992,
    "NEG": -0.0,
}
FACT_SETS: list[Facts] = [{}, ANSWERED, PLAIN, EDGE_VALUES]

# Hand-written expressions: every operator, literal form and reference kind, evaluated on each of
# FACT_SETS. Parse errors are listed separately below.
EXPRESSIONS = [
    # comparisons of every kind, on every reference attribute
    'A1 == "yes"',
    "A1 != 'yes'",
    'A1.answer == "yes"',
    "A1.photo_count >= 2",
    "A1.photo_count > 2",
    "D5 > 0",
    "D5 >= 25",
    "D5 == 25",
    "D5 < 25.5",
    "D5 <= 24.999",
    "D5.numerator == 1 and D5.denominator == 4",
    "D5.denominator >= 10",
    "E1 == 0 and E1.denominator > 0",
    "F1 == null and F1.denominator == 0",
    "F1.numerator == 0",
    "C1 > 2 and C1 < 4",
    "C1 == 3.0",
    "C1 != 3",
    "C1 <= -1",
    "N1 > -1.5",
    "N1 == -1",
    "N1 < -0.5",
    'T1 == "ghi chú"',
    'T1 != ""',
    'T1 > "a"',
    'G3a < "2025-07-01"',
    'G3a >= "2025-06-30"',
    'B5 == "na"',
    "B5.answer != null",
    "P1 == 3 and P1.photo_count == 3",
    # null on either side, and ordering with null or mixed types (always false)
    "A1 == null",
    "null == A1",
    "A1 != null",
    "null == null",
    "null != null",
    "Q9 == null",
    "Q9.photo_count == null",
    "Q9 > 0",
    "Q9 <= 0",
    "not (Q9 > 0)",
    'A1 < 1 or A1 >= 1 or 1 > "1"',
    "null < 1",
    'null >= ""',
    # booleans compare only with booleans
    "true",
    "false",
    "(true)",
    "((false))",
    "not true",
    "not not false",
    "true == true",
    "true != false",
    "true == 1",
    "false == 0",
    "1 == true",
    "Z1 == true",
    "Z1 != true",
    "Z0 == false",
    "Z1 == 1",
    "Z1 in [1, true]",
    "Z1 in [1]",
    "Z0 in [0, null]",
    "Z1 > 0",
    "Z1 < true",
    '(A1 == "yes") == true',
    '(A1 == "yes") != (C1 == 3)',
    "(C1 > 2) in [true]",
    "(C1 > 2) < 1",
    # numbers: int and float are one kind of value; strings are another
    "I1 == 1.0",
    "F1 == 1",
    "I1 == F1",
    "F1 in [1]",
    "I1 in [1.0, 2]",
    "S1 == 1",
    'S1 in [1, "1"]',
    "I1 < 1.5",
    "1 == 1.0",
    "1.5 > 1",
    "0 == -0",
    "NEG == 0",
    "NEG < 0",
    "-0.0 == 0",
    "007 == 7",
    "00.50 == 0.5",
    "-1 < 0",
    "2.5 >= 2.50",
    "0.1 == 0.10000000000000001",
    "BIG == 9007199254740992",
    "BIG == 9007199254740993",
    "BIG < 9007199254740993",
    "BIG >= 9007199254740993",
    "BIG == 9007199254740993.0",
    "BIG == 9007199254740992.0",
    "123456789012345678901234567890 > 123456789012345678901234567889",
    "123456789012345678901234567890 == 123456789012345678901234567890.0",
    "123456789012345678901234567890 > 123456789012345678901234567889.0",
    "99999999999999999999 < 100000000000000000000.0",
    "99999999999999999999 == 100000000000000000000.0",
    "-99999999999999999999 < -99999999999999999998",
    "1" + "0" * 400 + " > 1",
    "1" + "0" * 400 + ".5 > 1",
    # strings: code point order, escapes, both quotes, no Unicode normalisation
    '"a" < "b"',
    '"B" < "a"',
    '"" < "a"',
    '"ab" > "a"',
    '"é" > "z"',
    "U1 < U2",
    "U2 > U1",
    '"\uff01" < "😀"',
    'U2 == "😀"',
    'U3 == "é"',
    'U4 == "é"',
    'U4 == "e\u0301"',
    "U3 != U4",
    'E0 == ""',
    "E0 == ''",
    "E0 == null",
    r'"it\'s" == "it' + "'" + 's"',
    r"'say \"hi\"' == 'say " + '"hi"' + "'",
    r'"a\nb" != "a\\nb"',
    r'"tab\there" > "tab"',
    r'"\\" == "\\"',
    '"multi\nline" != ""',
    # membership
    'A1 in ["yes", "na"]',
    'A1 not in ["yes", "na"]',
    "A1 in []",
    "A1 not in []",
    'A1 in ["yes",]',
    'A1 in ["no", null]',
    "Q9 in [null]",
    "Q9 not in [null]",
    "C1 in [1, 2, 3]",
    "C1 in [3.0]",
    'C1 in ["3"]',
    "D5 in [25]",
    "D5.denominator not in [0, 4]",
    "N1 in [-1]",
    "A1 in [(true)]",
    "Z1 in [(true), (false)]",
    'not (B5 in ["yes", "na"])',
    '"yes" in ["yes"]',
    "null in [null]",
    "1 not in [true]",
    # boolean structure and precedence
    'A1 == "yes" and C1 == 3',
    'A1 == "yes" or C1 == 3',
    'A1 == "no" or C1 == 3 and D5 > 100',
    '(A1 == "no" or C1 == 3) and D5 > 100',
    'not A1 == "yes" or C1 == 3',
    'not (A1 == "yes" or C1 == 3)',
    'A1.answer != "na" and D5 > 0',
    "true and false or true",
    "true and (false or true)",
    "false or false or false or true",
    "true and true and true and false",
    "not false and not (C1 in [1, 2])",
    'A1 == "yes" and (D5.numerator > 0 or not (C1 in [3])) and T1 != null',
    # spacing and layout
    'A1=="yes"',
    "C1>=3",
    "C1<=-1",
    "C1 in[3]",
    "(C1>2)and(C1<4)",
    "  \t\nC1 == 3\n",
    "\u00a0C1\u3000==\u20033\u2028",
    "\x1cC1\x1d==\x1e3\x1f",
    "\x85C1 == 3",
    # reserved words are case-sensitive; other names are item keys
    "True == null",
    "NULL == null",
    "AND == null",
    "constructor == null",
    "toString == null",
    "hasOwnProperty.answer == null",
    "valueOf != 1",
    "a_b_1 == null",
    "x.denominator == null",
    # nesting up to the limit
    "(" * (expressions.MAX_NESTING - 1) + "true" + ")" * (expressions.MAX_NESTING - 1),
    "not " * (expressions.MAX_NESTING - 1) + "true",
    "(" * 15 + "not " * 16 + "true" + ")" * 15,
    # length up to the limit, counted in code points
    ("C1 == 3 or " * 90 + "true").ljust(expressions.MAX_EXPRESSION_LENGTH),
    'U2 == "' + "😀" * (expressions.MAX_EXPRESSION_LENGTH - 8) + '"',
]

INVALID_EXPRESSIONS = [
    "",
    " ",
    "\t\n",
    "\x1c\x1d\x1e\x1f\x85\u00a0\u2028",
    "\ufeff",
    "\ufeffA1 == 1",
    "\u200bA1 == 1",
    "__import__('os')",
    "open('/etc/passwd')",
    "A1.__class__ == 1",
    "A1.foo == 1",
    "A1.Answer == 1",
    "A1. == 1",
    "A1.",
    "A1.5 == 1",
    'A1."answer" == 1',
    "A1.answer.answer == 1",
    "A1 = 1",
    "A1 =",
    "A1 === 1",
    "A1 ! 1",
    "A1 !== 1",
    "A1 <> 1",
    "A1 => 1",
    "A1 == ",
    'A1 == "yes',
    "A1 == 'yes",
    'A1 == "yes\\',
    r'A1 == "\x41"',
    r'A1 == "\u0041"',
    r'A1 == "\r"',
    "A1",
    "A1.answer",
    "not A1",
    "1",
    "-1.5",
    '"yes"',
    "null",
    "(null)",
    "(1)",
    "(A1)",
    "not null",
    "true and 1",
    "true or A1",
    "A1 == 1 == 2",
    "A1 < 2 < 3",
    "A1 in B1",
    "A1 in (1, 2)",
    "A1 not 1",
    "A1 not in 1",
    "A1 not in",
    "A1 in",
    "A1 in [",
    "A1 in [1",
    "A1 in [1 2]",
    "A1 in [1,,]",
    "A1 in [,]",
    "A1 in [B1]",
    "A1 in [B1.answer]",
    "A1 in [(A2 == 1)]",
    "A1 in [[1]]",
    "A1 in [not true]",
    "A1 in [and]",
    "A1 in [1] in [true]",
    "(A1 == 1",
    "((A1 == 1)",
    "A1 == 1)",
    "()",
    "( )",
    ")",
    "[",
    "]",
    ",",
    ".",
    "A1 == 1,",
    "A1 == 1; import os",
    "lambda: 1",
    "Đ1 == 1",
    "Aé == 1",
    "A1 == é",
    "😀 == 1",
    "A1 == 😀",
    '"😀😀" == A1 and @',
    "A1 == 1abc",
    "A1 == 1_000",
    "A1 == 1é",
    "A1 == 1²",
    "A1 == 1.5.5",
    "A1 == 1.",
    "A1 == 1.e5",
    "A1 == 1e5",
    "A1 == .5",
    "A1 == -.5",
    "A1 == - 1",
    "A1 == --1",
    "A1 == +1",
    "A1 == 0x10",
    "A1-1 == 0",
    "[1] == A1",
    "and == 1",
    "or",
    "not",
    "not not",
    "A1 == 1 and",
    "A1 == 1 or or A1 == 2",
    "in == 1",
    "A1 == not",
    "A1 == in",
    "true == and",
    "A1(1) == 1",
    "len(A1) > 0",
    "A1 == 1 and @",
    "A1 == 1 # comment",
    "A1 == 1 && A2 == 2",
    "A1 == 1 || A2 == 2",
    "!A1",
    "A1 == `yes`",
    "A1 == $x",
    "A1 == \\",
    "A1 == \x00",
    "A1 == \x7f",
    "A1 == \u0378",
    "A1 == \ue000",
    "A1 == \U000e0001",
    "A1 == \u00ad",
    'A1 == "yes" "no"',
    "A1 == 'yes' 'it\\'s'",
    'A1 == "a" \'b"c\'',
    'A1 == "x" "a\nb"',
    'A1 == "x" "a\tb"',
    'A1 == "x" "a\\\\b"',
    'A1 == "x" "\U0001f600\u0378"',
    "A1 == 1 2",
    "A1 == 1 A2",
    "A1 A2 == 1",
    "_x == 1",
    "1x == 1",
    "(" * expressions.MAX_NESTING + "true" + ")" * expressions.MAX_NESTING,
    "not " * expressions.MAX_NESTING + "true",
    "(" * 16 + "not " * 16 + "true" + ")" * 16,
    "A1 in [" + "(" * expressions.MAX_NESTING + "true" + ")" * expressions.MAX_NESTING + "]",
    "(" * 40 + "A1 == 1",
    ("C1 == 3 or " * 90 + "true").ljust(expressions.MAX_EXPRESSION_LENGTH + 1),
    'U2 == "' + "😀" * (expressions.MAX_EXPRESSION_LENGTH - 7) + '"',
    "A1 == 1 or " * 200 + "true",
]

# Random expressions: grammar-shaped ones, and character soup for the tokenizer's error paths.
_RANDOM_KEYS = ["A1", "B2", "C3"]
_RANDOM_ATTRIBUTES = ["", "", ".answer", ".numerator", ".denominator", ".photo_count"]
_RANDOM_LITERALS = [
    '"yes"',
    '"no"',
    "'na'",
    '""',
    '"a"',
    "'b'",
    "0",
    "1",
    "-1",
    "2.5",
    "1.0",
    "100",
    "-0.5",
    "3",
    "true",
    "false",
    "null",
]
_RANDOM_VALUES: list[Json] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2.5,
    1.0,
    100,
    -0.5,
    3,
    0.0,
    "yes",
    "no",
    "na",
    "",
    "a",
    "b",
]
_SOUP = "AB12 ()[]\"'=!<>,._-\\aeinodrtulfsc\tñé😀\u00a0\x1c"


def _random_operand(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(_RANDOM_KEYS) + rng.choice(_RANDOM_ATTRIBUTES)
    return rng.choice(_RANDOM_LITERALS)


def _random_condition(rng: random.Random, depth: int) -> str:
    roll = rng.random() if depth < 3 else rng.random() * 0.55
    if roll < 0.3:
        operator = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        return f"{_random_operand(rng)} {operator} {_random_operand(rng)}"
    if roll < 0.45:
        members = ", ".join(rng.choice(_RANDOM_LITERALS) for _ in range(rng.randint(0, 3)))
        negation = rng.choice(["", "not "])
        return f"{_random_operand(rng)} {negation}in [{members}]"
    if roll < 0.55:
        return rng.choice(["true", "false"])
    if roll < 0.65:
        return f"not {_random_condition(rng, depth + 1)}"
    if roll < 0.75:
        return f"({_random_condition(rng, depth + 1)})"
    word = rng.choice(["and", "or"])
    operands = [_random_condition(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    return f" {word} ".join(operands)


def _random_facts(rng: random.Random) -> Facts:
    facts: Facts = {}
    for key in _RANDOM_KEYS:
        roll = rng.random()
        if roll < 0.2:
            continue
        if roll < 0.4:
            facts[key] = rng.choice(_RANDOM_VALUES)
        else:
            facts[key] = {
                attribute: rng.choice(_RANDOM_VALUES)
                for attribute in sorted(expressions.ATTRIBUTES)
                if rng.random() < 0.8
            }
    return facts


def expression_vector(text: str, fact_sets: list[Facts]) -> dict[str, Json]:
    try:
        tree = expressions.parse(text)
    except expressions.ExpressionError as error:
        return {"expression": text, "error": {"message": error.message, "column": error.column}}
    return {
        "expression": text,
        "references": sorted(expressions.references(tree)),
        "cases": [
            {"facts": facts, "result": expressions.evaluate(tree, facts)}
            for facts in canonical(fact_sets)
        ],
    }


def expression_vectors() -> list[dict[str, Json]]:
    rng = random.Random(SEED)
    vectors = [expression_vector(text, FACT_SETS) for text in EXPRESSIONS]
    vectors += [expression_vector(text, []) for text in INVALID_EXPRESSIONS]
    for _ in range(150):
        text = _random_condition(rng, 0)
        vectors.append(expression_vector(text, [_random_facts(rng) for _ in range(6)]))
    for _ in range(300):
        text = "".join(rng.choice(_SOUP) for _ in range(rng.randint(0, 24)))
        vectors.append(expression_vector(text, [{}, _random_facts(rng)]))
    # Every hand-written vector must check what it was written to check.
    for vector, expected_error in zip(
        vectors, [False] * len(EXPRESSIONS) + [True] * len(INVALID_EXPRESSIONS), strict=False
    ):
        assert ("error" in vector) == expected_error, vector
    return vectors


# --- Templates ---------------------------------------------------------------------------------


def _text(words: str) -> dict[str, str]:
    return {"vi": f"{words} (tiếng Việt)", "en": words}


def _scored(key: str, answer_type: str, points: float, **fields: Json) -> dict[str, Json]:
    item = {
        "key": key,
        "answer_type": answer_type,
        "text": _text(f"Item {key}"),
        "points": points,
        "severity": "major",
        "category": "discipline",
    }
    return item | fields


def _unscored(key: str, answer_type: str, **fields: Json) -> dict[str, Json]:
    return {"key": key, "answer_type": answer_type, "text": _text(f"Item {key}")} | fields


def _option(key: str, points: float) -> dict[str, Json]:
    return {"key": key, "label": _text(f"Option {key}"), "points": points}


def _section(key: str, points: float, *items: dict[str, Json]) -> dict[str, Json]:
    return {"key": key, "title": _text(f"Section {key}"), "points": points, "items": list(items)}


TWO_BANDS = [
    {"key": "good", "label": {"vi": "Tốt", "en": "Good"}, "min_score": 80},
    {"key": "failed", "label": {"vi": "Không đạt", "en": "Not achieved"}, "min_score": 0},
]


def _synthetic(key: str, sections: list[dict[str, Json]], **fields: Json) -> dict[str, Json]:
    return {
        "key": key,
        "version": 1,
        "title": _text(f"Conformance template {key}"),
        "rating_bands": TWO_BANDS,
        "total_points": sum(section["points"] for section in sections),
        "sections": sections,
    } | fields


# Every answer type, and show_if chains that read items further down the list, read a percent as
# its percentage, read numerators, photo counts, dates, choices and numbers, and read hidden items.
VISIBILITY = _synthetic(
    "conformance-visibility",
    [
        _section(
            "V",
            6,
            _scored("V1", "yes_no", 1, show_if='V4 == "yes" and V5 > 0'),
            _scored(
                "V2",
                "count",
                2,
                scoring={"full_at": 0, "zero_at": 4},
                show_if='V1 == "no" or V6.photo_count >= 2',
            ),
            _unscored("V3", "text", show_if="V2 > 1"),
            _scored("V4", "yes_no_na", 1),
            _scored(
                "V5",
                "percent",
                2,
                scoring={"target": 100, "floor": 50},
                show_if='V4 != "na"',
            ),
            _unscored("V6", "photo"),
            _scored(
                "V7",
                "choice",
                0,
                options=[_option("a", 0), _option("b", 0), _option("c", 0)],
                show_if='V5.denominator >= 10 and not (V4 in ["no"])',
            ),
            _unscored("V8", "number", show_if='V7 not in ["c"]'),
            _unscored("V9", "date", show_if='V3 == "ok" or V3 == "OK"'),
            _unscored(
                "V10",
                "signature",
                required=True,
                show_if='V8 >= 2.5 or V9 < "2025-01-01"',
            ),
        ),
        _section(
            "W",
            3,
            _scored("W1", "yes_no", 1, show_if="V10 != null"),
            _scored(
                "W2",
                "count",
                1,
                scoring={"full_at": 1, "zero_at": 2},
                show_if="V2 <= 2 and V2 >= 1 and V5.numerator != null",
            ),
            _scored(
                "W3",
                "choice",
                1,
                options=[_option("full", 1), _option("half", 0.5), _option("none", 0)],
                show_if="W4 == null and V5.numerator == null",
            ),
            _scored("W4", "yes_no", 0, required=False, show_if="V6 > 0"),
        ),
    ],
)

# Exact fractions: thirds, sevenths, tenths that binary floats cannot hold; lower_is_better percent
# with fractional thresholds; counts with a tolerance; choices with partial points; optional items.
SCORING = _synthetic(
    "conformance-scoring",
    [
        _section(
            "P",
            11,
            _scored(
                "P1",
                "percent",
                3,
                scoring={"direction": "lower_is_better", "target": 12.5, "floor": 37.5},
            ),
            _scored("P2", "percent", 2, scoring={"target": 90, "floor": 45}),
            _scored("P3", "percent", 1.5, required=False, scoring={"target": 100, "floor": 0}),
            _scored("P4", "count", 4, scoring={"full_at": 2, "zero_at": 7}),
            _scored("P5", "count", 0.5, severity="critical", scoring={"full_at": 0, "zero_at": 1}),
        ),
        _section(
            "Q",
            3.5,
            _scored(
                "Q1",
                "choice",
                2.5,
                options=[
                    _option("full", 2.5),
                    _option("most", 1.5),
                    _option("some", 0.5),
                    _option("none", 0),
                ],
            ),
            _scored("Q2", "choice", 0, options=[_option("x", 0), _option("y", 0)]),
            _scored("Q3", "yes_no_na", 0.1, severity="minor"),
            _scored("Q4", "yes_no", 0.2, required=False),
            _scored("Q5", "yes_no", 0.7, severity="critical", category="leadership"),
        ),
    ],
)

# Rounding half up at .005 boundaries (options j to m are where rounding the nearest binary float
# gives the wrong digit: 66.615 is 66.61499… as a float, yet rounds to 66.62 and reaches "good"),
# bands with fractional starts, the critical cap (also with no total at all), action due days by
# severity and legal bases by period.
BANDS = _synthetic(
    "conformance-bands",
    [
        _section(
            "R",
            200,
            _scored(
                "R1",
                "choice",
                200,
                required=False,
                options=[
                    _option("full", 200),
                    _option("a", 133.33),
                    _option("b", 66.66),
                    _option("c", 66.65),
                    _option("d", 180.01),
                    _option("e", 179.99),
                    _option("f", 0.01),
                    _option("g", 1.005),
                    _option("h", 2.675),
                    _option("i", 0.125),
                    _option("j", 133.23),
                    _option("k", 66.99),
                    _option("l", 0.145),
                    _option("m", 1.255),
                    _option("zero", 0),
                ],
                legal_basis=["old-rule", "new-rule"],
            ),
            _scored(
                "R2",
                "yes_no",
                0,
                severity="critical",
                legal_basis=["old-rule", "new-rule", "standing-rule", "year-2024"],
                default_action=_text("Stop the practice at once"),
            ),
            _scored("R3", "yes_no_na", 0, severity="critical", category="transparency"),
            _scored(
                "R4",
                "yes_no",
                0,
                severity="minor",
                category="facilities",
                legal_basis=["year-2024", "year-2024"],
            ),
        ),
        _section(
            "S",
            0,
            _scored("S1", "count", 0, scoring={"full_at": 0, "zero_at": 3}),
            _unscored("S2", "text"),
        ),
    ],
    rating_bands=[
        {"key": "excellent", "label": _text("Excellent"), "min_score": 90},
        {"key": "failed", "label": _text("Failed"), "min_score": 0},
        {"key": "fair", "label": _text("Fair"), "min_score": 33.5},
        {"key": "good", "label": _text("Good"), "min_score": 66.62},
    ],
    action_due_days={"critical": 3, "major": 10, "minor": 60},
    legal_bases=[
        {"code": "old-rule", "title": _text("Old rule"), "applies_to": "2025-06-30"},
        {"code": "new-rule", "title": _text("New rule"), "applies_from": "2025-07-01"},
        {"code": "standing-rule", "title": _text("Standing rule")},
        {
            "code": "year-2024",
            "title": _text("Rule for 2024"),
            "applies_from": "2024-01-01",
            "applies_to": "2024-12-31",
        },
    ],
)

# Evidence rules: photos always / on fail with minimum and maximum counts, notes always / on fail,
# on scored, unscored, not applicable and hidden items.
EVIDENCE = _synthetic(
    "conformance-evidence",
    [
        _section(
            "E",
            5,
            _scored(
                "E1",
                "yes_no",
                1,
                evidence={"photo": "always", "min_photos": 2, "max_photos": 3, "note": "on_fail"},
            ),
            _scored(
                "E2",
                "count",
                1,
                scoring={"full_at": 0, "zero_at": 2},
                evidence={"photo": "on_fail", "max_photos": 2, "note": "always"},
            ),
            _unscored(
                "E3",
                "photo",
                required=True,
                evidence={"photo": "always", "min_photos": 2, "max_photos": 4},
            ),
            _unscored("E4", "text", evidence={"min_photos": 0, "max_photos": 0, "note": "always"}),
            _unscored("E5", "signature", required=True, evidence={"photo": "on_fail"}),
            _scored(
                "E6",
                "yes_no_na",
                1,
                evidence={"photo": "on_fail", "min_photos": 3, "max_photos": 5, "note": "on_fail"},
            ),
            _scored(
                "E7",
                "percent",
                1,
                scoring={"target": 100, "floor": 50},
                evidence={"photo": "on_fail", "note": "on_fail"},
            ),
            _unscored("E8", "number", evidence={"photo": "always", "max_photos": 1}),
            _scored(
                "E9",
                "choice",
                1,
                options=[_option("ok", 1), _option("half", 0.5), _option("bad", 0)],
                evidence={"photo": "on_fail", "note": "on_fail"},
                show_if='E1 == "no"',
            ),
        ),
    ],
)

SYNTHETIC_TEMPLATES = {str(data["key"]): data for data in (VISIBILITY, SCORING, BANDS, EVIDENCE)}


def load_templates() -> dict[str, ChecklistTemplate]:
    """The templates of the vectors, validated like a published file, by name."""
    path = TEMPLATES_DIR / f"{SHIPPED_TEMPLATE}.yaml"
    templates = {SHIPPED_TEMPLATE: load_template(path.read_text(encoding="utf-8"), str(path))}
    for name, data in SYNTHETIC_TEMPLATES.items():
        # JSON is YAML: the synthetic templates pass the same validator as a shipped file.
        templates[name] = load_template(json.dumps(data, ensure_ascii=False), f"<{name}>")
    return templates


def template_vector(template: ChecklistTemplate) -> dict[str, Json]:
    return {
        "content": json.loads(canonical_json(template)),
        "show_if_references": {
            item.key: sorted(expressions.references(expressions.parse(item.show_if)))
            for _section, item in template.items()
            if item.show_if
        },
    }


# --- Answer-set vectors ------------------------------------------------------------------------


def _phone_can_send(answer: dict[str, Json]) -> dict[str, Json]:
    """Refuse a value like 2.0: the phone's JSON writes it as 2, which Python reads as an int, so
    no phone can send it, and the two engines would rightly disagree about it."""
    value = answer.get("value")
    assert not (isinstance(value, float) and value.is_integer()), answer
    return answer


def score_vector(
    name: str,
    template_name: str,
    template: ChecklistTemplate,
    answers: dict[str, Json],
    inspected_on: str | None = None,
) -> dict[str, Json]:
    """Score answers (dicts shaped like the phone's answers) the way a test reading them would."""
    answers = {key: _phone_can_send(answer) for key, answer in canonical(answers).items()}
    parsed = {key: scoring.Answer.model_validate(answer) for key, answer in answers.items()}
    vector = {
        "name": name,
        "template": template_name,
        "answers": answers,
        "inspected_on": inspected_on,
    }
    try:
        result = scoring.score(
            template,
            parsed,
            inspected_on=date.fromisoformat(inspected_on) if inspected_on else None,
        )
    except scoring.InvalidAnswers as error:
        return vector | {"problems": [problem.model_dump() for problem in error.problems]}
    visible = [each.key for each in result.items if each.outcome != scoring.Outcome.HIDDEN]
    return vector | {"result": result.model_dump(mode="json"), "visible": visible}


def _answer(
    value: Json = None,
    *,
    numerator: int | None = None,
    denominator: int | None = None,
    photos: int = 0,
    note: str | None = None,
) -> dict[str, Json]:
    """An answer as the phone stores it: `photo_count` always, the rest only when given."""
    answer: dict[str, Json] = {"photo_count": photos}
    for field, given in (
        ("value", value),
        ("numerator", numerator),
        ("denominator", denominator),
        ("note", note),
    ):
        if given is not None:
            answer[field] = given
    return answer


def _share(numerator: int, denominator: int, **evidence: Any) -> dict[str, Json]:
    return _answer(numerator=numerator, denominator=denominator, **evidence)


def _best(item: AnyItem) -> dict[str, Json]:
    """An answer that fully meets the item, with the evidence it asks for."""
    evidence: dict[str, Any] = {"photos": item.evidence.min_photos, "note": "Đã kiểm tra"}
    if isinstance(item, YesNoItem | YesNoNaItem):
        return _answer("yes", **evidence)
    if isinstance(item, ChoiceItem):
        return _answer(max(item.options, key=lambda option: option.points).key, **evidence)
    if isinstance(item, CountItem):
        return _answer(item.scoring.full_at, **evidence)
    if isinstance(item, PercentItem):
        target = round(item.scoring.target)
        return _share(target, 100, **evidence)
    if isinstance(item, NumberItem):
        return _answer(1.5, **evidence)
    if isinstance(item, TextItem):
        return _answer("ghi chép", **evidence)
    if isinstance(item, DateItem):
        return _answer("2025-09-01", **evidence)
    if isinstance(item, PhotoItem):
        return _answer(photos=max(1, item.evidence.min_photos), note="Đã kiểm tra")
    assert isinstance(item, SignatureItem)
    return _answer("sha256:5d41402abc4b2a76b9719d911017c592", **evidence)


def _worst(item: AnyItem) -> dict[str, Json]:
    """An answer that meets nothing, without any evidence."""
    if isinstance(item, YesNoItem | YesNoNaItem):
        return _answer("no")
    if isinstance(item, ChoiceItem):
        return _answer(min(item.options, key=lambda option: option.points).key)
    if isinstance(item, CountItem):
        return _answer(item.scoring.zero_at + 5)
    if isinstance(item, PercentItem):
        lower_is_better = item.scoring.direction == "lower_is_better"
        return _share(10, 10) if lower_is_better else _share(0, 10)
    return _best(item) | {"photo_count": 0, "note": "  "}


_TEXTS = ["ghi chú", "ok", "OK", "Không có", "  ", "", "a\nb"]
_NOTES: list[str | None] = [None, None, None, "Đã lập biên bản", "", "   ", "\t", "x"]


def _random_answer(rng: random.Random, item: AnyItem) -> dict[str, Json]:
    """A valid answer for `item`, sometimes with evidence missing or too many photos."""
    photos = rng.choice([0, 0, 1, 1, 2, 3, item.evidence.max_photos + 1])
    note = rng.choice(_NOTES)
    value: Json = None
    if isinstance(item, YesNoNaItem):
        value = rng.choice(["yes", "yes", "yes", "no", "na"])
    elif isinstance(item, YesNoItem):
        value = rng.choice(["yes", "yes", "yes", "no"])
    elif isinstance(item, ChoiceItem):
        value = rng.choice(item.options).key
    elif isinstance(item, CountItem):
        value = rng.choice([item.scoring.full_at, rng.randint(0, item.scoring.zero_at + 2)])
    elif isinstance(item, PercentItem):
        denominator = rng.choice([0, rng.randint(1, 12), rng.randint(1, 300)])
        numerator = rng.randint(0, denominator)
        return _share(numerator, denominator, photos=photos, note=note)
    elif isinstance(item, NumberItem):
        value = rng.choice([0, rng.randint(-5, 50), rng.randint(0, 9) + rng.choice([0.25, 0.05])])
    elif isinstance(item, TextItem):
        value = rng.choice(_TEXTS)
    elif isinstance(item, DateItem):
        value = rng.choice(
            [
                f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "20250301",
                "2024-12-31",
            ]
        )
    elif isinstance(item, PhotoItem):
        return _answer(photos=rng.randint(0, 5), note=note)
    else:
        value = rng.choice(["sha256:ab12", "", "  "])
    return _answer(value, photos=photos, note=note)


def _random_answers(
    rng: random.Random, template: ChecklistTemplate, *, complete: bool
) -> dict[str, Json]:
    answers = {}
    for _section, item in template.items():
        roll = rng.random()
        if complete or roll < 0.6:
            answers[item.key] = _random_answer(rng, item)
        elif roll < 0.7:
            answers[item.key] = _answer(photos=rng.choice([0, 1]), note=rng.choice(_NOTES))
    return answers


_INSPECTION_DAYS = [None, None, "2025-06-30", "2025-07-01", "2024-05-01"]


def _invalid_answer(rng: random.Random, item: AnyItem) -> dict[str, Json]:
    """An answer that does not fit `item` (but is a well-formed answer)."""
    if isinstance(item, PercentItem):
        return rng.choice(
            [_share(5, 4), _answer(numerator=3), _answer(50, numerator=1, denominator=2)]
        )
    if isinstance(item, PhotoItem):
        return _answer("photo.jpg", photos=1)
    if isinstance(item, CountItem):
        return rng.choice([_answer(-1), _answer(1.5), _answer("2"), _share(1, 2)])
    if isinstance(item, NumberItem):
        return _answer("12")
    if isinstance(item, DateItem):
        return rng.choice([_answer("2025-02-30"), _answer("01/02/2025"), _answer(20250101)])
    if isinstance(item, TextItem | SignatureItem):
        return _answer(0)
    return rng.choice([_answer("maybe"), _answer("YES"), _answer(1)])


def hand_written_answer_sets(templates: dict[str, ChecklistTemplate]) -> list[dict[str, Json]]:
    one_stop = templates[SHIPPED_TEMPLATE]
    best = {item.key: _best(item) for _section, item in one_stop.items()}
    worst = {item.key: _worst(item) for _section, item in one_stop.items()}
    vectors = [
        score_vector("one-stop: nothing answered", SHIPPED_TEMPLATE, one_stop, {}),
        score_vector("one-stop: everything met", SHIPPED_TEMPLATE, one_stop, best),
        score_vector(
            "one-stop: everything met, inspected before the 2025 decree",
            SHIPPED_TEMPLATE,
            one_stop,
            best,
            "2025-06-30",
        ),
        score_vector("one-stop: nothing met", SHIPPED_TEMPLATE, one_stop, worst),
        score_vector(
            "one-stop: nothing met, inspected after the 2025 decree",
            SHIPPED_TEMPLATE,
            one_stop,
            worst,
            "2025-07-01",
        ),
        score_vector(
            "one-stop: counter unstaffed caps the band",
            SHIPPED_TEMPLATE,
            one_stop,
            best | {"A1a": _answer("no", photos=1)},
        ),
        score_vector(
            "one-stop: overdue share shows D6",
            SHIPPED_TEMPLATE,
            one_stop,
            best | {"D5": _share(3, 40, photos=1), "D6": _answer(1, photos=1)},
        ),
        score_vector(
            "one-stop: no overdue dossiers hide D6 even when answered",
            SHIPPED_TEMPLATE,
            one_stop,
            best | {"D5": _share(0, 40), "D6": _answer(2)},
        ),
        score_vector(
            "one-stop: D5 with denominator 0 is not applicable and hides D6",
            SHIPPED_TEMPLATE,
            one_stop,
            best | {"D5": _share(0, 0), "D6": _answer(0)},
        ),
        score_vector(
            "one-stop: not applicable items leave the denominator",
            SHIPPED_TEMPLATE,
            one_stop,
            best | {"B5": _answer("na"), "C5": _answer("na"), "D9": _answer("na")},
        ),
        score_vector(
            "one-stop: empty answers count as unanswered",
            SHIPPED_TEMPLATE,
            one_stop,
            best
            | {
                "A2": _answer(photos=2, note="chưa kiểm"),
                "A3": _answer(""),
                "A4": _answer("   "),
                "G3a": _answer(" \t"),
            },
        ),
        score_vector(
            "one-stop: dates in every accepted ISO form",
            SHIPPED_TEMPLATE,
            one_stop,
            best | {"G3a": _answer("2025W011")},
        ),
        score_vector(
            "one-stop: invalid answers are all reported",
            SHIPPED_TEMPLATE,
            one_stop,
            best
            | {
                "A1": _share(5, 4),
                "A2": _answer(-1),
                "A4": _answer("maybe"),
                "B5": _answer("NA"),
                "G3a": _answer("2025-02-29"),
                "Z9": _answer("yes"),
                "a0": _answer("yes"),
            },
        ),
    ]

    visibility = templates["conformance-visibility"]
    chain = {
        "V4": _answer("yes"),
        "V5": _share(3, 12),
        "V6": _answer(photos=2),
        "V1": _answer("no", photos=1),
        "V2": _answer(2),
        "V3": _answer("ok"),
        "V7": _answer("b"),
        "V8": _answer(2.5),
        "V9": _answer("2024-12-31"),
        "V10": _answer("sig"),
        "W1": _answer("yes"),
        "W2": _answer(2),
        "W3": _answer("half"),
        "W4": _answer("no"),
    }
    visibility_sets = {
        "every condition true": chain,
        "nothing answered": {},
        "chain broken at the bottom: V4 not applicable": chain | {"V4": _answer("na")},
        "V4 no hides V1 and V7": chain | {"V4": _answer("no")},
        "V5 at 0 % hides V1": chain | {"V5": _share(0, 12)},
        "V5 with denominator 0 reads null": chain | {"V5": _share(0, 0)},
        "few photos and V1 yes hide V2 and what follows": chain
        | {"V1": _answer("yes"), "V6": _answer(photos=1)},
        "V6 without photos is unanswered": chain | {"V6": _answer(photos=0, note="none taken")},
        "V3 in capitals": chain | {"V3": _answer("OK")},
        "V3 with spaces": chain | {"V3": _answer(" ok ")},
        "V8 below 2.5 and V9 late": chain | {"V8": _answer(2.49), "V9": _answer("2025-01-01")},
        "V8 integer": chain | {"V8": _answer(3)},
        "V7 c hides V8": chain | {"V7": _answer("c")},
        "V9 in basic format compares as text": chain
        | {"V8": _answer(0), "V9": _answer("20241231")},
        "only the hidden items answered": {
            "V1": _answer("no"),
            "V2": _answer(3),
            "V3": _answer("ok"),
            "W1": _answer("no"),
            "W2": _answer(2),
        },
        "V2 at 1 shows W2": chain | {"V2": _answer(1)},
        "W4 no photos, V5 unanswered": {"V4": _answer("yes"), "W3": _answer("none")},
    }
    vectors += [
        score_vector(f"visibility: {name}", "conformance-visibility", visibility, answers)
        for name, answers in visibility_sets.items()
    ]

    scoring_template = templates["conformance-scoring"]
    scoring_sets: dict[str, dict[str, Json]] = {
        "all full": {item.key: _best(item) for _section, item in scoring_template.items()},
        "thirds and sevenths": {
            "P1": _share(1, 3),
            "P2": _share(4, 7),
            "P3": _share(1, 3),
            "P4": _answer(4),
            "P5": _answer(0),
            "Q1": _answer("most"),
            "Q2": _answer("y"),
            "Q3": _answer("yes"),
            "Q4": _answer("no"),
            "Q5": _answer("yes"),
        },
        "lower is better at the thresholds": {
            "P1": _share(1, 8),
            "P2": _share(9, 10),
            "P4": _answer(2),
            "P5": _answer(1),
            "Q1": _answer("some"),
            "Q3": _answer("na"),
            "Q5": _answer("no", note="sai"),
        },
        "lower is better between and beyond": {
            "P1": _share(1, 4),
            "P2": _share(1, 2),
            "P3": _share(0, 5),
            "P4": _answer(7),
            "P5": _answer(3),
            "Q1": _answer("none"),
            "Q2": _answer("x"),
            "Q3": _answer("no"),
            "Q4": _answer("yes"),
            "Q5": _answer("yes"),
        },
        "percent above the floor on the wrong side": {
            "P1": _share(3, 8),
            "P2": _share(45, 100),
            "P3": _share(0, 0),
            "P4": _answer(3),
            "P5": _answer(0),
        },
        "optional items unanswered, tenths only": {
            "Q3": _answer("yes"),
            "Q5": _answer("yes"),
            "P1": _share(0, 0),
            "P2": _share(0, 0),
            "P4": _answer(0),
            "P5": _answer(0),
            "Q1": _answer("full"),
            "Q2": _answer("x"),
        },
        "count between full_at and zero_at": {"P4": _answer(5), "P5": _answer(0)},
        "percents not applicable, the rest unanswered": {
            "P1": _share(0, 0),
            "P2": _share(0, 0),
            "P3": _share(0, 0),
            "Q3": _answer("na"),
        },
    }
    vectors += [
        score_vector(f"scoring: {name}", "conformance-scoring", scoring_template, answers)
        for name, answers in scoring_sets.items()
    ]

    bands = templates["conformance-bands"]
    met = {"R2": _answer("yes"), "R3": _answer("yes"), "R4": _answer("yes"), "S1": _answer(0)}
    for option in [*"abcdefghijklm", "full", "zero"]:
        vectors.append(
            score_vector(
                f"bands: R1 option {option}",
                "conformance-bands",
                bands,
                met | {"R1": _answer(option)},
            )
        )
    band_sets: dict[str, tuple[dict[str, Json], str | None]] = {
        "critical failure with no total": ({"R2": _answer("no")}, "2025-07-01"),
        "nothing scorable": ({"R3": _answer("na"), "S2": _answer("x")}, None),
        "critical failure in the lowest band is no cap": (
            met | {"R1": _answer("zero"), "R2": _answer("no")},
            None,
        ),
        "critical failure caps excellent": (
            met | {"R1": _answer("full"), "R2": _answer("no", note="  ")},
            "2025-06-30",
        ),
        "findings in 2024": (
            {"R1": _answer("b"), "R2": _answer("no"), "R4": _answer("no"), "S1": _answer(2)},
            "2024-05-01",
        ),
        "findings on the last day of 2024": (
            {"R1": _answer("b"), "R2": _answer("no"), "R4": _answer("no"), "S1": _answer(1)},
            "2024-12-31",
        ),
        "findings without a day": (
            {"R1": _answer("b"), "R2": _answer("no"), "R4": _answer("no"), "S1": _answer(9)},
            None,
        ),
        "critical not applicable is no failure": (met | {"R3": _answer("na")}, None),
    }
    vectors += [
        score_vector(f"bands: {name}", "conformance-bands", bands, answers, day)
        for name, (answers, day) in band_sets.items()
    ]

    evidence = templates["conformance-evidence"]
    evidence_sets: dict[str, dict[str, Json]] = {
        "no evidence at all": {
            "E1": _answer("no"),
            "E2": _answer(1),
            "E3": _answer(photos=1),
            "E4": _answer("ghi chú"),
            "E5": _answer("sig"),
            "E6": _answer("no"),
            "E7": _share(3, 4),
            "E8": _answer(4),
            "E9": _answer("half"),
        },
        "everything in order": {
            "E1": _answer("yes", photos=2),
            "E2": _answer(0, note="đếm"),
            "E3": _answer(photos=2),
            "E4": _answer("ghi chú", note="x"),
            "E5": _answer("sig"),
            "E6": _answer("yes"),
            "E7": _share(4, 4),
            "E8": _answer(4, photos=1),
        },
        "too many photos everywhere": {
            "E1": _answer("no", photos=4, note="có"),
            "E2": _answer(2, photos=3, note="có"),
            "E3": _answer(photos=5),
            "E4": _answer("t", photos=1, note="có"),
            "E5": _answer("sig", photos=11),
            "E6": _answer("no", photos=6, note="có"),
            "E7": _share(0, 4, photos=11, note="có"),
            "E8": _answer(1, photos=2),
            "E9": _answer("bad", photos=11, note="có"),
        },
        "blank notes do not count": {
            "E1": _answer("no", photos=2, note=" \n "),
            "E2": _answer(0, note=""),
            "E4": _answer("t", note="\t"),
            "E6": _answer("no", photos=3, note="\u00a0"),
            "E7": _share(2, 4, photos=1, note="\x1c"),
            "E9": _answer("ok", note="\ufeff"),
        },
        "not applicable needs no evidence": {
            "E6": _answer("na", photos=9),
            "E7": _share(0, 0, photos=11),
        },
        "hidden item needs no evidence": {
            "E1": _answer("yes", photos=2),
            "E9": _answer("bad", photos=12),
        },
        "unanswered items need no evidence": {
            "E1": _answer(photos=11),
            "E3": _answer(photos=0, note="none"),
        },
    }
    vectors += [
        score_vector(f"evidence: {name}", "conformance-evidence", evidence, answers)
        for name, answers in evidence_sets.items()
    ]
    return vectors


def random_answer_sets(templates: dict[str, ChecklistTemplate]) -> list[dict[str, Json]]:
    rng = random.Random(SEED + 1)
    plan = [
        (SHIPPED_TEMPLATE, 20, 20, 6),
        ("conformance-visibility", 10, 15, 3),
        ("conformance-scoring", 10, 10, 3),
        ("conformance-bands", 5, 10, 2),
        ("conformance-evidence", 10, 10, 3),
    ]
    vectors = []
    for name, complete, partial, invalid in plan:
        template = templates[name]
        for number in range(complete):
            answers = _random_answers(rng, template, complete=True)
            day = rng.choice(_INSPECTION_DAYS)
            vectors.append(score_vector(f"random complete #{number}", name, template, answers, day))
        for number in range(partial):
            answers = _random_answers(rng, template, complete=False)
            day = rng.choice(_INSPECTION_DAYS)
            vectors.append(score_vector(f"random partial #{number}", name, template, answers, day))
        items = [item for _section, item in template.items()]
        for number in range(invalid):
            answers = _random_answers(rng, template, complete=False)
            for item in rng.sample(items, rng.randint(1, 3)):
                answers[item.key] = _invalid_answer(rng, item)
            vectors.append(score_vector(f"random invalid #{number}", name, template, answers))
    return vectors


# --- check_answer vectors ----------------------------------------------------------------------

DATE_TEXTS = [
    "2025-07-01",
    "2024-02-29",
    "2025-02-29",
    "2025-02-30",
    "2025-13-01",
    "2025-00-10",
    "2025-01-00",
    "2025-1-01",
    "2025-01-1",
    "25-01-01",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "20250701",
    "20250701xy",
    "20250701é",
    "20250701-1",
    "2025-0701",
    "202507-01",
    "2025W27",
    "2025-W27",
    "2025W273",
    "2025-W27-3",
    "2025-W273",
    "2025W27-3",
    "2025W27x",
    "2025-W27x",
    "2025-W00-1",
    "2025-W01-0",
    "2025-W01-8",
    "2020-W53-7",
    "2021-W53-1",
    "2026-W53-4",
    "2015W537",
    "9999-W52-5",
    "9999-W52-6",
    "0001-W01-1",
    "2025-07-01T10:00",
    "2025-07-01 ",
    " 2025-07-01",
    "2025/07/01",
    "01/07/2025",
    "+025-07-01",
    "２０２５-07-01",
    "2025-07-0١",
    "",
    "  ",
    "hôm nay",
]


def _check_answer_cases(item: AnyItem) -> list[dict[str, Json]]:
    common = [
        _answer(),
        _answer(photos=3, note="ảnh"),
        _answer(""),
        _answer("   "),
        _answer("\x1c\x1d"),
        _answer("\u00a0\u2003"),
        _answer("\ufeff"),
        _answer("yes"),
        _answer("no"),
        _answer("na"),
        _answer("YES"),
        _answer(" yes"),
        _answer(0),
        _answer(1),
        _answer(2),
        _answer(-1),
        _answer(1.5),
        _answer(2.5),
        _answer("a"),
        _answer("full"),
        _answer(numerator=1),
        _answer(denominator=4),
        _answer(numerator=1, denominator=4),
        _answer(numerator=0, denominator=0),
        _answer(numerator=5, denominator=4),
        _answer(numerator=4, denominator=4),
        _answer("50", numerator=1, denominator=2),
        _answer(" ", numerator=1, denominator=2),
        _answer(50, numerator=1, denominator=2),
        _answer("2025-07-01"),
        _answer("photo.jpg", photos=2),
        _answer(photos=2),
    ]
    if isinstance(item, DateItem):
        common += [_answer(text) for text in DATE_TEXTS]
    return common


def check_answer_vectors(templates: dict[str, ChecklistTemplate]) -> list[dict[str, Json]]:
    # One item of each answer type (the visibility template has all ten).
    name = "conformance-visibility"
    vectors = []
    seen: set[str] = set()
    for _section, item in templates[name].items():
        if item.answer_type in seen:
            continue
        seen.add(item.answer_type)
        for answer in map(_phone_can_send, canonical(_check_answer_cases(item))):
            message = scoring.check_answer(item, scoring.Answer.model_validate(answer))
            vectors.append(
                {"template": name, "item": item.key, "answer": answer, "message": message}
            )
    # The choice item with partial options, for its message.
    partial_choice = templates["conformance-visibility"].item("W3")
    for answer in canonical([_answer("half"), _answer("quarter"), _answer("Half")]):
        message = scoring.check_answer(partial_choice, scoring.Answer.model_validate(answer))
        vectors.append({"template": name, "item": "W3", "answer": answer, "message": message})
    return vectors


# --- The file ----------------------------------------------------------------------------------


def build_vectors() -> dict[str, Json]:
    """Every vector, computed by the Python engine now."""
    templates = load_templates()
    # Score against the template as the phone and the server read it back: from canonical JSON.
    published = {
        name: ChecklistTemplate.model_validate(json.loads(canonical_json(template)))
        for name, template in templates.items()
    }
    return {
        "about": (
            "Conformance vectors of the checklist rules, written by `python -m "
            "checklists.conformance` from the Python engine. Do not edit by hand; see the module "
            "docstring of checklists/conformance.py for the format."
        ),
        "templates": {name: template_vector(template) for name, template in published.items()},
        "expressions": expression_vectors(),
        "answer_sets": hand_written_answer_sets(published) + random_answer_sets(published),
        "check_answer": check_answer_vectors(published),
    }


def main() -> None:
    text = render(build_vectors())
    VECTORS_PATH.parent.mkdir(parents=True, exist_ok=True)
    VECTORS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS_PATH} ({len(text.encode('utf-8')):,} bytes)")


if __name__ == "__main__":
    main()

// Focused tests of the phone's checklist rules: what the conformance vectors cannot show (the
// error class, the phone-only answer checks, exactness beyond the vectors), and readable examples.
import { describe, expect, it } from "vitest";
import {
  ExpressionError,
  InvalidAnswersError,
  MAX_EXPRESSION_LENGTH,
  checkAnswer,
  evaluateExpression,
  evaluationOrder,
  parseExpression,
  scoreInspection,
  visibleItems,
} from "../src/rules";
import type { Answer, ChecklistContent, ChecklistItem } from "../src/rules";
import { Fraction, roundHalfUp } from "../src/rules/fraction";
import { parseIsoDate } from "../src/rules/isodate";

function parseError(text: string): ExpressionError {
  try {
    parseExpression(text);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

const text = (words: string) => ({ vi: `${words} (vi)`, en: words });
const evidence = { photo: "none", min_photos: 1, max_photos: 10, note: "none" } as const;

function yesNo(key: string, showIf: string | null = null): ChecklistItem {
  return {
    key,
    answer_type: "yes_no",
    text: text(key),
    guidance: null,
    legal_basis: [],
    evidence,
    show_if: showIf,
    required: true,
    points: 1,
    severity: "major",
    category: "discipline",
    default_action: null,
  };
}

function checklist(...items: ChecklistItem[]): ChecklistContent {
  return {
    key: "unit-test",
    version: 1,
    title: text("Unit test"),
    description: null,
    legal_bases: [],
    rating_bands: [{ key: "all", label: text("All"), min_score: 0 }],
    action_due_days: { critical: 7, major: 15, minor: 30 },
    total_points: items.length,
    sections: [{ key: "S", title: text("S"), guidance: null, points: items.length, items }],
  };
}

const answer = (value: Answer["value"], fields: Partial<Answer> = {}): Answer => ({
  value,
  photo_count: 0,
  ...fields,
});

describe("parse errors", () => {
  it("are ExpressionErrors with Python's message, reason and 0-based column", () => {
    const error = parseError("A1 = 1");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ExpressionError");
    expect(error.reason).toBe("use '==' to compare, not '='");
    expect(error.column).toBe(3);
    expect(error.message).toBe("use '==' to compare, not '=' (at column 4)");
  });

  it("point at the token that is wrong", () => {
    expect([parseError("A1 == 1 == 2").reason, parseError("A1 == 1 == 2").column]).toEqual([
      "unexpected '=='",
      8,
    ]);
    expect(parseError("A1 in B1").reason).toBe('\'in\' needs a list such as ["yes", "na"]');
    expect(parseError("A1.foo == 1").reason).toBe(
      "unknown attribute 'foo'; use one of answer, denominator, numerator, photo_count",
    );
    expect(parseError("A1").reason).toBe('a condition must compare something, e.g. A1 == "yes"');
    expect(parseError("open('x')").reason).toBe("function calls are not allowed");
    expect(parseError("A1 == ").reason).toBe("expected a value, found end of expression");
  });

  it("count columns and length in characters, not UTF-16 units", () => {
    expect(parseError('"😀😀" == A1 and @').column).toBe(15);
    const long = `U2 == "${"😀".repeat(MAX_EXPRESSION_LENGTH - 8)}"`;
    expect(long.length).toBeGreaterThan(MAX_EXPRESSION_LENGTH);
    expect(evaluateExpression(parseExpression(long), {})).toBe(false);
    expect(parseError(`${long} `).reason).toBe("expression is longer than 1000 characters");
  });

  it("quote characters the way Python's repr does", () => {
    expect(parseError("A1 == \u200b").reason).toBe("unexpected character '\\u200b'");
    expect(parseError("A1 == \\").reason).toBe("unexpected character '\\\\'");
    expect(parseError(`A1 == "x" 'it\\'s'`).reason).toBe(`unexpected "'it\\\\'s'"`);
  });

  it("refuse what is not text", () => {
    expect(parseError(42 as unknown as string).reason).toBe("an expression must be a string");
    expect(parseError(" \u00a0\x1c").reason).toBe("expression is empty");
  });
});

describe("evaluation", () => {
  it("keeps integers beyond 2^53 exact, as Python's int", () => {
    const tree = parseExpression("A1 == 9007199254740993");
    expect(tree).toMatchObject({ right: { value: 9007199254740993n } });
    expect(evaluateExpression(tree, { A1: 9007199254740992 })).toBe(false);
    expect(evaluateExpression(parseExpression("A1 < 9007199254740993"), { A1: 2 ** 53 })).toBe(
      true,
    );
  });

  it("reads only the facts given, never the object prototype", () => {
    expect(evaluateExpression(parseExpression("constructor == null"), {})).toBe(true);
    expect(evaluateExpression(parseExpression("toString.answer == null"), {})).toBe(true);
  });
});

describe("answers the server would refuse before scoring", () => {
  const item = yesNo("A1");
  it.each([
    [{ numerator: -1, photo_count: 0 }, "numerator must be a whole number, 0 or more"],
    [{ denominator: 2.5, photo_count: 0 }, "denominator must be a whole number, 0 or more"],
    [{ value: "yes", photo_count: 1.5 }, "photo_count must be a whole number, 0 or more"],
    [{ value: true, photo_count: 0 }, "answer must be text or a number"],
    [{ value: Number.NaN, photo_count: 0 }, "answer must be text or a number"],
    [{ value: "yes", photo_count: 0, note: 3 }, "note must be text"],
  ])("%j", (given, message) => {
    expect(checkAnswer(item, given as unknown as Answer)).toBe(message);
  });

  it("lets the rules speak for well-formed answers", () => {
    expect(checkAnswer(item, answer("maybe"))).toBe("answer must be one of yes, no");
    expect(checkAnswer(item, answer(null, { photo_count: 2 }))).toBeNull();
  });
});

describe("scoring", () => {
  const template = checklist(yesNo("A1", 'A2 == "yes"'), yesNo("A2"));

  it("throws every problem at once, in answer order", () => {
    const answers = { A2: answer("no", { numerator: 1 }), A1: answer("maybe"), B9: answer("yes") };
    expect(() => scoreInspection(template, answers)).toThrow(InvalidAnswersError);
    try {
      scoreInspection(template, answers);
    } catch (error) {
      expect((error as InvalidAnswersError).problems.map((problem) => problem.item_key)).toEqual([
        "A2",
        "A1",
        "B9",
      ]);
      expect((error as Error).message).toContain("B9: no such item in this checklist");
    }
  });

  it("shows items while answers are still being typed, even invalid ones", () => {
    expect(visibleItems(template, {})).toEqual(["A2"]);
    expect(visibleItems(template, { A2: answer("yes"), A1: answer("maybe") })).toEqual([
      "A1",
      "A2",
    ]);
  });

  it("orders conditions before the items that read them, and refuses cycles", () => {
    expect(evaluationOrder(template).map((item) => item.key)).toEqual(["A2", "A1"]);
    const cyclic = checklist(yesNo("A1", 'A2 == "yes"'), yesNo("A2", 'A1 == "no"'));
    expect(() => evaluationOrder(cyclic)).toThrow("cycle");
  });
});

describe("exact arithmetic", () => {
  it("reads checklist numbers as the decimals they are written as", () => {
    expect(Fraction.exact(0.1)).toEqual(Fraction.of(1n, 10n));
    expect(Fraction.exact(1e-7)).toEqual(Fraction.of(1n, 10_000_000n));
    expect(Fraction.exact(1.5e21)).toEqual(Fraction.of(1_500_000_000_000_000_000_000n));
    expect(Fraction.exact(-2.5)).toEqual(Fraction.of(-5n, 2n));
  });

  it("rounds halves up where binary floats would round down", () => {
    expect(roundHalfUp(Fraction.of(66_665n, 1000n))).toBe(66.67);
    expect(roundHalfUp(Fraction.of(1005n, 1000n))).toBe(1.01);
    expect(roundHalfUp(Fraction.of(2, 3))).toBe(0.67);
  });

  it("converts to the nearest double even beyond 2^53", () => {
    const third = Number("333333333333333333333333333333.333");
    expect(Fraction.of(10n ** 30n, 3n).toNumber()).toBe(third);
    expect(Fraction.of(-(2n ** 80n) - 1n, 1n).toNumber()).toBe(-(2 ** 80));
  });
});

describe("dates", () => {
  it("accepts what Python 3.11's date.fromisoformat accepts", () => {
    expect(parseIsoDate("2025-07-01")).toEqual({ year: 2025, month: 7, day: 1 });
    expect(parseIsoDate("2025-W27-2")).toEqual({ year: 2025, month: 7, day: 1 });
    expect(parseIsoDate("20250701xy")).toEqual({ year: 2025, month: 7, day: 1 });
    expect(parseIsoDate("2025-02-29")).toBeNull();
    expect(parseIsoDate("2025-07-01 ")).toBeNull();
    expect(parseIsoDate("2025-07-0\ud800")).toBeNull();
  });
});

// The phone's checklist rules against the Python engine: every vector in
// checklists/conformance/vectors.json (written by `python -m checklists.conformance`) must come out
// exactly as the server computes it, down to the last rounded digit and the error column.
import { describe, expect, it } from "vitest";
import vectorsText from "../../checklists/conformance/vectors.json?raw";
import {
  ExpressionError,
  InvalidAnswersError,
  checkAnswer,
  evaluateExpression,
  evaluationOrder,
  parseExpression,
  references,
  scoreInspection,
  visibleItems,
} from "../src/rules";
import type {
  Answer,
  AnswerProblem,
  ChecklistContent,
  ExpressionFacts,
  ScoreResult,
} from "../src/rules";

interface ExpressionVector {
  expression: string;
  error?: { message: string; column: number };
  references?: string[];
  cases?: { facts: ExpressionFacts; result: boolean }[];
}

interface TemplateVector {
  content: ChecklistContent;
  show_if_references: Record<string, string[]>;
}

interface AnswerSetVector {
  name: string;
  template: string;
  answers: Record<string, Answer>;
  inspected_on: string | null;
  result?: ScoreResult;
  visible?: string[];
  problems?: AnswerProblem[];
}

interface CheckAnswerVector {
  template: string;
  item: string;
  answer: Answer;
  message: string | null;
}

interface Vectors {
  expressions: ExpressionVector[];
  templates: Record<string, TemplateVector>;
  answer_sets: AnswerSetVector[];
  check_answer: CheckAnswerVector[];
}

const vectors = JSON.parse(vectorsText) as Vectors;

function title(text: string): string {
  const shown = JSON.stringify(text);
  return shown.length > 70 ? `${shown.slice(0, 67)}…` : shown;
}

function parseOutcome(text: string) {
  try {
    return { tree: parseExpression(text) };
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    return { error: { message: error.reason, column: error.column } };
  }
}

function itemOf(content: ChecklistContent, key: string) {
  const items = content.sections.flatMap((section) => section.items);
  const item = items.find((each) => each.key === key);
  if (item === undefined) throw new Error(`no item ${key} in ${content.key}`);
  return item;
}

describe("the vectors file", () => {
  it("holds every kind of vector", () => {
    expect(vectors.expressions.length).toBeGreaterThan(500);
    expect(vectors.answer_sets.length).toBeGreaterThan(150);
    expect(vectors.check_answer.length).toBeGreaterThan(300);
    expect(Object.keys(vectors.templates)).toContain("one-stop-shop");
  });
});

describe("show_if expressions", () => {
  vectors.expressions.forEach((vector, index) => {
    it(`#${index} ${title(vector.expression)}`, () => {
      const parsed = parseOutcome(vector.expression);
      if (vector.error !== undefined) {
        expect(parsed).toStrictEqual({ error: vector.error });
        return;
      }
      expect(parsed.error).toBeUndefined();
      const tree = parsed.tree!;
      expect([...references(tree)].sort()).toStrictEqual(vector.references);
      const results = (vector.cases ?? []).map(({ facts }) => evaluateExpression(tree, facts));
      expect(results).toStrictEqual((vector.cases ?? []).map(({ result }) => result));
    });
  });
});

describe("templates", () => {
  for (const [name, vector] of Object.entries(vectors.templates)) {
    it(`${name}: reads the same items in each show_if, in an order that respects them`, () => {
      const items = vector.content.sections.flatMap((section) => section.items);
      const readBy: Record<string, string[]> = {};
      for (const item of items) {
        if (item.show_if) readBy[item.key] = [...references(parseExpression(item.show_if))].sort();
      }
      expect(readBy).toStrictEqual(vector.show_if_references);

      const order = evaluationOrder(vector.content).map((item) => item.key);
      expect([...order].sort()).toStrictEqual(items.map((item) => item.key).sort());
      for (const [key, reads] of Object.entries(readBy)) {
        for (const read of reads) expect(order.indexOf(read)).toBeLessThan(order.indexOf(key));
      }
    });
  }
});

describe("answer sets", () => {
  vectors.answer_sets.forEach((vector, index) => {
    it(`#${index} ${vector.template}: ${vector.name}`, () => {
      const content = vectors.templates[vector.template].content;
      const score = () =>
        scoreInspection(content, vector.answers, { inspectedOn: vector.inspected_on });
      if (vector.problems !== undefined) {
        expect(score).toThrow(InvalidAnswersError);
        try {
          score();
        } catch (error) {
          expect((error as InvalidAnswersError).problems).toStrictEqual(vector.problems);
        }
        return;
      }
      expect(score()).toStrictEqual(vector.result);
      expect(visibleItems(content, vector.answers)).toStrictEqual(vector.visible);
    });
  });
});

describe("check_answer", () => {
  vectors.check_answer.forEach((vector, index) => {
    it(`#${index} ${vector.item} ${title(JSON.stringify(vector.answer))}`, () => {
      const item = itemOf(vectors.templates[vector.template].content, vector.item);
      expect(checkAnswer(item, vector.answer)).toBe(vector.message);
    });
  });
});

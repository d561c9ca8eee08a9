// The scoring engine, a port of checklists/scoring.py: answers in, scores, rating band, findings
// and evidence gaps out. Pure: no DOM, no storage, no clock. The rules (see the Python module's
// docstring for the reasons behind them):
//
// - Visibility: an item whose `show_if` is false is hidden, earns nothing and leaves the
//   denominator. Conditions read visible, answered items only, in dependency order.
// - yes/no: yes = all, no = none, na = not applicable; choice: the option's share of the points;
//   count: all at or below full_at, none at or above zero_at, linear between; percent: none at
//   floor, all at target, linear between (mirrored for lower_is_better), denominator 0 = n/a.
// - Unanswered required scored items earn 0 and stay in the denominator; optional ones leave it.
// - Exact fractions throughout; rounding (2 decimals, half up) only in the result. The band comes
//   from the rounded total; any critical failure caps it at the lowest band.
//
// The result has the fields of Python's ScoreResult under the same snake_case names (see types.ts).

import { Fraction, clampUnit, roundHalfUp } from "./fraction";
import { evaluateExpression, parseExpression, references } from "./expressions";
import type { ExpressionNode, ExpressionValue, ItemFacts } from "./expressions";
import { parseIsoDate } from "./isodate";
import { hasOwn, isBlank } from "./python";
import type {
  Answer,
  AnswerProblem,
  Answers,
  ChecklistContent,
  ChecklistItem,
  EvidenceRule,
  EvidenceViolation,
  Finding,
  LegalBasis,
  Outcome,
  RatingBand,
  ScoreResult,
  ScoredItem,
  Section,
  SectionResult,
} from "./types";

const YES = "yes";
const NO = "no";
const NOT_APPLICABLE = "na";
const NOT_MET: ReadonlySet<Outcome> = new Set(["fail", "partial"]);

/** Answers that do not fit their items; `problems` lists each one. */
export class InvalidAnswersError extends Error {
  readonly problems: AnswerProblem[];

  constructor(problems: AnswerProblem[]) {
    super(problems.map((problem) => `${problem.item_key}: ${problem.message}`).join("; "));
    this.name = "InvalidAnswersError";
    this.problems = problems;
  }
}

export function isScored(item: ChecklistItem): item is ScoredItem {
  return (
    item.answer_type === "yes_no_na" ||
    item.answer_type === "yes_no" ||
    item.answer_type === "choice" ||
    item.answer_type === "count" ||
    item.answer_type === "percent"
  );
}

function answerFor(answers: Answers, key: string): Answer | undefined {
  return hasOwn(answers, key) ? answers[key] : undefined;
}

/** Every item with its section, in document order. */
function templateItems(template: ChecklistContent): [Section, ChecklistItem][] {
  return template.sections.flatMap((section) =>
    section.items.map((item): [Section, ChecklistItem] => [section, item]),
  );
}

// --- Checking answers ----------------------------------------------------------------------------

/**
 * An answer with nothing in it (no value, no numerator or denominator; for photo items, no photo)
 * counts as unanswered. Blank means Python's strip() leaves nothing.
 */
export function isEmptyAnswer(item: ChecklistItem, answer: Answer): boolean {
  if (item.answer_type === "photo") return (answer.photo_count ?? 0) === 0;
  const value = answer.value ?? null;
  const blankValue = value === null || (typeof value === "string" && isBlank(value));
  return blankValue && (answer.numerator ?? null) === null && (answer.denominator ?? null) === null;
}

function hasNote(answer: Answer): boolean {
  return typeof answer.note === "string" && !isBlank(answer.note);
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/**
 * What the server refuses before the rules even run (its Answer model: no booleans or objects as
 * values, whole non-negative numerators, denominators and photo counts). Python has no message for
 * these because it cannot hold such an answer; the phone can, so it says what is wrong.
 */
function shapeProblem(answer: Answer): string | null {
  const value: unknown = answer.value;
  const valueFits =
    value === undefined ||
    value === null ||
    typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value));
  if (!valueFits) return "answer must be text or a number";
  for (const field of ["numerator", "denominator"] as const) {
    const given: unknown = answer[field];
    if (given !== undefined && given !== null && !isCount(given)) {
      return `${field} must be a whole number, 0 or more`;
    }
  }
  const photoCount: unknown = answer.photo_count;
  if (photoCount !== undefined && !isCount(photoCount)) {
    return "photo_count must be a whole number, 0 or more";
  }
  const note: unknown = answer.note;
  if (note !== undefined && note !== null && typeof note !== "string") return "note must be text";
  return null;
}

/** Why `answer` does not fit `item`, or null when it does (an empty answer always fits). */
export function checkAnswer(item: ChecklistItem, answer: Answer): string | null {
  const shape = shapeProblem(answer);
  if (shape !== null) return shape;
  if (isEmptyAnswer(item, answer)) return null;
  const value = answer.value ?? null;
  const numerator = answer.numerator ?? null;
  const denominator = answer.denominator ?? null;
  if (item.answer_type !== "percent" && (numerator !== null || denominator !== null)) {
    return "only percent items take a numerator and a denominator";
  }
  switch (item.answer_type) {
    case "yes_no_na":
    case "yes_no": {
      const allowed = item.answer_type === "yes_no_na" ? [YES, NO, NOT_APPLICABLE] : [YES, NO];
      return typeof value === "string" && allowed.includes(value)
        ? null
        : `answer must be one of ${allowed.join(", ")}`;
    }
    case "choice": {
      const keys = item.options.map((option) => option.key);
      return typeof value === "string" && keys.includes(value)
        ? null
        : `answer must be one of the options ${keys.join(", ")}`;
    }
    case "count":
      return isCount(value) ? null : "answer must be a count (0 or more)";
    case "percent":
      if (value !== null) return "percent answers use numerator and denominator, not value";
      if (numerator === null || denominator === null) {
        return "percent answers need both numerator and denominator";
      }
      return numerator > denominator ? "numerator cannot be larger than denominator" : null;
    case "photo":
      return value === null ? null : "photo items take photos, not a value";
    case "date":
      return typeof value === "string" && parseIsoDate(value) !== null
        ? null
        : "answer must be a date (YYYY-MM-DD)";
    case "number":
      return typeof value === "number" ? null : "answer must be a number";
    case "text":
    case "signature":
      return typeof value === "string" ? null : "answer must be text";
  }
}

/** Every answer that does not fit its item (or names no item of this template), in answer order. */
export function checkAnswers(template: ChecklistContent, answers: Answers): AnswerProblem[] {
  const items = new Map(templateItems(template).map(([, item]) => [item.key, item]));
  const problems: AnswerProblem[] = [];
  for (const key of Object.keys(answers)) {
    const item = items.get(key);
    const message =
      item === undefined ? "no such item in this checklist" : checkAnswer(item, answers[key]);
    if (message !== null) problems.push({ item_key: key, message });
  }
  return problems;
}

// --- Visibility ----------------------------------------------------------------------------------

const parsedExpressions = new Map<string, ExpressionNode>();

function parsed(expression: string): ExpressionNode {
  let node = parsedExpressions.get(expression);
  if (node === undefined) {
    if (parsedExpressions.size >= 4096) parsedExpressions.clear();
    node = parseExpression(expression);
    parsedExpressions.set(expression, node);
  }
  return node;
}

/**
 * Items ordered so that every item comes after the items its `show_if` reads (Kahn's algorithm, as
 * Python's graphlib). Any such order gives the same scores. Throws for a cyclic template, which
 * the server's validator never publishes.
 */
export function evaluationOrder(template: ChecklistContent): ChecklistItem[] {
  const items = new Map(templateItems(template).map(([, item]) => [item.key, item]));
  const waitingFor = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [key, item] of items) {
    const reads = item.show_if
      ? references(parsed(item.show_if)).filter((reference) => items.has(reference))
      : [];
    waitingFor.set(key, reads.length);
    for (const reference of reads) {
      dependents.set(reference, [...(dependents.get(reference) ?? []), key]);
    }
  }
  let ready = [...items.keys()].filter((key) => waitingFor.get(key) === 0);
  const order: ChecklistItem[] = [];
  while (ready.length > 0) {
    const next: string[] = [];
    for (const key of ready) {
      order.push(items.get(key) as ChecklistItem);
      for (const dependent of dependents.get(key) ?? []) {
        const remaining = (waitingFor.get(dependent) as number) - 1;
        waitingFor.set(dependent, remaining);
        if (remaining === 0) next.push(dependent);
      }
    }
    ready = next;
  }
  if (order.length !== items.size) throw new Error("show_if conditions form a cycle");
  return order;
}

/** What a `show_if` condition can read about an answered, visible item. */
function expressionFacts(item: ChecklistItem, answer: Answer): ItemFacts {
  const numerator = answer.numerator ?? null;
  const denominator = answer.denominator ?? null;
  let value: ExpressionValue;
  if (item.answer_type === "percent") {
    // The percentage as Python's float(Fraction(numerator, denominator) * 100).
    value =
      numerator !== null && denominator
        ? Fraction.of(BigInt(numerator) * 100n, BigInt(denominator)).toNumber()
        : null;
  } else if (item.answer_type === "photo") {
    value = answer.photo_count ?? 0;
  } else {
    value = answer.value ?? null;
  }
  return { answer: value, numerator, denominator, photo_count: answer.photo_count ?? 0 };
}

/** Whether each item is shown, given the answers (conditions read visible answered items). */
function visibility(template: ChecklistContent, answers: Answers): Map<string, boolean> {
  const shown = new Map<string, boolean>();
  const facts: Record<string, ItemFacts> = {};
  for (const item of evaluationOrder(template)) {
    if (item.show_if && !evaluateExpression(parsed(item.show_if), facts)) {
      shown.set(item.key, false);
      continue;
    }
    shown.set(item.key, true);
    const answer = answerFor(answers, item.key);
    if (answer !== undefined && !isEmptyAnswer(item, answer)) {
      facts[item.key] = expressionFacts(item, answer);
    }
  }
  return shown;
}

/** The keys of the items to show, in document order. Answers need not be valid yet. */
export function visibleItems(template: ChecklistContent, answers: Answers): string[] {
  const shown = visibility(template, answers);
  return templateItems(template)
    .filter(([, item]) => shown.get(item.key))
    .map(([, item]) => item.key);
}

// --- Scoring -------------------------------------------------------------------------------------

/** The share of the item's points this answer earns, or null when the item does not apply. */
function fractionMet(item: ScoredItem, answer: Answer): Fraction | null {
  switch (item.answer_type) {
    case "yes_no_na":
    case "yes_no":
      if (answer.value === NOT_APPLICABLE) return null;
      return answer.value === YES ? Fraction.ONE : Fraction.ZERO;
    case "choice": {
      const chosen = item.options.find((option) => option.key === answer.value);
      if (chosen === undefined) throw new Error(`no option ${String(answer.value)}`);
      if (item.points === 0) return Fraction.ONE;
      return clampUnit(Fraction.exact(chosen.points).div(Fraction.exact(item.points)));
    }
    case "count": {
      const { full_at: fullAt, zero_at: zeroAt } = item.scoring;
      const violations = answer.value as number; // a count, as checkAnswer guarantees
      return clampUnit(Fraction.of(zeroAt - violations, zeroAt - fullAt));
    }
    case "percent": {
      if (!answer.denominator) return null;
      const share = Fraction.of(BigInt(answer.numerator ?? 0) * 100n, BigInt(answer.denominator));
      const target = Fraction.exact(item.scoring.target);
      const floor = Fraction.exact(item.scoring.floor);
      return item.scoring.direction === "higher_is_better"
        ? clampUnit(share.sub(floor).div(target.sub(floor)))
        : clampUnit(floor.sub(share).div(floor.sub(target)));
    }
  }
}

function outcomeOf(fraction: Fraction): Outcome {
  if (fraction.compare(Fraction.ONE) === 0) return "pass";
  if (fraction.isZero()) return "fail";
  return "partial";
}

function evidenceViolations(
  item: ChecklistItem,
  answer: Answer,
  outcome: Outcome,
): EvidenceViolation[] {
  const rules = item.evidence;
  const photoCount = answer.photo_count ?? 0;
  const needs = (rule: EvidenceRule) =>
    rule === "always" || (rule === "on_fail" && NOT_MET.has(outcome));
  const violations: EvidenceViolation[] = [];
  if (needs(rules.photo) && photoCount < rules.min_photos) {
    violations.push({
      item_key: item.key,
      rule: rules.photo === "always" ? "photo_always" : "photo_on_fail",
      needed: rules.min_photos,
      got: photoCount,
    });
  }
  if (photoCount > rules.max_photos) {
    violations.push({
      item_key: item.key,
      rule: "max_photos",
      needed: rules.max_photos,
      got: photoCount,
    });
  }
  if (needs(rules.note) && !hasNote(answer)) {
    violations.push({
      item_key: item.key,
      rule: rules.note === "always" ? "note_always" : "note_on_fail",
      needed: 1,
      got: 0,
    });
  }
  return violations;
}

/** One item's exact result; rounding happens only when the public result is built. */
interface Assessment {
  outcome: Outcome;
  earned: Fraction;
  possible: Fraction;
  evidenceViolations: EvidenceViolation[];
}

function assessment(outcome: Outcome, earned = Fraction.ZERO, possible = Fraction.ZERO) {
  return { outcome, earned, possible, evidenceViolations: [] } as Assessment;
}

/** Score one visible item. */
function assess(item: ChecklistItem, answer: Answer | undefined): Assessment {
  if (answer === undefined || isEmptyAnswer(item, answer)) {
    // A required scored item stays in the denominator, so skipping it never helps.
    const stays = isScored(item) && item.required;
    return assessment("unanswered", Fraction.ZERO, stays ? Fraction.exact(item.points) : undefined);
  }
  let result: Assessment;
  if (isScored(item)) {
    const fraction = fractionMet(item, answer);
    if (fraction === null) return assessment("not_applicable");
    const points = Fraction.exact(item.points);
    result = assessment(outcomeOf(fraction), fraction.mul(points), points);
  } else {
    result = assessment("recorded");
  }
  result.evidenceViolations = evidenceViolations(item, answer, result.outcome);
  return result;
}

function sum(fractions: Fraction[]): Fraction {
  return fractions.reduce((total, each) => total.add(each), Fraction.ZERO);
}

/** Out of 100 and rounded, or null when nothing is in the denominator. */
function percentage(earned: Fraction, possible: Fraction): number | null {
  return possible.isZero() ? null : roundHalfUp(earned.div(possible).mul(Fraction.of(100)));
}

function bandsFromLowest(template: ChecklistContent): RatingBand[] {
  return [...template.rating_bands].sort((left, right) => left.min_score - right.min_score);
}

/** The highest band whose min_score the score reaches (the lowest band if none does). */
function bandFor(template: ChecklistContent, score: number): RatingBand {
  const bands = bandsFromLowest(template);
  const reached = bands.filter((band) => score >= band.min_score);
  return reached.length > 0 ? reached[reached.length - 1] : bands[0];
}

function appliesOn(basis: LegalBasis, day: string): boolean {
  // ISO dates (YYYY-MM-DD) order as text.
  return (
    (basis.applies_from === null || basis.applies_from <= day) &&
    (basis.applies_to === null || day <= basis.applies_to)
  );
}

/** The legal bases an item cites, keeping only those in force on `day` when given. */
function legalBasesFor(
  template: ChecklistContent,
  item: ScoredItem,
  day: string | null,
): LegalBasis[] {
  const byCode = new Map(template.legal_bases.map((basis) => [basis.code, basis]));
  return item.legal_basis
    .filter((code) => byCode.has(code))
    .map((code) => byCode.get(code) as LegalBasis)
    .filter((basis) => day === null || appliesOn(basis, day));
}

export interface ScoreOptions {
  /**
   * The inspection day (YYYY-MM-DD). When given, findings cite only the legal bases in force that
   * day (e.g. Decree 61/2018 before July 2025, Decree 118/2025 after), as the server does.
   */
  inspectedOn?: string | null;
}

/**
 * Score one inspection: the same result as the server's `checklists.scoring.score`. Throws
 * `InvalidAnswersError` when an answer does not fit its item (see `checkAnswers`).
 */
export function scoreInspection(
  template: ChecklistContent,
  answers: Answers,
  options: ScoreOptions = {},
): ScoreResult {
  const problems = checkAnswers(template, answers);
  if (problems.length > 0) throw new InvalidAnswersError(problems);

  const shown = visibility(template, answers);
  const assessments = new Map<string, Assessment>();
  for (const [, item] of templateItems(template)) {
    assessments.set(
      item.key,
      shown.get(item.key) ? assess(item, answerFor(answers, item.key)) : assessment("hidden"),
    );
  }
  const assessed = (item: ChecklistItem) => assessments.get(item.key) as Assessment;

  const all = templateItems(template);
  const earned = sum(all.map(([, item]) => assessed(item).earned));
  const possible = sum(all.map(([, item]) => assessed(item).possible));
  const total = percentage(earned, possible);
  const notMet = all.filter(
    (pair): pair is [Section, ScoredItem] =>
      isScored(pair[1]) && NOT_MET.has(assessed(pair[1]).outcome),
  );
  const criticalFailures = notMet
    .filter(([, item]) => item.severity === "critical")
    .map(([, item]) => item.key);
  const scoreBand = total === null ? null : bandFor(template, total).key;
  const band = criticalFailures.length > 0 ? bandsFromLowest(template)[0].key : scoreBand;
  const day = options.inspectedOn ?? null;

  return {
    items: all.map(([section, item]) => ({
      key: item.key,
      section_key: section.key,
      outcome: assessed(item).outcome,
      earned: roundHalfUp(assessed(item).earned),
      possible: roundHalfUp(assessed(item).possible),
    })),
    sections: template.sections.map((section): SectionResult => {
      const sectionEarned = sum(section.items.map((item) => assessed(item).earned));
      const sectionPossible = sum(section.items.map((item) => assessed(item).possible));
      return {
        key: section.key,
        earned: roundHalfUp(sectionEarned),
        possible: roundHalfUp(sectionPossible),
        score: percentage(sectionEarned, sectionPossible),
      };
    }),
    earned: roundHalfUp(earned),
    possible: roundHalfUp(possible),
    total,
    score_band: scoreBand,
    band,
    band_capped: band !== scoreBand,
    critical_failures: criticalFailures,
    missing_required: all
      .filter(([, item]) => item.required && assessed(item).outcome === "unanswered")
      .map(([, item]) => item.key),
    evidence_violations: all.flatMap(([, item]) => assessed(item).evidenceViolations),
    findings: notMet.map(
      ([section, item]): Finding => ({
        item_key: item.key,
        section_key: section.key,
        outcome: assessed(item).outcome,
        severity: item.severity,
        category: item.category,
        text: { vi: item.text.vi, en: item.text.en },
        default_action: item.default_action && {
          vi: item.default_action.vi,
          en: item.default_action.en,
        },
        due_days: template.action_due_days[item.severity],
        legal_basis: legalBasesFor(template, item, day).map((basis) => basis.code),
        note: answerFor(answers, item.key)?.note ?? null,
      }),
    ),
  };
}

/** `scoreInspection` under the Python engine's name (`checklists.scoring.score`). */
export const score = scoreInspection;

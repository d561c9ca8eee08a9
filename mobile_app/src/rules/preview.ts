// What the screens ask of the checklist rules: which items are asked, each item's outcome,
// the score and band as the server will compute them, and what still blocks the submit.
// The rules themselves are in expressions.ts and scoring.ts, held to the Python engine by the
// shared conformance vectors (checklists/conformance/vectors.json).
import type { ChecklistVersionOut } from "../api/types";
import type { ViewAnswer } from "../store/inspection";
import { checkAnswer, checkAnswers, score } from "./scoring";
import type { Answer, Answers, ChecklistContent, ChecklistItem, LocalizedText } from "./types";

export type { ChecklistContent, ChecklistItem };

export interface EvidenceProblem {
  itemKey: string;
  kind: "photo_missing" | "too_many_photos" | "note_missing" | "ledger_note_missing" | "sample_note_missing";
}

export interface Preview {
  /** At least one scored item has an answer: before that a total would only say "0". */
  anyScoredAnswer: boolean;
  visible: Set<string>;
  outcome: Record<string, string>;
  total: number | null;
  band: { key: string; label: LocalizedText } | null;
  criticalFailures: string[];
  sections: Record<string, number | null>;
  missingRequired: string[];
  evidenceProblems: EvidenceProblem[];
}

export function contentOf(version: ChecklistVersionOut): ChecklistContent {
  return version.content as unknown as ChecklistContent;
}

export function toRulesAnswer(answer: ViewAnswer): Answer {
  return {
    value: answer.value,
    numerator: answer.numerator,
    denominator: answer.denominator,
    photo_count: answer.evidence.length,
    note: answer.note,
  };
}

const KIND: Record<string, EvidenceProblem["kind"]> = {
  photo_always: "photo_missing",
  photo_on_fail: "photo_missing",
  max_photos: "too_many_photos",
  note_always: "note_missing",
  note_on_fail: "note_missing",
};

export function preview(content: ChecklistContent, answers: Record<string, ViewAnswer>): Preview {
  const rulesAnswers: Record<string, Answer> = {};
  for (const [key, answer] of Object.entries(answers)) rulesAnswers[key] = toRulesAnswer(answer);
  // An answer the server would refuse (kept only until the server says so) scores as unanswered
  // here, rather than making the whole preview fail.
  for (const problem of checkAnswers(content, rulesAnswers)) delete rulesAnswers[problem.item_key];
  const result = score(content, rulesAnswers as Answers);
  const outcome: Record<string, string> = {};
  const visible = new Set<string>();
  for (const item of result.items) {
    outcome[item.key] = item.outcome;
    if (item.outcome !== "hidden") visible.add(item.key);
  }
  const band = result.band ? content.rating_bands.find((entry) => entry.key === result.band) ?? null : null;
  const scoredOutcomes = new Set(["pass", "partial", "fail", "not_applicable"]);
  return {
    anyScoredAnswer: result.items.some((item) => scoredOutcomes.has(item.outcome)),
    visible,
    outcome,
    total: result.total,
    band: band ? { key: band.key, label: band.label } : null,
    criticalFailures: result.critical_failures,
    sections: Object.fromEntries(result.sections.map((section) => [section.key, section.score])),
    missingRequired: result.missing_required,
    evidenceProblems: result.evidence_violations.map((violation) => ({
      itemKey: violation.item_key,
      kind: KIND[violation.rule] ?? "photo_missing",
    })),
  };
}

/** Why this answer would be refused by the server, or null. */
export function answerProblem(item: ChecklistItem, answer: Answer): string | null {
  return checkAnswer(item, answer);
}

// Checklist items the unit's dossier ledger pre-fills (issue 14): the bootstrap gives each
// assignment `prefill` (item key → the ledger's value with its source, or null). Items the
// sealed dossier sample's checks pre-fill are computed here from the checks on the phone, with
// the server's formula (server/dossiers/prefill.py `sample_measures`), so the value follows the
// checks as they are recorded. The inspector takes a value in one tap; a different answer needs a
// note, as the server checks at submit.
import type { PrefillValue } from "../api/types";
import type { EvidenceProblem } from "./preview";
import type { ChecklistContent } from "./types";

/** A value the sample's checks give an item: a count (`value`) or a share (`numerator` of
 * `denominator`), with how many sampled dossiers it rests on. */
export interface SamplePrefillValue {
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  source: { kind: "dossier_sample"; checked: number; sampled: number };
}

/** A pre-filled value from either source. */
export type AnyPrefillValue = PrefillValue | SamplePrefillValue;

export type LedgerPrefill = Record<string, PrefillValue>;
export type ItemPrefill = Record<string, AnyPrefillValue>;

/** A sampled dossier's check, as the measures read it: field → match / mismatch / not_checked. */
export type SampleChecks = Record<string, Partial<Record<string, string>>>;

/** The check fields that compare the system's dates with the paper's. */
export const SAMPLE_DATE_CHECKS = ["received", "resolved", "returned"] as const;

function dateMismatches(sampled: string[], checks: SampleChecks): SamplePrefillValue | null {
  const codes = [...new Set(sampled)];
  const compared = codes.filter((code) =>
    SAMPLE_DATE_CHECKS.some((field) => ["match", "mismatch"].includes(checks[code]?.[field] ?? "")),
  );
  if (compared.length === 0) return null;
  const value = compared.filter((code) => SAMPLE_DATE_CHECKS.some((field) => checks[code]?.[field] === "mismatch")).length;
  return { value, numerator: null, denominator: null, source: { kind: "dossier_sample", checked: compared.length, sampled: codes.length } };
}

function receiptSlipShare(sampled: string[], checks: SampleChecks): SamplePrefillValue | null {
  const codes = [...new Set(sampled)];
  const compared = codes.filter((code) => ["match", "mismatch"].includes(checks[code]?.receipt_slip ?? ""));
  if (compared.length === 0) return null;
  const present = compared.filter((code) => checks[code]?.receipt_slip === "match").length;
  return {
    value: null,
    numerator: present,
    denominator: compared.length,
    source: { kind: "dossier_sample", checked: compared.length, sampled: codes.length },
  };
}

const SAMPLE_MEASURES: Record<string, (sampled: string[], checks: SampleChecks) => SamplePrefillValue | null> = {
  date_mismatches: dateMismatches,
  receipt_slip_share: receiptSlipShare,
};

/** One measure over the sample's checks; null until the checks can say (nothing compared yet), or
 * for a measure this phone does not know (a newer template: the inspector answers). */
export function sampleMeasure(measure: string, sampled: string[], checks: SampleChecks): SamplePrefillValue | null {
  const compute = SAMPLE_MEASURES[measure];
  return compute ? compute(sampled, checks) : null;
}

/** The values the sample's checks give the template's `dossier_sample` items. */
export function samplePrefillOf(
  content: ChecklistContent,
  sampled: string[] | null,
  checks: SampleChecks,
): Record<string, SamplePrefillValue> {
  const found: Record<string, SamplePrefillValue> = {};
  if (!sampled || sampled.length === 0) return found;
  for (const section of content.sections) {
    for (const item of section.items) {
      const prefill = "prefill" in item ? item.prefill : null;
      if (prefill?.source !== "dossier_sample") continue;
      const value = sampleMeasure(prefill.measure, sampled, checks);
      if (value) found[item.key] = value;
    }
  }
  return found;
}

/** A figure in words: a count, or a share as "3/4". */
export function figureOf(prefill: AnyPrefillValue): string {
  return prefill.value !== null && prefill.value !== undefined ? `${prefill.value}` : `${prefill.numerator}/${prefill.denominator}`;
}

/** Whether a pre-filled value comes from the sample's checks. */
export function isFromSample(prefill: AnyPrefillValue): prefill is SamplePrefillValue {
  return prefill.source.kind === "dossier_sample";
}

/** The fields of an answer that the ledger's value is compared with. */
export interface AnsweredValue {
  value: string | number | null;
  numerator: number | null;
  denominator: number | null;
  note: string | null;
}

/** The ledger's values of an assignment as stored on the phone (absent on older records). */
export function prefillOf(inspection: object): LedgerPrefill {
  const prefill = (inspection as { prefill?: LedgerPrefill | null }).prefill;
  return prefill ?? {};
}

/** Every pre-filled value of an inspection: the ledger's from the bootstrap, and the sample's
 * computed now from the checks (an item has one source). */
export function itemPrefillOf(
  inspection: object,
  content: ChecklistContent,
  sampled: string[] | null,
  checks: SampleChecks,
): ItemPrefill {
  return { ...prefillOf(inspection), ...samplePrefillOf(content, sampled, checks) };
}

/** The answer fields that taking the ledger's value records. */
export function ledgerAnswer(prefill: AnyPrefillValue): Pick<AnsweredValue, "value" | "numerator" | "denominator"> {
  return prefill.value !== null && prefill.value !== undefined
    ? { value: prefill.value, numerator: null, denominator: null }
    : { value: null, numerator: prefill.numerator ?? null, denominator: prefill.denominator ?? null };
}

function isAnswered(answer: AnsweredValue | undefined): answer is AnsweredValue {
  return Boolean(
    answer && (answer.value !== null || answer.numerator !== null || answer.denominator !== null),
  );
}

/** The answer holds exactly the ledger's value (as the server judges it). */
export function sameAsLedger(answer: AnsweredValue, prefill: AnyPrefillValue): boolean {
  if (prefill.value !== null && prefill.value !== undefined) return answer.value === prefill.value;
  return answer.numerator === (prefill.numerator ?? null) && answer.denominator === (prefill.denominator ?? null);
}

/** Answered with another value than the ledger's: the answer needs a note saying why. */
export function differsFromLedger(answer: AnsweredValue | undefined, prefill: AnyPrefillValue | undefined): boolean {
  return Boolean(prefill && isAnswered(answer) && !sameAsLedger(answer, prefill));
}

/** The problem an answer that differs from its pre-filled value without a note has. */
export function noteMissingKind(prefill: AnyPrefillValue): "ledger_note_missing" | "sample_note_missing" {
  return isFromSample(prefill) ? "sample_note_missing" : "ledger_note_missing";
}

/** The problem of an answer that differs from its pre-filled value and has no note saying why
 * (the server refuses the submit without one), or null. */
export function prefillNoteProblem(
  itemKey: string,
  answer: AnsweredValue | undefined,
  prefill: AnyPrefillValue | undefined,
): EvidenceProblem | null {
  if (!prefill || !differsFromLedger(answer, prefill) || answer?.note?.trim()) return null;
  return { itemKey, kind: noteMissingKind(prefill) };
}

/** Answers that differ from the ledger and have no note: they hold the submit back. */
export function ledgerNoteProblems(
  prefill: ItemPrefill,
  answers: Record<string, AnsweredValue>,
  visible: Set<string>,
): EvidenceProblem[] {
  return Object.keys(prefill)
    .filter((key) => visible.has(key))
    .sort()
    .flatMap((key) => prefillNoteProblem(key, answers[key], prefill[key]) ?? []);
}

function day(isoDate: string): string {
  const [year, month, dayOfMonth] = isoDate.split("-");
  return `${dayOfMonth}/${month}/${year}`;
}

/** The ledger's value in words, with its source: "12/140 hồ sơ, 01/09/2026–29/11/2026". The
 * screen puts the catalogue's lead ("Từ sổ theo dõi hồ sơ:") before it. */
export function ledgerFigure(prefill: PrefillValue, dossierWord: string): string {
  const figure =
    prefill.value !== null && prefill.value !== undefined
      ? `${prefill.value}`
      : `${prefill.numerator}/${prefill.denominator}`;
  return `${figure} ${dossierWord}, ${day(prefill.source.period_from)}–${day(prefill.source.period_to)}`;
}

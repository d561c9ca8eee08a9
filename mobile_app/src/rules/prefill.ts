// Checklist items the unit's dossier ledger pre-fills (issue 14): the bootstrap gives each
// assignment `prefill` (item key → the ledger's value with its source, or null). The inspector
// takes the value in one tap; a different answer needs a note, as the server checks at submit.
import type { PrefillValue } from "../api/types";
import type { EvidenceProblem } from "./preview";

export type LedgerPrefill = Record<string, PrefillValue>;

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

/** The answer fields that taking the ledger's value records. */
export function ledgerAnswer(prefill: PrefillValue): Pick<AnsweredValue, "value" | "numerator" | "denominator"> {
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
export function sameAsLedger(answer: AnsweredValue, prefill: PrefillValue): boolean {
  if (prefill.value !== null && prefill.value !== undefined) return answer.value === prefill.value;
  return answer.numerator === (prefill.numerator ?? null) && answer.denominator === (prefill.denominator ?? null);
}

/** Answered with another value than the ledger's: the answer needs a note saying why. */
export function differsFromLedger(answer: AnsweredValue | undefined, prefill: PrefillValue | undefined): boolean {
  return Boolean(prefill && isAnswered(answer) && !sameAsLedger(answer, prefill));
}

/** Answers that differ from the ledger and have no note: they hold the submit back. */
export function ledgerNoteProblems(
  prefill: LedgerPrefill,
  answers: Record<string, AnsweredValue>,
  visible: Set<string>,
): EvidenceProblem[] {
  return Object.keys(prefill)
    .filter((key) => visible.has(key))
    .filter((key) => differsFromLedger(answers[key], prefill[key]) && !answers[key].note?.trim())
    .sort()
    .map((itemKey) => ({ itemKey, kind: "ledger_note_missing" }));
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

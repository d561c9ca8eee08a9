// Pure parts of the dossier-ledger screens (no DOM, no I/O), tested in tests/dossiers.test.ts:
// reading the import's answers, cutting the issue list, formatting shares, who may import.
import type { components } from "../../api/schema";
import type { Me } from "../../api/types";
import { lang, type Lang } from "../../i18n";
import { PERIOD_PRESETS, presetPeriod, todayIn, type Period, type PeriodPreset } from "../leader/logic";

type S = components["schemas"];
export type LedgerImport = S["LedgerImportOut"];
export type ImportSummary = S["LedgerImportSummaryOut"];
export type Indicators = S["IndicatorsOut"];
export type Share = S["ShareOut"];
export type FlaggedDossier = S["FlaggedDossierOut"];
export type LedgerLayout = S["LedgerLayoutOut"];
export type LedgerRule = S["LedgerRuleOut"];
export type LedgerIssue = S["LedgerIssueOut"];
export type Flag = S["FlagOut"];
export type Role = Me["role"];

/** How many of a refused file's issues the screen lists; the rest are counted. */
export const ISSUES_SHOWN = 50;
export const FLAGGED_PAGE = 20;
/** The server's limit on a ledger upload (server/dossiers/controllers.py, LEDGER_MAX_BYTES): a
 * larger file is refused before it is sent, not after minutes of uploading. */
export const LEDGER_MAX_BYTES = 64 * 1024 * 1024;

export interface LedgerRefusal {
  detail: string; // in the reader's language
  issues: LedgerIssue[];
  issueCount: number; // every issue, also those the server did not list
}

export type UploadResult =
  | { kind: "imported"; summary: ImportSummary }
  | { kind: "refused"; refusal: LedgerRefusal }
  | { kind: "problem"; status: number; detail: string };

/** A text the server words in both languages (`…_vi`, `…_en`), in the reader's language; the
 * one in the request's language (`fallback`) when the pair is missing (an older server). */
export function inLanguage(vi: string | null | undefined, en: string | null | undefined, fallback: string, language: Lang = lang()): string {
  const chosen = language === "en" ? en : vi;
  return chosen || fallback;
}

/** What an issue says was wrong and what is accepted, in the reader's language. */
export function issueMessage(issue: LedgerIssue, language: Lang = lang()): string {
  return inLanguage(issue.message_vi, issue.message_en, issue.message, language);
}

/** What a flag's dossier shows, in the reader's language. */
export function flagDetail(flag: Flag, language: Lang = lang()): string {
  return inLanguage(flag.detail_vi, flag.detail_en, flag.detail, language);
}

/** What an upload's answer means for the screen (the refusal's detail in `language`). */
export function uploadResult(status: number, body: unknown, language: Lang = lang()): UploadResult {
  const object = (body ?? {}) as Record<string, unknown>;
  if (status >= 200 && status < 300 && object.ledger_import) {
    return { kind: "imported", summary: body as ImportSummary };
  }
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  const detail = inLanguage(text(object.detail_vi), text(object.detail_en), text(object.detail) || `HTTP ${status}`, language);
  if (status === 422 && Array.isArray(object.issues)) {
    const issues = object.issues as LedgerIssue[];
    const count = typeof object.issue_count === "number" ? object.issue_count : issues.length;
    return { kind: "refused", refusal: { detail, issues, issueCount: Math.max(count, issues.length) } };
  }
  return { kind: "problem", status, detail };
}

/** Why a file cannot be sent (larger than the server accepts), or null. */
export function fileTooLarge(size: number, language: Lang = lang()): { size: string; limit: string } | null {
  if (size <= LEDGER_MAX_BYTES) return null;
  const megabytes = (bytes: number) => formatCount(Math.ceil(bytes / (1024 * 1024)), language);
  return { size: megabytes(size), limit: megabytes(LEDGER_MAX_BYTES) };
}

/** The issues to list and how many more there are (of all the file had, not only those sent). */
export function issuesToShow(refusal: LedgerRefusal, limit = ISSUES_SHOWN): { shown: LedgerIssue[]; more: number } {
  const shown = refusal.issues.slice(0, limit);
  return { shown, more: Math.max(0, refusal.issueCount - shown.length) };
}

const LOCALES: Record<Lang, string> = { vi: "vi-VN", en: "en-GB" };

/** A share as a percentage with at most one decimal, in the language's format ("35,2%" in
 * Vietnamese, "35.2%" in English); "—" when there was nothing to divide by. */
export function formatPercent(value: number | null | undefined, language: Lang = lang()): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(LOCALES[language], { style: "percent", maximumFractionDigits: 1 }).format(value);
}

/** A whole number with the language's grouping ("2.400" in Vietnamese, "2,400" in English). */
export function formatCount(value: number, language: Lang = lang()): string {
  return new Intl.NumberFormat(LOCALES[language], { maximumFractionDigits: 0 }).format(value);
}

/** "35,2% (840/2.400)", or "—" with nothing to divide by. */
export function shareText(share: Share, language: Lang = lang()): string {
  if (share.value === null) return "—";
  return `${formatPercent(share.value, language)} (${formatCount(share.numerator, language)}/${formatCount(share.denominator, language)})`;
}

/** Who may import a ledger: admins, and leaders for the units below their own (the server
 * checks again). Unit heads and inspectors only read. */
export function canImport(role: Role): boolean {
  return role === "admin" || role === "leader";
}

/** The units of my scope I may import for: not a leader's own home unit (nobody judges their
 * own unit's work), not an inactive one. */
export function importableUnits<U extends { id: string; active: boolean }>(units: U[], me: Pick<Me, "role" | "home_unit_id">): U[] {
  if (!canImport(me.role)) return [];
  return units.filter((unit) => unit.active && !(me.role === "leader" && unit.id === me.home_unit_id));
}

/** The ledger view's default period: the last 90 days on the unit's calendar. */
export function defaultLedgerPeriod(timeZone: string, now: Date = new Date()): Period {
  return presetPeriod("last90", todayIn(timeZone, now));
}

/** The ledger's period choices: the overview's, and the period of the unit's latest import
 * (a quarter's export is often not the last 90 days). */
export type LedgerPreset = PeriodPreset | "latestImport";

export function ledgerPresets(latest: LedgerImport | undefined): LedgerPreset[] {
  const presets: LedgerPreset[] = PERIOD_PRESETS.filter((preset) => preset !== "custom");
  if (latest?.period_start && latest.period_end) presets.push("latestImport");
  return [...presets, "custom"];
}

/** The dates a preset stands for; null for "custom" or a latest import without a period. */
export function ledgerPresetPeriod(preset: LedgerPreset, today: string, latest: LedgerImport | undefined): Period | null {
  if (preset === "custom") return null;
  if (preset === "latestImport") {
    return latest?.period_start && latest.period_end ? { from: latest.period_start, to: latest.period_end } : null;
  }
  return presetPeriod(preset, today);
}

/** A rule's name in the current language, or its code when this app does not know it. */
export function ruleTitle(rules: LedgerRule[] | undefined, code: string, language: Lang = lang()): string {
  const rule = rules?.find((entry) => entry.rule === code);
  if (!rule) return code;
  return language === "en" ? rule.title_en : rule.title_vi;
}

export function pageCount(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / size));
}

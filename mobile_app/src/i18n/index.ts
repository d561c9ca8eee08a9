// Every string the app shows, Vietnamese first. English must have every key Vietnamese has
// (the type says so), and a test checks that no screen shows a raw key.
import { vi as coreVi } from "./vi";
import { en as coreEn } from "./en";
import * as actions from "./actions";
import * as leader from "./leader";
import * as admin from "./admin";
import * as dossiers from "./dossiers";
import * as sample from "./sample";

// One catalogue per area (core: the inspector's screens and the shell; actions: unit heads and
// the fix review; leader; admin; dossiers: the dossier ledgers; sample: the sealed dossier sample),
// merged here. Each area's English has every key of its Vietnamese, so a missing translation is a
// type error.
const vi = { ...coreVi, ...actions.vi, ...leader.vi, ...admin.vi, ...dossiers.vi, ...sample.vi };
const en: Record<keyof typeof vi, string> = { ...coreEn, ...actions.en, ...leader.en, ...admin.en, ...dossiers.en, ...sample.en };

export type Lang = "vi" | "en";
export type MessageKey = keyof typeof vi;
export const catalogues: Record<Lang, Record<MessageKey, string>> = { vi, en };

const STORAGE_KEY = "spotcheck.lang";
let current: Lang = readStoredLang();
const listeners = new Set<() => void>();

function readStoredLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "vi";
  } catch {
    return "vi";
  }
}

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // private mode: the choice lasts for this visit
  }
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener());
}

export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The message for `key` with `{name}` placeholders filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalogues[current][key] ?? catalogues.vi[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) =>
    name in params ? String(params[name]) : `{${name}}`,
  );
}

/** A checklist text in the current language ({vi, en} objects from the checklist). */
export function pick(text: { vi: string; en: string } | null | undefined): string {
  if (!text) return "";
  return current === "en" ? text.en : text.vi;
}

const locales: Record<Lang, string> = { vi: "vi-VN", en: "en-GB" };

/** The server's default zone (SPOTCHECK_TIME_ZONE) for times whose unit the screen does not know. */
export const DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh";

/** The day a moment falls on in `timeZone`, e.g. "08/12/2026". */
export function formatDay(iso: string, timeZone: string = DEFAULT_TIME_ZONE): string {
  return new Intl.DateTimeFormat(locales[current], { timeZone, day: "2-digit", month: "2-digit", year: "numeric" }).format(
    new Date(iso),
  );
}

/** A moment in the unit's time zone, e.g. "08:15, 30/11/2026". */
export function formatDateTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locales[current], {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(new Date(iso));
}

export function formatDate(isoDate: string | null | undefined): string {
  if (!isoDate) return "—";
  const [year, month, day] = isoDate.split("-");
  return `${day}/${month}/${year}`; // the same in both languages, as on the paper forms
}

export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locales[current], { maximumFractionDigits: digits }).format(value);
}

// Pure helpers of the leader's screens (no DOM, no I/O), tested in tests/leader.test.ts:
// periods and time zones, chart scaling and colours, and the draw's risk weight.

// --- dates ---------------------------------------------------------------------------------

export interface Period {
  from: string; // YYYY-MM-DD, first day counted
  to: string; // YYYY-MM-DD, last day counted
}

export type PeriodPreset = "quarter" | "previousQuarter" | "last90" | "year" | "custom";
export const PERIOD_PRESETS: PeriodPreset[] = ["quarter", "previousQuarter", "last90", "year", "custom"];

/** Today's date (YYYY-MM-DD) on the wall clock of `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const [year, month, day] = wallParts(now, timeZone);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function isoDay(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

function addDays(day: string, days: number): string {
  const [year, month, date] = day.split("-").map(Number);
  return isoDay(year, month, date + days);
}

/** The quarter that contains `day`. */
export function quarterOf(day: string): Period {
  const [year, month] = day.split("-").map(Number);
  const first = Math.floor((month - 1) / 3) * 3 + 1;
  return { from: isoDay(year, first, 1), to: isoDay(year, first + 3, 0) };
}

/** The dates a preset stands for, on `today` (the scope unit's date). */
export function presetPeriod(preset: Exclude<PeriodPreset, "custom">, today: string): Period {
  switch (preset) {
    case "quarter":
      return quarterOf(today);
    case "previousQuarter":
      return quarterOf(addDays(quarterOf(today).from, -1));
    case "last90":
      return { from: addDays(today, -89), to: today };
    case "year":
      return { from: `${today.slice(0, 4)}-01-01`, to: `${today.slice(0, 4)}-12-31` };
  }
}

/** [year, month, day, hour, minute, second] of an instant on the wall clock of `timeZone`. */
function wallParts(instant: Date, timeZone: string): number[] {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return [get("year"), get("month"), get("day"), get("hour"), get("minute"), get("second")];
}

function offsetMs(instant: Date, timeZone: string): number {
  const [year, month, day, hour, minute, second] = wallParts(instant, timeZone);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  return asUtc - (instant.getTime() - instant.getMilliseconds());
}

/** A wall time of a datetime-local input ("2026-12-01T08:00"), read in `timeZone`, as an ISO
 * instant with an offset the server accepts ("2026-12-01T01:00:00.000Z"). */
export function wallTimeToIso(wall: string, timeZone: string): string {
  const [day, time = "00:00"] = wall.split("T");
  const [year, month, date] = day.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const naive = Date.UTC(year, month - 1, date, hour, minute);
  // Two passes find the offset in force at that wall time, also across a DST change.
  let instant = naive - offsetMs(new Date(naive), timeZone);
  instant = naive - offsetMs(new Date(instant), timeZone);
  return new Date(instant).toISOString();
}

/** An instant as the value of a datetime-local input on the wall clock of `timeZone`. */
export function isoToWallTime(iso: string, timeZone: string): string {
  const [year, month, day, hour, minute] = wallParts(new Date(iso), timeZone);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}`;
}

// --- charts --------------------------------------------------------------------------------

/** Bar lengths as fractions (0..1) of the largest value, so the longest bar fills its track;
 * a positive value never gets a bar too thin to see. */
export function barFractions(values: number[], minVisible = 0.02): number[] {
  const max = Math.max(0, ...values);
  if (max <= 0) return values.map(() => 0);
  return values.map((value) => (value <= 0 ? 0 : Math.max(minVisible, value / max)));
}

/** Segments of a stacked bar: start and length of each value, as fractions of `total`
 * (or of their own sum). */
export function stackSegments(values: number[], total?: number): Array<{ start: number; length: number }> {
  const sum = total ?? values.reduce((acc, value) => acc + Math.max(0, value), 0);
  let start = 0;
  return values.map((value) => {
    const length = sum > 0 ? Math.max(0, value) / sum : 0;
    const segment = { start, length };
    start += length;
    return segment;
  });
}

/** 0 (worst) … levels − 1 (best) for a heatmap cell: by the cell's rating band when the
 * summary names one, else by its score against the bands' lower bounds. */
export function heatLevel(
  score: number | null,
  band: string | null,
  bands: Array<{ key: string | null; min_score: number | null }>,
  levels = 5,
): number | null {
  if (score === null) return null;
  const ranked = bands
    .filter((entry) => entry.key !== null && entry.min_score !== null)
    .sort((a, b) => (a.min_score ?? 0) - (b.min_score ?? 0));
  let index = band === null ? -1 : ranked.findIndex((entry) => entry.key === band);
  if (index < 0) {
    index = 0;
    ranked.forEach((entry, position) => {
      if (score >= (entry.min_score ?? 0)) index = position;
    });
  }
  if (ranked.length <= 1) return Math.min(levels - 1, Math.max(0, Math.floor((score / 100) * levels)));
  return Math.round((index / (ranked.length - 1)) * (levels - 1));
}

/** How a rank moved: "up", "down", "same" or "new" (not ranked in the previous period). */
export function rankMove(change: number | null): "up" | "down" | "same" | "new" {
  if (change === null) return "new";
  if (change > 0) return "up";
  if (change < 0) return "down";
  return "same";
}

// --- the draw's risk weight ----------------------------------------------------------------

export interface RiskInputs {
  last_score?: number | null;
  open_actions?: number;
  overdue_actions?: number;
  critical_findings_12m?: number;
  days_since_last_visit?: number | null;
}

export interface WeightTerms {
  base: number;
  score: number;
  open: number;
  overdue: number;
  critical: number;
  time: number;
  weight: number;
}

/** `x` rounded to hundredths, half to even, by its exact binary value (as Python's
 * Decimal(x).quantize(Decimal("0.01")) does), in hundredths. */
function hundredthsHalfEven(value: number): number {
  if (value < 1e-6) return 0;
  // toPrecision writes the exact binary value's digits; 20 of them decide any tie at 0.005.
  const [whole, fraction = ""] = value.toPrecision(20).split(".");
  const digits = fraction.padEnd(20, "0");
  let hundredths = Number(whole) * 100 + Number(digits.slice(0, 2));
  const rest = digits.slice(2);
  const half = "5".padEnd(rest.length, "0");
  if (rest > half || (rest === half && hundredths % 2 === 1)) hundredths += 1;
  return hundredths;
}

/** The candidate's weight and its terms, as server/plans/draw.py computes them (1 ≤ w ≤ 19,
 * exact to 4 decimals): counted in ten-thousandths so that no float rounding creeps in. */
export function riskWeight(inputs: RiskInputs): WeightTerms {
  const score =
    inputs.last_score === null || inputs.last_score === undefined
      ? 30_000
      : (10_000 - hundredthsHalfEven(inputs.last_score)) * 4;
  const days = Math.min(inputs.days_since_last_visit ?? 730, 730);
  // days / 365 to 4 decimals, half to even (365 is odd: there is never an exact tie).
  const timeQuotient = Math.floor((days * 10_000) / 365);
  const time = timeQuotient + (2 * ((days * 10_000) % 365) > 365 ? 1 : 0);
  const terms = {
    base: 10_000,
    score,
    open: 2_000 * Math.min(inputs.open_actions ?? 0, 10),
    overdue: 5_000 * Math.min(inputs.overdue_actions ?? 0, 10),
    critical: 10_000 * Math.min(inputs.critical_findings_12m ?? 0, 5),
    time,
  };
  const total = terms.base + terms.score + terms.open + terms.overdue + terms.critical + terms.time;
  return {
    base: terms.base / 10_000,
    score: terms.score / 10_000,
    open: terms.open / 10_000,
    overdue: terms.overdue / 10_000,
    critical: terms.critical / 10_000,
    time: terms.time / 10_000,
    weight: total / 10_000,
  };
}

/** Each weight's share of the total: a candidate's chance to be drawn first. */
export function firstDrawChances(weights: number[]): number[] {
  const total = weights.reduce((acc, weight) => acc + weight, 0);
  return weights.map((weight) => (total > 0 ? weight / total : 0));
}

// --- the draw's dossier terms (algorithm v2) --------------------------------------------------

/** A candidate's dossier counts over the draw's dossier period (server DossierRiskInputs). */
export interface DossierFacts {
  dossiers: number;
  flagged: number;
  resolved: number;
  resolved_on_time: number;
  backlog: number;
}

export interface DossierTerms {
  flagged: number;
  late: number;
  backlog: number;
}

/** min(slope × part / whole, cap) to 4 decimals, half to even, in ten-thousandths (exact: the
 * integers stay far below 2^53). */
function cappedTerm(slope: number, part: number, whole: number, cap: number): number {
  const scaled = slope * part * 10_000;
  let quotient = Math.floor(scaled / whole);
  const twice = 2 * (scaled - quotient * whole);
  if (twice > whole || (twice === whole && quotient % 2 === 1)) quotient += 1;
  return Math.min(quotient, cap * 10_000);
}

/** The v2 dossier terms as server/plans/draw.py's dossier_terms computes them; the documented
 * neutral values (1, 0.5, 0.4) for a unit without ledger data. */
export function dossierTerms(facts: DossierFacts | null): DossierTerms {
  if (facts === null) return { flagged: 1, late: 0.5, backlog: 0.4 };
  const flagged = facts.dossiers ? cappedTerm(10, facts.flagged, facts.dossiers, 3) : 10_000;
  const late = facts.resolved ? cappedTerm(5, facts.resolved - facts.resolved_on_time, facts.resolved, 2) : 5_000;
  const backlog = cappedTerm(20, facts.backlog, Math.max(facts.dossiers, 100), 2);
  return { flagged: flagged / 10_000, late: late / 10_000, backlog: backlog / 10_000 };
}

// --- dossier indicators in the summary ------------------------------------------------------

/** Which way a figure moved since the previous period; "none" when there is nothing to compare. */
export function changeDirection(change: number | null | undefined): "up" | "down" | "same" | "none" {
  if (change === null || change === undefined) return "none";
  if (change > 0) return "up";
  if (change < 0) return "down";
  return "same";
}

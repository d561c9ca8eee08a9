// The draw's candidates: each unit's weight and what it comes from (last score, open and
// overdue actions, critical findings in 12 months, days since the last visit, and with the
// dossier indicators (draw v2) the flagged share, the late share and the backlog), before
// sealing (the server's preview) and after (the sealed plan document).
import { formatNumber, pick, t } from "../../i18n";
import { Bar } from "./charts";
import {
  barFractions,
  dossierTerms,
  firstDrawChances,
  riskWeight,
  type DossierFacts,
  type DossierTerms,
  type RiskInputs,
  type WeightTerms,
} from "./logic";

/** A v2 candidate's dossier part: its counts (null: no ledger data), terms and reasons. */
export interface DossierPart {
  facts: DossierFacts | null;
  terms: DossierTerms;
  /** The server's words for each dossier term ({code, vi, en}); empty when it sent none. */
  reasons: Array<{ code: string; term: number; vi: string; en: string }>;
}

const DOSSIER_CODES = ["flagged_dossiers", "late_dossiers", "backlog"];

export interface CandidateRow {
  unitId: string;
  name: string;
  inputs: RiskInputs;
  weight: number;
  /** What the weight comes from: the server's terms when it sent them, else the same formula. */
  terms: WeightTerms;
  /** Draw v2 only: the dossier counts, terms and reasons. */
  dossier?: DossierPart | null;
  /** The chance of being drawn first, when the server said (else weight / sum of weights). */
  chance: number | null;
  /** 1 for the first unit drawn…; null when not drawn or not drawn yet. */
  drawnOrder: number | null;
}

type Loose = Record<string, unknown>;

function asNumber(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return null;
}

function asObject(value: unknown): Loose | null {
  return value && typeof value === "object" ? (value as Loose) : null;
}

export interface ReadCandidate {
  unitId: string;
  names: { name_vi: string; name_en: string } | null;
  inputs: RiskInputs;
  weight: number;
  terms: WeightTerms;
  dossier: DossierPart | null;
  chance: number | null;
}

function readFacts(value: unknown): DossierFacts | null {
  const facts = asObject(value);
  if (!facts) return null;
  const number = (key: string) => asNumber(facts[key]) ?? 0;
  return {
    dossiers: number("dossiers"),
    flagged: number("flagged"),
    resolved: number("resolved"),
    resolved_on_time: number("resolved_on_time"),
    backlog: number("backlog"),
  };
}

/** The dossier part of a v2 candidate (its entry has a `dossiers` key, null or counts); null
 * for a v1 candidate. */
function readDossierPart(source: Loose): DossierPart | null {
  if (!("dossiers" in source)) return null;
  const facts = readFacts(source.dossiers);
  const computed = dossierTerms(facts);
  const sent = asObject(source.terms);
  const terms = {
    flagged: asNumber(sent?.flagged_dossiers) ?? computed.flagged,
    late: asNumber(sent?.late_dossiers) ?? computed.late,
    backlog: asNumber(sent?.backlog) ?? computed.backlog,
  };
  const reasons = (Array.isArray(source.reasons) ? source.reasons : [])
    .map(asObject)
    .filter((reason): reason is Loose => reason !== null && DOSSIER_CODES.includes(String(reason.code)))
    .map((reason) => ({ code: String(reason.code), term: asNumber(reason.term) ?? 0, vi: String(reason.vi ?? ""), en: String(reason.en ?? "") }));
  return { facts, terms, reasons };
}

/** The dossier terms in words: the server's when it sent them, else from the counts. */
export function dossierReasons(part: DossierPart): Array<{ code: string; text: string }> {
  const value = (term: number) => `+${formatNumber(term, 4)}`;
  if (part.reasons.length) {
    return part.reasons.map((reason) => ({ code: reason.code, text: `${pick(reason)}: ${value(reason.term)}` }));
  }
  const facts = part.facts;
  if (facts === null) {
    return [{ code: "neutral", text: t("termDossiersNeutral", { value: value(part.terms.flagged + part.terms.late + part.terms.backlog) }) }];
  }
  const share = (count: number, total: number) => formatNumber((100 * count) / total, 1);
  const found: Array<{ code: string; text: string }> = [];
  if (part.terms.flagged > 0) {
    found.push({
      code: "flagged_dossiers",
      text: facts.dossiers
        ? t("termFlagged", { share: share(facts.flagged, facts.dossiers), count: facts.flagged, total: facts.dossiers, value: value(part.terms.flagged) })
        : t("termNothingReceived", { value: value(part.terms.flagged) }),
    });
  }
  if (part.terms.late > 0) {
    found.push({
      code: "late_dossiers",
      text: facts.resolved
        ? t("termLate", { share: share(facts.resolved_on_time, facts.resolved), count: facts.resolved_on_time, total: facts.resolved, value: value(part.terms.late) })
        : t("termNothingReceived", { value: value(part.terms.late) }),
    });
  }
  if (part.terms.backlog > 0) found.push({ code: "backlog", text: t("termBacklog", { count: facts.backlog, value: value(part.terms.backlog) }) });
  return found;
}

/** A candidate as the server writes it: in the preview (`unit_id`, names, `weight`,
 * `chance_first`, `risk` with its `terms`), on a drawn target (`weight`, `risk`), or in the
 * sealed document (the bare inputs). */
export function readCandidate(raw: unknown): ReadCandidate | null {
  const entry = asObject(raw);
  if (!entry) return null;
  const unitId = String(entry.unit_id ?? "");
  if (!unitId) return null;
  const source = asObject(entry.risk) ?? entry;
  const inputs: RiskInputs = {
    last_score: asNumber(source.last_score),
    open_actions: asNumber(source.open_actions) ?? 0,
    overdue_actions: asNumber(source.overdue_actions) ?? 0,
    critical_findings_12m: asNumber(source.critical_findings_12m) ?? 0,
    days_since_last_visit: asNumber(source.days_since_last_visit),
  };
  const computed = riskWeight(inputs);
  const dossier = readDossierPart(source);
  const dossierSum = dossier ? Math.round((dossier.terms.flagged + dossier.terms.late + dossier.terms.backlog) * 10_000) : 0;
  const weight = asNumber(entry.weight) ?? (Math.round(computed.weight * 10_000) + dossierSum) / 10_000;
  const sent = asObject(source.terms);
  const terms: WeightTerms = sent
    ? {
        base: asNumber(sent.base) ?? computed.base,
        score: asNumber(sent.score) ?? computed.score,
        open: asNumber(sent.open_actions) ?? computed.open,
        overdue: asNumber(sent.overdue_actions) ?? computed.overdue,
        critical: asNumber(sent.critical_findings) ?? computed.critical,
        time: asNumber(sent.time_since_visit) ?? computed.time,
        weight,
      }
    : { ...computed, weight };
  const names = typeof entry.name_vi === "string" ? { name_vi: entry.name_vi, name_en: String(entry.name_en ?? entry.name_vi) } : null;
  return { unitId, names, inputs, weight, terms, dossier, chance: asNumber(entry.chance_first) };
}

function term(value: number): string {
  return `+${formatNumber(value, 4)}`;
}

export function CandidatesList({ rows, label, testid }: { rows: CandidateRow[]; label: string; testid: string }) {
  // Drawn units first, in draw order; then the heaviest.
  const sorted = [...rows].sort(
    (a, b) => (a.drawnOrder ?? Infinity) - (b.drawnOrder ?? Infinity) || b.weight - a.weight || a.name.localeCompare(b.name),
  );
  const shares = firstDrawChances(sorted.map((row) => row.weight));
  const fractions = barFractions(sorted.map((row) => row.weight));
  const withDossiers = rows.some((row) => row.dossier);
  return (
    <>
      <p class="small muted">{t("weightFormula")}</p>
      {withDossiers ? <p class="small muted">{t("weightFormulaDossiers")}</p> : null}
      <ul class="candidates" aria-label={label} data-testid={testid}>
        {sorted.map((row, index) => {
          const terms = row.terms;
          const inputs = row.inputs;
          const chance = row.chance ?? shares[index];
          return (
            <li key={row.unitId} class={row.drawnOrder ? "candidate drawn" : "candidate"} data-testid="candidate" data-unit={row.unitId} data-weight={row.weight}>
              <p class="row-between candidate-head">
                <strong>{row.name}</strong>
                {row.drawnOrder ? (
                  <span class="badge badge-drawn" data-testid="drawn-badge">
                    {t("drawnOrder", { order: row.drawnOrder })}
                  </span>
                ) : null}
              </p>
              <p class="candidate-weight">
                <span>
                  {t("weightIs")} <strong data-testid="candidate-weight">{formatNumber(row.weight, 4)}</strong>
                </span>
                <Bar fraction={fractions[index]} tone="weight" />
                <span class="muted small">{t("chanceFirst", { chance: formatNumber(chance * 100, 1) })}</span>
              </p>
              <ul class="terms" aria-label={t("comesFrom")}>
                <li>
                  {inputs.last_score === null || inputs.last_score === undefined
                    ? t("termNeverScored", { value: term(terms.score) })
                    : t("termScore", { score: formatNumber(inputs.last_score), value: term(terms.score) })}
                </li>
                {inputs.open_actions ? <li>{t("termOpen", { count: inputs.open_actions, value: term(terms.open) })}</li> : null}
                {inputs.overdue_actions ? <li>{t("termOverdue", { count: inputs.overdue_actions, value: term(terms.overdue) })}</li> : null}
                {inputs.critical_findings_12m ? (
                  <li>{t("termCritical", { count: inputs.critical_findings_12m, value: term(terms.critical) })}</li>
                ) : null}
                <li>
                  {inputs.days_since_last_visit === null || inputs.days_since_last_visit === undefined
                    ? t("termNeverVisited", { value: term(terms.time) })
                    : t("termDays", { count: inputs.days_since_last_visit, value: term(terms.time) })}
                </li>
                {row.dossier
                  ? dossierReasons(row.dossier).map((reason) => (
                      <li key={reason.code} data-testid="dossier-reason" data-code={reason.code}>
                        {reason.text}
                      </li>
                    ))
                  : null}
              </ul>
            </li>
          );
        })}
      </ul>
    </>
  );
}

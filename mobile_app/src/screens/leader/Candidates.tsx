// The draw's candidates: each unit's weight and what it comes from (last score, open and
// overdue actions, critical findings in 12 months, days since the last visit), before sealing
// (the server's preview) and after (the sealed plan document).
import { formatNumber, t } from "../../i18n";
import { Bar } from "./charts";
import { barFractions, firstDrawChances, riskWeight, type RiskInputs, type WeightTerms } from "./logic";

export interface CandidateRow {
  unitId: string;
  name: string;
  inputs: RiskInputs;
  weight: number;
  /** What the weight comes from: the server's terms when it sent them, else the same formula. */
  terms: WeightTerms;
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
  chance: number | null;
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
  const weight = asNumber(entry.weight) ?? computed.weight;
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
  return { unitId, names, inputs, weight, terms, chance: asNumber(entry.chance_first) };
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
  return (
    <>
      <p class="small muted">{t("weightFormula")}</p>
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
              </ul>
            </li>
          );
        })}
      </ul>
    </>
  );
}

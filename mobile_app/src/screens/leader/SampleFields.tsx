// The sealed dossier sample of a plan (docs/dossier-ledgers.md, "Sealed sample"): what a new
// plan asks for, and what a sealed plan drew for each target unit with a ledger.
import type { components } from "../../api/schema";
import { formatDate, formatDateTime, t, type MessageKey } from "../../i18n";
import { flagWords } from "../Dossiers";
import { presetPeriod, todayIn } from "./logic";

type S = components["schemas"];
type DossierSampleIn = S["DossierSampleIn"];
type PlanDossierSampleOut = S["PlanDossierSampleOut"];
type StratumField = S["StratumField"];

export interface SampleChoice {
  on: boolean;
  size: number;
  from: string;
  to: string;
  strata: StratumField[];
  flaggedWeight: number;
}

/** Off by default; when turned on: ten dossiers from the last full quarter, by channel. */
export function defaultSampleChoice(timeZone: string, now: Date = new Date()): SampleChoice {
  const period = presetPeriod("previousQuarter", todayIn(timeZone, now));
  return { on: false, size: 10, from: period.from, to: period.to, strata: ["channel"], flaggedWeight: 3 };
}

/** The plan body's `dossier_sample`, or undefined when none is asked for. */
export function sampleBody(choice: SampleChoice): DossierSampleIn | undefined {
  if (!choice.on) return undefined;
  return {
    size: choice.size,
    period_from: choice.from,
    period_to: choice.to,
    strata: [...choice.strata],
    flagged_weight: choice.flaggedWeight,
  };
}

const STRATA: StratumField[] = ["channel", "procedure"];

export function SampleFields({ value, onChange }: { value: SampleChoice; onChange: (next: SampleChoice) => void }) {
  const set = (changes: Partial<SampleChoice>) => onChange({ ...value, ...changes });
  const number = (event: Event) => Number((event.target as HTMLInputElement).value) || 0;
  return (
    <section class="card" aria-labelledby="plan-sample-title" data-testid="plan-sample">
      <h2 id="plan-sample-title">{t("sampleTitle")}</h2>
      <p class="small muted">{t("sampleHint")}</p>
      <label class="check">
        <input type="checkbox" checked={value.on} data-testid="sample-on" onChange={(event) => set({ on: (event.target as HTMLInputElement).checked })} />
        <span>{t("sampleOn")}</span>
      </label>
      {value.on ? (
        <>
          <label class="field">
            <span>{t("sampleSize")}</span>
            <input type="number" min={1} max={100} required inputMode="numeric" value={value.size} data-testid="sample-size" onInput={(event) => set({ size: Math.floor(number(event)) })} />
          </label>
          <label class="field">
            <span>{t("sampleFrom")}</span>
            <input type="date" required value={value.from} data-testid="sample-from" onInput={(event) => set({ from: (event.target as HTMLInputElement).value })} />
          </label>
          <label class="field">
            <span>{t("sampleTo")}</span>
            <input type="date" required value={value.to} data-testid="sample-to" onInput={(event) => set({ to: (event.target as HTMLInputElement).value })} />
          </label>
          <fieldset class="field">
            <legend>{t("sampleStrata")}</legend>
            {STRATA.map((field) => (
              <label key={field} class="check">
                <input
                  type="checkbox"
                  checked={value.strata.includes(field)}
                  onChange={(event) => {
                    const on = (event.target as HTMLInputElement).checked;
                    set({ strata: STRATA.filter((entry) => (entry === field ? on : value.strata.includes(entry))) });
                  }}
                />
                <span>{t(field === "channel" ? "sampleStratumChannel" : "sampleStratumProcedure")}</span>
              </label>
            ))}
          </fieldset>
          <label class="field">
            <span>{t("sampleWeight")}</span>
            <input type="number" min={1} max={10} step={0.5} required value={value.flaggedWeight} data-testid="sample-weight" onInput={(event) => set({ flaggedWeight: number(event) })} />
          </label>
        </>
      ) : null}
    </section>
  );
}

/** A sealed plan's samples, for its leaders (the server sends them to nobody else). */
export function PlanSamples({ samples, unitLabel, timeZone }: { samples: PlanDossierSampleOut[]; unitLabel: (unitId: string) => string; timeZone: string }) {
  return (
    <section class="card" aria-labelledby="plan-samples-title" data-testid="plan-samples">
      <h2 id="plan-samples-title">{t("sampleTitle")}</h2>
      {samples.length === 0 ? <p class="small muted">{t("samplePlanNone")}</p> : null}
      {samples.map((sample) => (
        <details key={sample.unit_id} class="disclosure" data-testid="plan-sample-unit" data-unit={sample.unit_id}>
          <summary>{t("samplePlanUnit", { unit: unitLabel(sample.unit_id), count: sample.dossiers.length, pool: sample.pool_size })}</summary>
          <ul class="list-plain small">
            {sample.dossiers.map((dossier) => (
              <li key={dossier.dossier_code} data-testid="plan-sample-dossier">
                <strong>{dossier.dossier_code}</strong> · {dossier.procedure_name ?? dossier.procedure_code ?? ""} · {stratumText(dossier.stratum)}
                {dossier.system.received_at ? ` · ${moment(dossier.system.received_at, timeZone)}` : ""}
                {dossier.flags.length ? <span class="muted"> · {t("sampleFlags", { rules: dossier.flags.map(flagWords).join(", ") })}</span> : null}
              </li>
            ))}
          </ul>
        </details>
      ))}
    </section>
  );
}

/** A stratum label ("online", "2.000635|in_person") with the channel in words. */
export function stratumText(stratum: string): string {
  return stratum
    .split("|")
    .map((part) => (["in_person", "online", "post", "unknown", "all"].includes(part) ? t(`sampleChannel_${part}` as MessageKey) : part))
    .join(" · ");
}

/** A ledger moment: a date alone, or a time shown in the unit's zone. */
function moment(value: string, timeZone: string): string {
  return value.length === 10 ? formatDate(value) : formatDateTime(value, timeZone);
}

// Importing a unit's dossier ledger: choose the unit, the column layout and the file; the upload
// shows its progress; a refused file lists its issues, an imported one its counts. A cut
// connection leaves nothing half saved (the server is all or nothing) and offers to send again.
import { useState } from "preact/hooks";
import type { Me } from "../../api/types";
import { uploadForm } from "../../api/upload";
import { lang, t } from "../../i18n";
import { Offline } from "../../sync/auth";
import { ErrorNote, Loading, PeriodDates, problemText, unitOptions, useApi, useUnits } from "../leader/common";
import { fileTooLarge, formatPercent, importableUnits, uploadResult, type LedgerLayout, type UploadResult } from "./model";
import { ImportResult, IssueList } from "./views";

const DEFAULT_LAYOUT = "one-stop-export";

function LayoutColumns({ layout }: { layout: LedgerLayout }) {
  return (
    <details class="ledger-columns">
      <summary>{t("ledgerLayoutColumns", { count: layout.columns.length })}</summary>
      <ul class="list-plain small">
        {layout.columns.map((column) => (
          <li key={column.field}>
            <strong>{column.headers[0]}</strong>
            {column.required ? <em> ({t("ledgerLayoutRequired")})</em> : null}
            {column.headers.length > 1 ? <span class="muted"> · {column.headers.slice(1).join(" · ")}</span> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function ImportScreen({ me }: { me: Me }) {
  const units = useUnits();
  const layouts = useApi<LedgerLayout[]>("/api/v1/dossier-ledger-layouts");
  const [unitId, setUnitId] = useState(() => new URLSearchParams(location.search).get("unit") ?? "");
  const [layoutId, setLayoutId] = useState(DEFAULT_LAYOUT);
  const [file, setFile] = useState<File | null>(null);
  const [period, setPeriod] = useState({ from: "", to: "" });
  const [sending, setSending] = useState<"no" | "sending" | "checking">("no");
  const [progress, setProgress] = useState(0);
  const [result, setResult] = useState<UploadResult | null>(null);
  const [cut, setCut] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  const choices = units.data ? importableUnits(units.data, me) : [];
  const chosenUnit = choices.find((unit) => unit.id === unitId) ?? choices[0];
  const layout = layouts.data?.find((entry) => entry.id === layoutId);

  const forget = () => {
    setResult(null);
    setCut(false);
    setFormError(null);
  };

  async function send() {
    forget();
    if (!chosenUnit) return;
    if (!file) return setFormError(t("ledgerChooseFile"));
    const tooLarge = fileTooLarge(file.size);
    if (tooLarge) return setFormError(t("ledgerTooLarge", tooLarge));
    if (Boolean(period.from) !== Boolean(period.to)) return setFormError(t("ledgerPeriodBoth"));
    const form = new FormData();
    form.append("layout", layoutId);
    if (period.from && period.to) {
      form.append("period_start", period.from);
      form.append("period_end", period.to);
    }
    form.append("file", file, file.name);
    setSending("sending");
    setProgress(0);
    try {
      const answer = await uploadForm(`/api/v1/units/${chosenUnit.id}/dossier-ledgers`, form, (sent, total) => {
        setProgress(total ? sent / total : 0);
        if (total && sent >= total) setSending("checking");
      });
      setResult(uploadResult(answer.status, answer.body));
    } catch (problem) {
      if (problem instanceof Offline) setCut(true);
      else setResult({ kind: "problem", status: 0, detail: problemText(problem) });
    } finally {
      setSending("no");
    }
  }

  if (units.error) return <ErrorNote text={units.error} />;
  if (!units.data) return <Loading />;
  return (
    <section aria-labelledby="ledger-import-title" class="leader ledger">
      <h1 id="ledger-import-title">{t("ledgerImportTitle")}</h1>
      <p class="guidance" data-testid="ledger-help">
        {t("ledgerImportHelp")}
      </p>
      {choices.length === 0 ? (
        <p class="card">{t("ledgerUnitNone")}</p>
      ) : (
        <form
          class="card leader-filters"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <label class="field">
            <span>{t("ledgerUnit")}</span>
            <select
              data-testid="ledger-unit"
              value={chosenUnit?.id}
              onChange={(event) => {
                setUnitId((event.target as HTMLSelectElement).value);
                forget();
              }}
            >
              {unitOptions(choices).map((option) => (
                <option key={option.id} value={option.id}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t("ledgerLayout")}</span>
            <select
              data-testid="ledger-layout"
              value={layoutId}
              onChange={(event) => {
                setLayoutId((event.target as HTMLSelectElement).value);
                forget();
              }}
            >
              {(layouts.data ?? []).map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {lang() === "en" ? entry.name_en : entry.name_vi}
                </option>
              ))}
            </select>
          </label>
          <ErrorNote text={layouts.error} />
          {layout ? <LayoutColumns layout={layout} /> : null}
          <label class="field">
            <span>{t("ledgerFile")}</span>
            <input
              type="file"
              data-testid="ledger-file"
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              onChange={(event) => {
                setFile((event.target as HTMLInputElement).files?.[0] ?? null);
                forget();
              }}
            />
          </label>
          <fieldset class="ledger-period-fields">
            <legend class="small">{t("ledgerPeriodOptional")}</legend>
            <PeriodDates period={period} onDate={(part, value) => setPeriod({ ...period, [part]: value })} />
          </fieldset>
          <ErrorNote text={formError} />
          <button class="button button-primary button-block" type="submit" disabled={sending !== "no"} data-testid="ledger-upload">
            {t("ledgerUpload")}
          </button>
          {sending !== "no" ? (
            <div role="status" aria-live="polite" data-testid="ledger-progress">
              <progress max={1} value={progress} aria-label={t("ledgerUploading", { percent: formatPercent(progress) })} />
              <p class="small">{sending === "sending" ? t("ledgerUploading", { percent: formatPercent(progress) }) : t("ledgerChecking")}</p>
            </div>
          ) : null}
        </form>
      )}
      {cut ? (
        <div class="card" role="alert" data-testid="ledger-network-cut">
          <p class="error">{t("ledgerNetworkCut")}</p>
          <button class="button" type="button" data-testid="ledger-retry" onClick={() => void send()}>
            {t("ledgerRetry")}
          </button>
        </div>
      ) : null}
      {result?.kind === "refused" ? <IssueList refusal={result.refusal} /> : null}
      {result?.kind === "problem" ? <ErrorNote text={result.detail} /> : null}
      {result?.kind === "imported" ? <ImportResult summary={result.summary} timeZone={chosenUnit?.time_zone} /> : null}
    </section>
  );
}

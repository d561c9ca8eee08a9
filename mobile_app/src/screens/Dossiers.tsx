// The sealed dossier sample on the visit: the list of sampled dossiers with the progress of the
// checks, and one screen per dossier where the inspector compares the paper file with what the
// one-stop system recorded (six checks, what the paper shows when a date differs, a note and
// photos). Every change is recorded with its op in one IndexedDB transaction, as answers are.
import { useState } from "preact/hooks";
import type { CheckValue, SampledDossier } from "../api/types";
import { formatNumber, t, type MessageKey } from "../i18n";
import { appDB, CHECK_KEYS, DATE_CHECKS, type AppDB, type CheckKey, type PaperField } from "../store/db";
import {
  EVIDENCE_MAX,
  loadSample,
  NOTE_MAX,
  progressOf,
  updateDossierCheck,
  type CheckFields,
  type DossierRow,
  type SampleProgress,
} from "../store/dossiers";
import { loadInspection, type InspectionView } from "../store/inspection";
import { changed } from "../sync/scheduler";
import { useLive } from "../ui/hooks";
import { Link } from "../ui/Link";
import { PhotoButton } from "../ui/PhotoButton";
import { RejectionNote } from "../ui/Rejection";
import { InspectionHeader } from "./Inspection";
import { isoToWallTime, wallTimeToIso } from "./leader/logic";
import { Choice, DraftInput, Thumbnail } from "./Section";

// --- words and dates ---------------------------------------------------------------------------

/** A ledger time (ISO with offset) as dd/MM/yyyy HH:mm on the unit's wall clock, a ledger date
 * (no time) as dd/MM/yyyy, "—" for none: how the paper and the system write it, in both
 * languages. */
export function formatLedgerMoment(value: string | null | undefined, timeZone: string): string {
  if (!value) return "—";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [year, month, day] = value.split("-");
    return `${day}/${month}/${year}`;
  }
  if (Number.isNaN(Date.parse(value))) return value;
  const [day, time] = isoToWallTime(value, timeZone).split("T");
  const [year, month, date] = day.split("-");
  return `${date}/${month}/${year} ${time}`;
}

const KNOWN_FLAGS = new Set([
  "late_without_apology",
  "apology_too_late",
  "rescheduled_more_than_once",
  "resolved_without_result_file",
  "online_without_component_files",
  "impossible_sequence",
  "returned_late",
  "backlog_at_period_end",
  "fee_not_due",
  "fee_differs",
  "supplement_requested_more_than_once",
]);

/** A ledger rule's flag in words (a rule the app does not know yet by its id). */
export function flagWords(flag: string): string {
  return KNOWN_FLAGS.has(flag) ? t(`dossierFlag_${flag}` as MessageKey) : t("dossierFlag_other", { flag });
}

export function channelWords(channel: string | null): string {
  return channel === "in_person" || channel === "online" || channel === "post"
    ? t(`channel_${channel}`)
    : t("channel_unknown");
}

/** What the system recorded for the thing a check compares. */
export function systemValue(dossier: SampledDossier, check: CheckKey, timeZone: string): string {
  const system = dossier.system;
  switch (check) {
    case "received":
    case "resolved":
    case "returned":
      return formatLedgerMoment(system[DATE_CHECKS[check]], timeZone);
    case "components":
      return system.component_files === null ? "—" : t("systemComponents", { count: system.component_files });
    case "result":
      return system.result_file === null ? "—" : system.result_file ? t("systemResultFile") : t("systemNoResultFile");
    case "fee_receipt": {
      if (system.fee === null) return "—";
      const fee = system.fee === 0 ? t("systemNoFee") : t("systemFee", { fee: formatNumber(system.fee, 0) });
      if (system.fee === 0 || system.fee_paid_online === null) return fee;
      return `${fee} (${system.fee_paid_online ? t("systemPaidOnline") : t("systemPaidInPerson")})`;
    }
    case "receipt_slip":
      return t("systemReceiptSlip", {
        code: dossier.dossier_code,
        appointed: formatLedgerMoment(system.appointed_at, timeZone),
      });
  }
}

function mismatchWords(row: DossierRow): string {
  return t("dossierMismatchList", { list: row.mismatches.map((key) => t(`check_${key}`).toLowerCase()).join(", ") });
}

function dossierPath(inspectionId: string, code: string): string {
  return `/inspections/${inspectionId}/dossiers/${encodeURIComponent(code)}`;
}

// --- the entry on the inspection screen and the review -----------------------------------------

/** The sample's line on the inspection screen: how far the checks are. */
export function SampleEntryCard({ inspectionId, progress }: { inspectionId: string; progress: SampleProgress }) {
  return (
    <section class="card" aria-labelledby="sample-title" data-testid="sample-entry">
      <h2 id="sample-title">{t("sampleTitle")}</h2>
      <Link class="section-link sample-link" to={`/inspections/${inspectionId}/dossiers`}>
        <span>
          {t("sampleEntryExplain")}
          {progress.rejected.length > 0 ? <span class="badge badge-rejected"> ! </span> : null}
        </span>
        <span class="muted small" data-testid="sample-progress">
          {t("sampleProgress", { checked: progress.checked, total: progress.total })}
          {progress.mismatched > 0 ? ` · ${t("sampleMismatches", { count: progress.mismatched })}` : ""}
        </span>
      </Link>
    </section>
  );
}

/** What the review says about the sample: unchecked dossiers (a warning, never a block), the
 * mismatches that will become findings, and refused checks (which must be fixed, as items). */
export function SampleReviewCard({ inspectionId, progress }: { inspectionId: string; progress: SampleProgress }) {
  return (
    <section class="card" aria-labelledby="review-sample-title" data-testid="review-sample">
      <h3 id="review-sample-title">{t("reviewSampleTitle")}</h3>
      {progress.unchecked.length > 0 ? (
        <>
          <p class="warn" data-testid="review-sample-unchecked">
            {t("reviewSampleUnchecked", { count: progress.unchecked.length })}
          </p>
          <ul class="link-list">
            {progress.unchecked.map((code) => (
              <li key={code}>
                <Link to={dossierPath(inspectionId, code)}>{code}</Link>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p class="ok">{t("reviewSampleAllChecked", { total: progress.total })}</p>
      )}
      <p data-testid="review-sample-mismatches">
        {progress.mismatched > 0
          ? t("reviewSampleMismatches", { count: progress.mismatched })
          : t("reviewSampleNoMismatch")}
      </p>
      {progress.rejected.length > 0 ? (
        <>
          <p class="error">{t("reviewSampleRejected", { count: progress.rejected.length })}</p>
          <ul class="link-list">
            {progress.rejected.map((code) => (
              <li key={code}>
                <Link to={dossierPath(inspectionId, code)}>{code}</Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** The sample's rows (this phone's checks over the server's) for a screen that shows the
 * inspection; null when it has no sample, undefined while loading. */
export function useSampleRows(view: InspectionView | null | undefined): DossierRow[] | null | undefined {
  const id = view?.inspection.id ?? "";
  const rejected = view?.rejected;
  // Read again on every change, and when the rejections change (they are the view's, read at the
  // same time): not on every new view, which each answer makes, or each change read it twice.
  return useLive((db) => (id ? loadSample(db, id, rejected ?? {}) : Promise.resolve(null)), [id, rejected]);
}

/** The sample's progress for a screen that shows the inspection; null when it has no sample. */
export function useSampleProgress(view: InspectionView | null | undefined): SampleProgress | null | undefined {
  const rows = useSampleRows(view);
  return rows ? progressOf(rows) : rows;
}

// --- the list ----------------------------------------------------------------------------------

function StateBadge({ row }: { row: DossierRow }) {
  return (
    <span class={`badge badge-dossier-${row.state}`} data-testid="dossier-state">
      {t(`dossierState_${row.state}`)}
    </span>
  );
}

function FlagBadges({ flags }: { flags: string[] }) {
  if (flags.length === 0) return null;
  return (
    <ul class="dossier-flags" aria-label={t("dossierFlagsLabel")}>
      {flags.map((flag) => (
        <li key={flag} class="badge badge-flag" data-flag={flag}>
          {flagWords(flag)}
        </li>
      ))}
    </ul>
  );
}

export function SampleList({ view, rows }: { view: InspectionView; rows: DossierRow[] }) {
  const progress = progressOf(rows);
  const id = view.inspection.id;
  return (
    <section aria-labelledby="sample-list-title">
      <h2 id="sample-list-title">{t("sampleTitle")}</h2>
      <p class="muted small">{t("sampleExplain")}</p>
      <p data-testid="sample-progress">
        <strong>{t("sampleProgress", { checked: progress.checked, total: progress.total })}</strong>
        {progress.mismatched > 0 ? ` · ${t("sampleMismatches", { count: progress.mismatched })}` : ""}
      </p>
      {view.status === "planned" ? <p class="warn">{t("sampleStartFirst")}</p> : null}
      <ul class="list">
        {rows.map((row) => (
          <li key={row.dossier.dossier_code} class={`card dossier dossier-${row.state}`} data-testid="dossier-row" data-code={row.dossier.dossier_code} data-state={row.state}>
            <Link class="dossier-link" to={dossierPath(id, row.dossier.dossier_code)}>
              <span class="dossier-code">
                {row.dossier.dossier_code}
                {row.rejected ? <span class="badge badge-rejected"> ! </span> : null}
              </span>
              <span>{row.dossier.procedure_name ?? row.dossier.procedure_code ?? t("procedureUnknown")}</span>
              <span class="muted small">{channelWords(row.dossier.channel)}</span>
            </Link>
            <FlagBadges flags={row.dossier.flags} />
            <p class="dossier-meta">
              <StateBadge row={row} />
              {row.local ? <span class="muted small"> · {t("savedLocally")}</span> : null}
            </p>
            {row.mismatches.length > 0 ? <p class="small error">{mismatchWords(row)}</p> : null}
          </li>
        ))}
      </ul>
      <nav class="pager">
        <Link class="button" to={`/inspections/${id}`}>
          {t("toOverview")}
        </Link>
      </nav>
    </section>
  );
}

// --- one dossier -------------------------------------------------------------------------------

/** A change to a check: the fields that change, or how they follow from the check as recorded
 * at the moment of saving (a photo added builds on the photos saved by then). */
export type CheckChange = Partial<CheckFields> | ((current: CheckFields) => Partial<CheckFields>);

const CHOICES: CheckValue[] = ["match", "mismatch", "not_checked"];

function CheckRow({
  name,
  row,
  timeZone,
  disabled,
  save,
}: {
  name: CheckKey;
  row: DossierRow;
  timeZone: string;
  disabled: boolean;
  save: (change: CheckChange) => void;
}) {
  const value = row.check.checks[name];
  const paperField: PaperField | undefined = name in DATE_CHECKS ? DATE_CHECKS[name as keyof typeof DATE_CHECKS] : undefined;
  const paper = paperField ? row.check.paper[paperField] : null;
  return (
    <fieldset class={`field dossier-field dossier-field-${value}`} data-check={name} data-value={value}>
      <legend>{t(`check_${name}`)}</legend>
      <p class="muted small">
        {t("systemLabel")}: <span data-testid={`system-${name}`}>{systemValue(row.dossier, name, timeZone)}</span>
        {name === "returned" && row.dossier.system.appointed_at ? (
          <> · {t("systemAppointed", { value: formatLedgerMoment(row.dossier.system.appointed_at, timeZone) })}</>
        ) : null}
      </p>
      <Choice
        name={t(`check_${name}`)}
        options={CHOICES.map((choice) => ({ key: choice, label: t(`checkValue_${choice}`) }))}
        value={value}
        disabled={disabled}
        onPick={(picked) => save((current) => ({ checks: { ...current.checks, [name]: picked as CheckValue } }))}
      />
      {paperField && value === "mismatch" ? (
        <label class="field">
          <span>{t("paperLabel")}</span>
          <DraftInput
            type="datetime-local"
            saved={paper ? isoToWallTime(paper, timeZone) : ""}
            disabled={disabled}
            data-testid={`paper-${name}`}
            onCommit={(text: string) =>
              save((current) => ({ paper: { ...current.paper, [paperField]: text ? wallTimeToIso(text, timeZone) : null } }))
            }
          />
          <span class="muted small">{t("paperHint")}</span>
        </label>
      ) : null}
    </fieldset>
  );
}

/** The check screen's body: the dossier, what the system recorded, and the six comparisons. */
export function DossierCheckCard({
  row,
  timeZone,
  disabled,
  save,
  problem,
}: {
  row: DossierRow;
  timeZone: string;
  disabled: boolean;
  save: (change: CheckChange) => void;
  problem: string | null;
}) {
  const dossier = row.dossier;
  const code = dossier.dossier_code;
  return (
    <article class={`card dossier-check dossier-${row.state}`} data-testid="dossier-check" data-code={code} data-state={row.state}>
      <h2 class="dossier-code">{code}</h2>
      <p>{dossier.procedure_name ?? dossier.procedure_code ?? t("procedureUnknown")}</p>
      <p class="muted small">
        {dossier.procedure_code && dossier.procedure_name ? `${dossier.procedure_code} · ` : ""}
        {channelWords(dossier.channel)}
      </p>
      <FlagBadges flags={dossier.flags} />
      <p class="dossier-meta">
        <StateBadge row={row} />
        {row.local ? <span class="muted small"> · {t("savedLocally")}</span> : null}
      </p>
      <RejectionNote op={row.rejected} />
      {CHECK_KEYS.map((name) => (
        <CheckRow key={name} name={name} row={row} timeZone={timeZone} disabled={disabled} save={save} />
      ))}
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      <div class="photos">
        <p class="muted small">{t("photos")}</p>
        <div class="thumbs">
          {row.check.evidence.map((sha256) => (
            <Thumbnail
              key={sha256}
              sha256={sha256}
              disabled={disabled}
              onRemove={() => save((current) => ({ evidence: current.evidence.filter((other) => other !== sha256) }))}
            />
          ))}
        </div>
        {row.check.evidence.length < EVIDENCE_MAX ? (
          <PhotoButton
            id={`photo-dossier`}
            testId="photo-input-dossier"
            disabled={disabled}
            onPhoto={(sha256) =>
              save((current) => (current.evidence.includes(sha256) ? {} : { evidence: [...current.evidence, sha256] }))
            }
          />
        ) : (
          <p class="muted small">{t("photoLimit", { max: EVIDENCE_MAX })}</p>
        )}
      </div>
      <label class="field note">
        <span>{t("note")}</span>
        <DraftInput
          multiline
          rows={3}
          maxLength={NOTE_MAX}
          placeholder={t("noteHint")}
          saved={row.check.note ?? ""}
          disabled={disabled}
          data-testid="note-dossier"
          onCommit={(text: string) => save({ note: text })}
        />
      </label>
    </article>
  );
}

// --- the screens -------------------------------------------------------------------------------

async function loadSampleView(db: AppDB, id: string) {
  const view = await loadInspection(db, id);
  if (!view) return null;
  return { view, rows: await loadSample(db, id, view.rejected) };
}

export function SampleScreen({ id }: { id: string }) {
  const data = useLive((db) => loadSampleView(db, id), [id]);
  if (data === undefined) return <p role="status">{t("loading")}</p>;
  if (data === null) return <p class="card">{t("notFoundInspection")}</p>;
  return (
    <>
      <InspectionHeader view={data.view} />
      {data.rows ? <SampleList view={data.view} rows={data.rows} /> : <p class="card">{t("notFound")}</p>}
    </>
  );
}

export function DossierScreen({ id, code }: { id: string; code: string }) {
  const data = useLive((db) => loadSampleView(db, id), [id]);
  const [problem, setProblem] = useState<string | null>(null);
  if (data === undefined) return <p role="status">{t("loading")}</p>;
  if (data === null) return <p class="card">{t("notFoundInspection")}</p>;
  const rows = data.rows ?? [];
  const index = rows.findIndex((row) => row.dossier.dossier_code === code);
  if (index < 0) return <p class="card">{t("sampleNotFound")}</p>;
  const row = rows[index];
  const { view } = data;
  const disabled = view.status !== "in_progress";
  const previous = rows[index - 1];
  const next = rows[index + 1];

  async function save(change: CheckChange) {
    setProblem(null);
    const update = await updateDossierCheck(
      await appDB(),
      { inspectionId: id, dossierCode: code },
      row.check,
      typeof change === "function" ? change : () => change,
    );
    if (update.problem !== null) {
      setProblem(t(`checkProblem_${update.problem}`, { max: update.problem === "noteTooLong" ? NOTE_MAX : EVIDENCE_MAX }));
      return;
    }
    if (update.check) changed();
  }

  return (
    <>
      <InspectionHeader view={view} />
      {view.status === "planned" ? <p class="warn">{t("sampleStartFirst")}</p> : null}
      {view.status !== "planned" && disabled ? <p class="muted">{t("sampleReadOnly")}</p> : null}
      <DossierCheckCard row={row} timeZone={view.inspection.unit.time_zone} disabled={disabled} save={(change) => void save(change)} problem={problem} />
      <nav class="pager" aria-label={t("sampleTitle")}>
        {previous ? (
          <Link class="button" to={dossierPath(id, previous.dossier.dossier_code)}>
            ← {t("samplePrevious")}
          </Link>
        ) : (
          <span />
        )}
        <Link class="button" to={`/inspections/${id}/dossiers`}>
          {t("sampleBack")}
        </Link>
        {next ? (
          <Link class="button button-primary" to={dossierPath(id, next.dossier.dossier_code)}>
            {t("sampleNext")} →
          </Link>
        ) : null}
      </nav>
    </>
  );
}

import { useState } from "preact/hooks";
import { formatDate, formatDateTime, formatNumber, pick, t, type MessageKey } from "../i18n";
import { expectedStartFlags, currentPosition } from "../presence";
import { contentOf, preview, type Preview } from "../rules/preview";
import { appDB, EMPTY_SYNC_STATE, getKV } from "../store/db";
import { loadInspection, windowEnded, type InspectionView } from "../store/inspection";
import { recordStart, type Position } from "../store/record";
import { changed } from "../sync/scheduler";
import { useLive } from "../ui/hooks";
import { Link } from "../ui/Link";
import { MinutesLink } from "../ui/Minutes";
import { StatusBadge } from "./Assignments";
import { RejectionNote } from "../ui/Rejection";
import { SampleEntryCard, useSampleProgress } from "./Dossiers";

export function useInspection(id: string) {
  return useLive((db) => loadInspection(db, id), [id]);
}

export function InspectionHeader({ view }: { view: InspectionView }) {
  const unit = view.inspection.unit;
  return (
    <header class="inspection-head">
      <h1>{pick({ vi: unit.name_vi, en: unit.name_en })}</h1>
      <p class="muted">
        {t("visitDate", { date: formatDate(view.inspection.visit_date) })} ·{" "}
        <StatusBadge status={view.status} local={view.statusIsLocal} />
      </p>
    </header>
  );
}

function FlagList({ flags, distance, radius }: { flags: string[]; distance: number | null; radius: number }) {
  if (flags.length === 0) return <p class="muted">{t("flagsNone")}</p>;
  return (
    <ul class="flags" data-testid="flags">
      {flags.map((flag) => (
        <li key={flag} class="flag" data-flag={flag}>
          {t(`flag_${flag}` as MessageKey, { distance: formatNumber(distance, 0), radius })}
        </li>
      ))}
    </ul>
  );
}

function StartCard({ view }: { view: InspectionView }) {
  const [state, setState] = useState<"idle" | "locating" | "no-location">("idle");
  const [reason, setReason] = useState("");
  const unit = view.inspection.unit;

  async function start(position: Position | null) {
    const db = await appDB();
    const sync = (await getKV(db, "sync")) ?? EMPTY_SYNC_STATE;
    const expected = expectedStartFlags(
      unit,
      position,
      { start: view.inspection.window_start, end: view.inspection.window_end },
      new Date(),
      sync.clockOffsetSeconds,
    );
    await recordStart(db, view.inspection.id, position, expected);
    changed();
  }

  return (
    <section class="card" aria-labelledby="start-title">
      <h2 id="start-title">{t("startTitle")}</h2>
      <p>{t("startExplain")}</p>
      <p class="muted small">
        {t("window", {
          start: formatDateTime(view.inspection.window_start, unit.time_zone),
          end: formatDateTime(view.inspection.window_end, unit.time_zone),
        })}
      </p>
      <RejectionNote op={view.rejected.start} />
      {windowEnded(view.inspection) ? (
        <p class="warn">{t("windowEnded")}</p>
      ) : state === "no-location" ? (
        <>
          <p class="warn" role="alert">
            {t("startNoLocation", { reason })}
          </p>
          <button class="button button-primary button-block" onClick={() => void start(null)}>
            {t("startWithoutLocation")}
          </button>
        </>
      ) : (
        <button
          class="button button-primary button-block"
          disabled={state === "locating"}
          onClick={async () => {
            setState("locating");
            try {
              await start(await currentPosition());
            } catch (error) {
              setReason(error instanceof Error ? error.message : String(error));
              setState("no-location");
            }
          }}
        >
          {state === "locating" ? t("startLocating") : t("startButton")}
        </button>
      )}
    </section>
  );
}

export function ScoreCard({ result }: { result: Preview }) {
  return (
    <section class="card score" aria-labelledby="score-title" data-testid="score-preview">
      <h2 id="score-title">{t("scorePreview")}</h2>
      <p class="score-total" data-testid="score-total">
        {result.total === null || !result.anyScoredAnswer
          ? t("scoreNone")
          : t("scoreOf", { score: formatNumber(result.total) })}
      </p>
      {result.band && result.anyScoredAnswer ? (
        <p data-testid="score-band" data-band={result.band.key}>
          {t("bandLabel", { band: pick(result.band.label) })}
        </p>
      ) : null}
      {result.criticalFailures.length > 0 && result.anyScoredAnswer ? <p class="warn">{t("criticalCap")}</p> : null}
    </section>
  );
}

function ServerFlags({ view }: { view: InspectionView }) {
  const server = view.inspection.flags;
  const local = view.progress?.startFlags ?? [];
  const confirmed = Boolean(view.inspection.started_at);
  const flags = confirmed ? server : local;
  const distance =
    confirmed && "start" in view.inspection ? view.inspection.start.distance_m : (view.progress?.startDistanceM ?? null);
  return (
    <section class="card" aria-labelledby="flags-title">
      <h2 id="flags-title">{t("flagsTitle")}</h2>
      {view.progress?.startedAt ? (
        <p class="muted small">
          {t("startStarted", { time: formatDateTime(view.progress.startedAt, view.inspection.unit.time_zone) })}
        </p>
      ) : null}
      <FlagList flags={flags} distance={distance} radius={view.inspection.unit.geofence_radius_m} />
    </section>
  );
}

export function InspectionScreen({ id }: { id: string }) {
  const view = useInspection(id);
  const sample = useSampleProgress(view);
  if (view === undefined) return <p role="status">{t("loading")}</p>;
  if (view === null || !view.checklist) return <p class="card">{t("notFoundInspection")}</p>;
  const content = contentOf(view.checklist);
  const result = preview(content, view.answers);
  const base = `/inspections/${id}`;
  return (
    <>
      <InspectionHeader view={view} />
      {view.status === "planned" ? <StartCard view={view} /> : <ServerFlags view={view} />}
      {view.status !== "planned" ? (
        <>
          <ScoreCard result={result} />
          <section class="card" aria-labelledby="sections-title">
            <h2 id="sections-title">{t("sectionsTitle")}</h2>
            <ul class="list-plain">
              {content.sections.map((section) => {
                const keys = section.items.map((item) => item.key).filter((key) => result.visible.has(key));
                const answered = keys.filter((key) => result.outcome[key] !== "unanswered").length;
                const rejected = section.items.some((item) => view.rejected[`item:${item.key}`]);
                return (
                  <li key={section.key}>
                    <Link class="section-link" to={`${base}/sections/${section.key}`}>
                      <span>
                        {section.key}. {pick(section.title)}
                        {rejected ? <span class="badge badge-rejected"> ! </span> : null}
                      </span>
                      <span class="muted small" data-testid={`progress-${section.key}`}>
                        {t("sectionProgress", { answered, visible: keys.length })}
                        {result.sections[section.key] !== undefined && result.sections[section.key] !== null
                          ? ` · ${formatNumber(result.sections[section.key])}`
                          : ""}
                      </span>
                    </Link>
                  </li>
                );
              })}
            </ul>
          </section>
          {sample ? <SampleEntryCard inspectionId={id} progress={sample} /> : null}
          <section class="card" aria-labelledby="findings-title">
            <h2 id="findings-title">{t("findingsTitle")}</h2>
            {view.findings.length === 0 ? <p class="muted">{t("findingsNone")}</p> : null}
            <ul class="list-plain">
              {view.findings.map((finding) => (
                <li key={finding.findingId} class="finding" data-testid="finding">
                  <strong>{t(`severity_${finding.severity}` as MessageKey)}</strong> ·{" "}
                  {t(`category_${finding.category}` as MessageKey)}
                  <p>{finding.description}</p>
                  <RejectionNote op={view.rejected[`finding:${finding.findingId}`]} />
                </li>
              ))}
            </ul>
            {view.status === "in_progress" ? (
              <Link class="button" to={`${base}/findings/new`}>
                {t("addFinding")}
              </Link>
            ) : null}
          </section>
          <nav class="stack">
            {view.status === "in_progress" ? (
              <Link class="button button-primary button-block" to={`${base}/review`}>
                {t("reviewButton")}
              </Link>
            ) : null}
            {view.status === "submitted" || view.status === "signed" ? (
              <Link class="button button-primary button-block" to={`${base}/sign`}>
                {t("signButton")}
              </Link>
            ) : null}
          </nav>
          <MinutesLink view={view} />
        </>
      ) : null}
    </>
  );
}

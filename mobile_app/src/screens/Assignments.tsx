import { useState } from "preact/hooks";
import { formatDate, formatDateTime, pick, t, type MessageKey } from "../i18n";
import { loadAssignments } from "../store/inspection";
import { syncNow } from "../sync/scheduler";
import { useLive } from "../ui/hooks";
import { navigate } from "../ui/router";

export function StatusBadge({ status, local }: { status: string; local: boolean }) {
  return (
    <span class={`badge badge-${status}`} data-testid="status">
      {t(`status_${status}` as MessageKey)} {local ? t("statusLocalPending") : ""}
    </span>
  );
}

export function AssignmentsScreen() {
  const rows = useLive((db) => loadAssignments(db), []);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="assignments-title">
      <div class="row-between">
        <h1 id="assignments-title">{t("assignmentsTitle")}</h1>
        <button
          class="button button-small"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await syncNow();
            setBusy(false);
          }}
        >
          {t("refresh")}
        </button>
      </div>
      {rows === undefined ? <p role="status">{t("loading")}</p> : null}
      {rows && rows.length === 0 ? <p class="card">{t("assignmentsEmpty")}</p> : null}
      <ul class="list">
        {rows?.map(({ inspection, status, local, ended }) => (
          <li key={inspection.id} class="card">
            <h2 class="card-title">{pick({ vi: inspection.unit.name_vi, en: inspection.unit.name_en })}</h2>
            <p class="muted">{t("visitDate", { date: formatDate(inspection.visit_date) })}</p>
            <p class="muted small">
              {t("window", {
                start: formatDateTime(inspection.window_start, inspection.unit.time_zone),
                end: formatDateTime(inspection.window_end, inspection.unit.time_zone),
              })}
            </p>
            <div class="row-between">
              <StatusBadge status={ended ? "window_ended" : status} local={local} />
              <a
                class="button button-primary"
                href={`/app/inspections/${inspection.id}`}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(`/inspections/${inspection.id}`);
                }}
              >
                {t("open")}
              </a>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

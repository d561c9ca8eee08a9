// One unit, opened from the ranking: its inspections in the period (or all of them), each
// leading to the inspection's read-only page.
import { useEffect, useState } from "preact/hooks";
import type { InspectionSummary } from "../../api/types";
import { apiPage } from "../../api/client";
import { formatDate, formatDateTime, formatNumber, t } from "../../i18n";
import { Link } from "../../ui/Link";
import { StatusBadge } from "../Assignments";
import { ErrorNote, Loading, problemText, query, unitName, useUnits } from "./common";

const PAGE = 200;

export function UnitInspectionsScreen({ id }: { id: string }) {
  const units = useUnits();
  const search = new URLSearchParams(location.search);
  const [period, setPeriod] = useState(() => {
    const from = search.get("from");
    const to = search.get("to");
    return from && to ? { from, to } : null;
  });
  const [rows, setRows] = useState<InspectionSummary[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    setRows(null);
    setError(null);
    const params = query({ unit_id: id, period_from: period?.from, period_to: period?.to, limit: PAGE });
    apiPage<InspectionSummary>(`/api/v1/inspections${params}`)
      .then((page) => {
        if (!alive) return;
        setRows([...page.items].sort((a, b) => b.visit_date.localeCompare(a.visit_date)));
        setTotal(page.total);
      })
      .catch((problem) => alive && setError(problemText(problem)));
    return () => {
      alive = false;
    };
  }, [id, period?.from, period?.to]);

  const unit = units.data?.find((entry) => entry.id === id) ?? rows?.[0]?.unit ?? null;
  const dashboard = `/dashboard${query({ unit: id, from: period?.from, to: period?.to })}`;
  return (
    <section aria-labelledby="unit-title" class="leader">
      <h1 id="unit-title">{unit ? unitName(unit) : t("unitTitle")}</h1>
      <p class="muted">
        {period ? t("unitPeriod", { from: formatDate(period.from), to: formatDate(period.to) }) : t("unitAllTime")}
      </p>
      <div class="leader-actions">
        {period ? (
          <button class="button button-small" onClick={() => setPeriod(null)}>
            {t("unitShowAll")}
          </button>
        ) : null}
        <Link class="button button-small" to={dashboard}>
          {t("unitDashboard")}
        </Link>
        <Link class="button button-small" to={`/units/${id}/dossiers`}>
          {t("ledgerOpen")}
        </Link>
      </div>
      <ErrorNote text={error} />
      {rows === null && !error ? <Loading /> : null}
      {rows && rows.length === 0 ? <p class="card">{t("unitNoInspections")}</p> : null}
      {rows && rows.length ? (
        <>
          <h2>{t("unitInspections", { count: total })}</h2>
          <ul class="list">
            {rows.map((inspection) => (
              <li key={inspection.id} class="card" data-testid="unit-inspection" data-inspection={inspection.id}>
                <Link class="action-link" to={`/inspections/${inspection.id}`}>
                  <span class="action-title">{t("visitOn", { date: formatDate(inspection.visit_date) })}</span>
                </Link>
                <p class="row-between">
                  <StatusBadge status={inspection.status} local={false} />
                  <strong data-testid="unit-inspection-score">
                    {inspection.total_score === null ? t("scoreNone") : t("scoreOf", { score: formatNumber(inspection.total_score) })}
                  </strong>
                </p>
                {inspection.signed_at ? (
                  <p class="muted small">{t("signedAt", { time: formatDateTime(inspection.signed_at, inspection.unit.time_zone) })}</p>
                ) : inspection.started_at ? (
                  <p class="muted small">{t("startedAt", { time: formatDateTime(inspection.started_at, inspection.unit.time_zone) })}</p>
                ) : null}
              </li>
            ))}
          </ul>
          {total > rows.length ? <p class="muted small">{t("unitMore", { shown: rows.length, count: total })}</p> : null}
        </>
      ) : null}
    </section>
  );
}

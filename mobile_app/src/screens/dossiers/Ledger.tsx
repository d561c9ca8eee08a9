// One unit's dossier ledger: its imports, the indicators of a period (default: the last 90
// days), and the dossiers a rule flags, paged and filtered by rule. For leaders and admins of
// the tree above it, and for the unit's own head.
import { useEffect, useState } from "preact/hooks";
import { apiPage } from "../../api/client";
import type { Me } from "../../api/types";
import { formatDateTime, lang, t, type MessageKey } from "../../i18n";
import { useLang } from "../../ui/hooks";
import { DEFAULT_TIME_ZONE, ErrorNote, Loading, PeriodDates, problemText, query, unitName, useApi, useUnits } from "../leader/common";
import { todayIn, type Period } from "../leader/logic";
import {
  defaultLedgerPeriod,
  FLAGGED_PAGE,
  formatCount,
  importableUnits,
  ledgerPresetPeriod,
  ledgerPresets,
  pageCount,
  ruleTitle,
  type FlaggedDossier,
  type Indicators,
  type LedgerImport,
  type LedgerPreset,
  type LedgerRule,
} from "./model";
import { FlaggedDossierCard, IndicatorFigures, LedgerActions } from "./views";

interface Paged<T> {
  items: T[] | undefined;
  total: number;
  error: string | null;
}

function usePage<T>(path: string): Paged<T> {
  const [state, setState] = useState<Paged<T>>({ items: undefined, total: 0, error: null });
  useEffect(() => {
    let alive = true;
    setState({ items: undefined, total: 0, error: null });
    apiPage<T>(path)
      .then((page) => alive && setState({ items: page.items, total: page.total, error: null }))
      .catch((problem) => alive && setState({ items: undefined, total: 0, error: problemText(problem) }));
    return () => {
      alive = false;
    };
  }, [path]);
  return state;
}

function PeriodForm({
  preset,
  period,
  today,
  latest,
  onChange,
}: {
  preset: LedgerPreset;
  period: Period;
  today: string;
  latest: LedgerImport | undefined;
  onChange: (preset: LedgerPreset, period: Period) => void;
}) {
  const setDate = (part: "from" | "to", value: string) => {
    if (value) onChange("custom", { ...period, [part]: value });
  };
  return (
    <form class="card leader-filters" aria-label={t("periodLabel")} onSubmit={(event) => event.preventDefault()}>
      <label class="field">
        <span>{t("periodLabel")}</span>
        <select
          data-testid="ledger-period-preset"
          value={preset}
          onChange={(event) => {
            const value = (event.target as HTMLSelectElement).value as LedgerPreset;
            onChange(value, ledgerPresetPeriod(value, today, latest) ?? period);
          }}
        >
          {ledgerPresets(latest).map((key) => (
            <option key={key} value={key}>
              {key === "latestImport" ? t("ledgerPeriodLatestImport") : t(`period_${key}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      <PeriodDates period={period} onDate={setDate} testIdPrefix="ledger-period" />
    </form>
  );
}

function ImportHistory({ imports, timeZone }: { imports: Paged<LedgerImport>; timeZone: string }) {
  return (
    <>
      <h2>{t("ledgerHistoryTitle")}</h2>
      <ErrorNote text={imports.error} />
      {imports.items === undefined && !imports.error ? <Loading /> : null}
      {imports.items?.length === 0 ? <p class="card">{t("ledgerHistoryNone")}</p> : null}
      {imports.items?.length ? (
        <ul class="list" data-testid="ledger-imports">
          {imports.items.map((entry) => (
            <li key={entry.id} class="card" data-testid="ledger-import" data-rows={entry.row_count}>
              <p>
                <strong>{entry.file_name}</strong>
              </p>
              <p class="small">
                {t("ledgerHistoryCounts", {
                  rows: formatCount(entry.row_count),
                  created: formatCount(entry.created_count),
                  updated: formatCount(entry.updated_count),
                  unchanged: formatCount(entry.unchanged_count),
                })}
              </p>
              <p class="muted small">
                {entry.imported_by_label}, {formatDateTime(entry.imported_at, timeZone)}
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

export function LedgerScreen({ unitId, me }: { unitId: string; me: Me }) {
  useLang();
  const units = useUnits();
  const unit = units.data?.find((entry) => entry.id === unitId);
  const ownUnit = unitId === me.home_unit_id ? { name_vi: me.home_unit_name_vi, name_en: me.home_unit_name_en } : null;
  const timeZone = unit?.time_zone ?? DEFAULT_TIME_ZONE;
  const today = todayIn(timeZone);
  const [preset, setPreset] = useState<LedgerPreset>("last90");
  const [period, setPeriod] = useState<Period>(() => defaultLedgerPeriod(timeZone));
  const [rule, setRule] = useState("");
  const [page, setPage] = useState(0);
  const base = `/api/v1/units/${unitId}/dossier-ledgers`;
  const rules = useApi<LedgerRule[]>("/api/v1/dossier-ledger-rules");
  const imports = usePage<LedgerImport>(`${base}${query({ limit: 20 })}`);
  const periodQuery = { period_start: period.from, period_end: period.to };
  const indicators = useApi<Indicators>(period.from <= period.to ? `${base}/indicators${query(periodQuery)}` : null);
  const flagged = usePage<FlaggedDossier>(
    `${base}/flagged${query({ ...periodQuery, rule, limit: FLAGGED_PAGE, offset: page * FLAGGED_PAGE })}`,
  );
  const pages = pageCount(flagged.total, FLAGGED_PAGE);
  const importable = units.data ? importableUnits(units.data, me).some((entry) => entry.id === unitId) : false;
  const noLedger = imports.items !== undefined && imports.total === 0;

  return (
    <section aria-labelledby="ledger-title" class="leader ledger">
      <h1 id="ledger-title">{unit ? unitName(unit) : ownUnit ? unitName(ownUnit) : t("ledgerOfUnit")}</h1>
      <p class="muted">{t("ledgerOfUnit")}</p>
      <LedgerActions role={me.role} unitId={unitId} importable={importable} />
      {noLedger ? (
        <p class="card" data-testid="ledger-none">
          {t("ledgerNoLedger")}
        </p>
      ) : (
        <>
          <PeriodForm
            preset={preset}
            period={period}
            today={today}
            latest={imports.items?.[0]}
            onChange={(nextPreset, nextPeriod) => {
              setPreset(nextPreset);
              setPeriod(nextPeriod);
              setPage(0);
            }}
          />
          <h2>{t("ledgerIndicatorsTitle")}</h2>
          <ErrorNote text={indicators.error} />
          {indicators.data ? <IndicatorFigures indicators={indicators.data} /> : indicators.error ? null : <Loading />}
          <h2 id="ledger-flagged">{t("ledgerFlaggedTitle", { count: formatCount(flagged.total) })}</h2>
          <label class="field">
            <span>{t("ledgerRuleFilter")}</span>
            <select
              data-testid="ledger-rule"
              value={rule}
              onChange={(event) => {
                setRule((event.target as HTMLSelectElement).value);
                setPage(0);
              }}
            >
              <option value="">{t("ledgerRuleAll")}</option>
              {(rules.data ?? []).map((entry) => (
                <option key={entry.rule} value={entry.rule}>
                  {ruleTitle(rules.data, entry.rule)}
                </option>
              ))}
            </select>
          </label>
          <ErrorNote text={flagged.error} />
          {flagged.items === undefined && !flagged.error ? <Loading /> : null}
          {flagged.items?.length === 0 ? <p class="card">{t("ledgerFlaggedNone")}</p> : null}
          {flagged.items?.length ? (
            <>
              <ul class="list" data-testid="flagged-list">
                {flagged.items.map((dossier) => (
                  <FlaggedDossierCard key={dossier.dossier_code} dossier={dossier} rules={rules.data} lang={lang()} />
                ))}
              </ul>
              {pages > 1 ? (
                <nav class="pager" aria-label={t("ledgerPageOf", { page: page + 1, pages })}>
                  <button class="button button-small" disabled={page === 0} onClick={() => setPage(page - 1)}>
                    {t("ledgerPrevious")}
                  </button>
                  <span data-testid="ledger-page">{t("ledgerPageOf", { page: page + 1, pages })}</span>
                  <button class="button button-small" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                    {t("ledgerNext")}
                  </button>
                </nav>
              ) : null}
            </>
          ) : null}
        </>
      )}
      <ImportHistory imports={imports} timeZone={timeZone} />
    </section>
  );
}

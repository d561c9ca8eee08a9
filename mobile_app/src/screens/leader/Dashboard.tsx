// The leader's overview: the summary of a period and a subtree, as figures and small charts,
// with the ranking leading to each unit, and the PDF and exports of the same selection.
import { useState } from "preact/hooks";
import type { components } from "../../api/schema";
import { formatDate, formatDateTime, formatNumber, lang, t, type MessageKey } from "../../i18n";
import { Link } from "../../ui/Link";
import { Bar, Legend, StackedBar } from "./charts";
import { INDICATOR_COLUMNS, indicatorCells, type UnitIndicators } from "./indicators";
import {
  DEFAULT_TIME_ZONE,
  ErrorNote,
  fetchFile,
  labelOr,
  Loading,
  PeriodDates,
  problemText,
  query,
  unitName,
  unitOptions,
  useApi,
  useMe,
  useUnits,
  type UnitOut,
} from "./common";
import {
  barFractions,
  heatLevel,
  PERIOD_PRESETS,
  presetPeriod,
  rankMove,
  todayIn,
  type Period,
  type PeriodPreset,
} from "./logic";

type S = components["schemas"];
type SummaryOut = S["SummaryOut"];

const SEVERITIES = ["critical", "major", "minor"] as const;
const EXPORT_KINDS = ["inspections", "answers", "findings", "actions"] as const;

interface Selection {
  unitId: string | null;
  preset: PeriodPreset;
  /** The dates of a custom period; a preset's dates follow from today. */
  period: Period | null;
}

function readSelection(): Selection {
  const search = new URLSearchParams(location.search);
  const from = search.get("from");
  const to = search.get("to");
  const period = from && to ? { from, to } : null;
  const asked = search.get("period") as PeriodPreset | null;
  const preset = asked && PERIOD_PRESETS.includes(asked) ? asked : period ? "custom" : "quarter";
  return { unitId: search.get("unit"), preset, period };
}

/** The selection goes into the address, so Back from a unit returns to the same figures. */
function writeSelection(unitId: string, preset: PeriodPreset, period: Period): void {
  const url = `${location.pathname}${query({ unit: unitId, period: preset, from: period.from, to: period.to })}`;
  history.replaceState(history.state, "", url);
}

export function DashboardScreen() {
  const me = useMe();
  const units = useUnits();
  const [selection, setSelection] = useState<Selection>(readSelection);
  const unitId = selection.unitId ?? me?.home_unit_id ?? null;
  const unitsReady = units.data !== undefined || units.error !== null;
  const scopeUnit = units.data?.find((unit) => unit.id === unitId);
  const timeZone = scopeUnit?.time_zone ?? DEFAULT_TIME_ZONE;
  const today = todayIn(timeZone);
  const period =
    selection.preset === "custom" && selection.period
      ? selection.period
      : presetPeriod(selection.preset === "custom" ? "quarter" : selection.preset, today);
  const params = unitId ? query({ unit_id: unitId, period_from: period.from, period_to: period.to }) : null;
  const summary = useApi<SummaryOut>(params !== null && unitsReady ? `/api/v1/reports/summary${params}` : null);

  const choose = (next: { unitId: string; preset: PeriodPreset; period: Period }) => {
    setSelection(next);
    writeSelection(next.unitId, next.preset, next.period);
  };

  return (
    <section aria-labelledby="dashboard-title" class="leader">
      <h1 id="dashboard-title">{t("dashboardTitle")}</h1>
      {me === null ? <ErrorNote text={t("leaderNoProfile")} /> : null}
      <ErrorNote text={units.error} />
      {unitId ? (
        <SelectionForm
          units={units.data ?? []}
          unitId={unitId}
          preset={selection.preset}
          period={period}
          today={today}
          onChange={choose}
        />
      ) : null}
      <ErrorNote text={summary.error} />
      {summary.data ? (
        <SummaryView summary={summary.data} params={params ?? ""} />
      ) : summary.error ? null : (
        <Loading />
      )}
    </section>
  );
}

function SelectionForm({
  units,
  unitId,
  preset,
  period,
  today,
  onChange,
}: {
  units: UnitOut[];
  unitId: string;
  preset: PeriodPreset;
  period: Period;
  today: string;
  onChange: (next: { unitId: string; preset: PeriodPreset; period: Period }) => void;
}) {
  const setDate = (part: "from" | "to", value: string) => {
    if (value) onChange({ unitId, preset: "custom", period: { ...period, [part]: value } });
  };
  return (
    <form class="card leader-filters" aria-label={t("dashboardFilters")} onSubmit={(event) => event.preventDefault()}>
      <label class="field">
        <span>{t("periodLabel")}</span>
        <select
          data-testid="period-preset"
          value={preset}
          onChange={(event) => {
            const value = (event.target as HTMLSelectElement).value as PeriodPreset;
            // "Custom" starts from the dates shown, to be changed below.
            onChange({ unitId, preset: value, period: value === "custom" ? period : presetPeriod(value, today) });
          }}
        >
          {PERIOD_PRESETS.map((key) => (
            <option key={key} value={key}>
              {t(`period_${key}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      <PeriodDates period={period} onDate={setDate} testIdPrefix="period" />
      <label class="field">
        <span>{t("scopeUnitLabel")}</span>
        <select
          data-testid="scope-unit"
          value={unitId}
          onChange={(event) => onChange({ unitId: (event.target as HTMLSelectElement).value, preset, period })}
        >
          {units.length === 0 ? <option value={unitId}>{t("loading")}</option> : null}
          {unitOptions(units).map((option) => (
            <option key={option.id} value={option.id}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

function Figure({ id, label, value, text }: { id: string; label: string; value: number | null; text?: string }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd data-testid={`fig-${id}`} data-value={value ?? ""}>
        {text ?? formatNumber(value)}
      </dd>
    </div>
  );
}

function signed(value: number | null, digits = 2): string {
  if (value === null) return "—";
  return `${value > 0 ? "+" : value < 0 ? "−" : "±"}${formatNumber(Math.abs(value), digits)}`;
}

function bandLabel(summary: SummaryOut, key: string | null, fallback?: string | null): string {
  const band = summary.bands.find((entry) => entry.key === key);
  if (band) return lang() === "en" ? band.label_en : band.label_vi;
  return fallback ?? key ?? "—";
}

function SummaryView({ summary, params }: { summary: SummaryOut; params: string }) {
  const average = summary.average_score;
  const previous = summary.previous_average_score;
  const change = average !== null && previous !== null ? average - previous : null;
  return (
    <>
      <p
        class="muted small"
        data-testid="summary-scope"
        data-unit={summary.scope_unit.id}
        data-from={summary.period.period_from}
        data-to={summary.period.period_to}
      >
        {t("summaryScope", {
          unit: unitName(summary.scope_unit),
          from: formatDate(summary.period.period_from),
          to: formatDate(summary.period.period_to),
        })}
        {" · "}
        {t("generatedAt", { time: formatDateTime(summary.generated_at, summary.time_zone) })}
      </p>
      <section class="card" aria-labelledby="figures-title">
        <h2 id="figures-title">{t("figuresTitle")}</h2>
        <dl class="figures">
          <Figure id="done" label={t("figDone")} value={summary.inspections.done} />
          <Figure id="scored" label={t("figScored")} value={summary.inspections.scored} />
          <Figure id="average" label={t("figAverage")} value={average} />
          <Figure id="previous-average" label={t("figPreviousAverage")} value={previous} />
          <Figure id="average-change" label={t("figAverageChange")} value={change} text={signed(change)} />
          <Figure id="actions-open" label={t("figActionsOpen")} value={summary.actions.open} />
          <Figure id="actions-overdue" label={t("figActionsOverdue")} value={summary.actions.overdue} />
          <Figure id="actions-on-time" label={t("figActionsOnTime")} value={summary.actions.verified_on_time} />
        </dl>
        <p class="muted small">
          {t("previousPeriod", {
            from: formatDate(summary.previous_period.period_from),
            to: formatDate(summary.previous_period.period_to),
          })}
        </p>
      </section>
      <div class="leader-grid">
        <BandsCard summary={summary} />
        <FindingsCard summary={summary} />
        <RankingCard summary={summary} />
        <ActionsCard summary={summary} />
      </div>
      <HeatmapCard summary={summary} />
      {summary.dossier_indicators ? <IndicatorsCard section={summary.dossier_indicators} /> : null}
      <FilesCard params={params} />
    </>
  );
}

function BandsCard({ summary }: { summary: SummaryOut }) {
  const fractions = barFractions(summary.bands.map((band) => band.count));
  const scored = summary.bands.filter((band) => band.key !== null).length;
  return (
    <section class="card" aria-labelledby="bands-title">
      <h2 id="bands-title">{t("bandsTitle")}</h2>
      <ul class="bars">
        {summary.bands.map((band, index) => {
          const level = band.key === null ? "none" : `level-${Math.round(((scored - 1 - index) / Math.max(1, scored - 1)) * 4)}`;
          return (
            <li key={band.key ?? "none"} class="bar-row" data-testid="band-row" data-band={band.key ?? "none"}>
              <span class="bar-label">{lang() === "en" ? band.label_en : band.label_vi}</span>
              <Bar fraction={fractions[index]} tone={level} />
              <span class="bar-value">
                <strong data-testid="band-count">{formatNumber(band.count)}</strong>{" "}
                <span class="muted small">({formatNumber(band.share * 100, 0)}%)</span>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function FindingsCard({ summary }: { summary: SummaryOut }) {
  const findings = summary.findings;
  const categories = Object.keys(findings.by_category).sort((a, b) => findings.by_category[b] - findings.by_category[a]);
  const largest = Math.max(0, ...categories.map((category) => findings.by_category[category]));
  const cell = (category: string, severity: string) =>
    findings.cells.find((entry) => entry.category === category && entry.severity === severity)?.count ?? 0;
  const severityFractions = barFractions(SEVERITIES.map((severity) => findings.by_severity[severity] ?? 0));
  return (
    <section class="card" aria-labelledby="findings-chart-title">
      <h2 id="findings-chart-title">
        {t("findingsChartTitle")}{" "}
        <span class="muted" data-testid="findings-total" data-value={findings.total}>
          ({formatNumber(findings.total)})
        </span>
      </h2>
      <h3>{t("findingsBySeverity")}</h3>
      <ul class="bars">
        {SEVERITIES.map((severity, index) => (
          <li key={severity} class="bar-row" data-testid="finding-severity" data-severity={severity}>
            <span class="bar-label">{t(`severity_${severity}` as MessageKey)}</span>
            <Bar fraction={severityFractions[index]} tone={severity} />
            <strong class="bar-value" data-testid="finding-count">
              {formatNumber(findings.by_severity[severity] ?? 0)}
            </strong>
          </li>
        ))}
      </ul>
      <h3>{t("findingsByCategory")}</h3>
      {categories.length === 0 ? <p class="muted">{t("findingsChartNone")}</p> : null}
      <ul class="bars">
        {categories.map((category) => (
          <li key={category} class="bar-row" data-testid="finding-category" data-category={category}>
            <span class="bar-label">{labelOr(`category_${category}`, category)}</span>
            <StackedBar
              values={SEVERITIES.map((severity) => cell(category, severity))}
              tones={[...SEVERITIES]}
              total={largest}
            />
            <strong class="bar-value" data-testid="finding-count">
              {formatNumber(findings.by_category[category])}
            </strong>
          </li>
        ))}
      </ul>
      {categories.length ? (
        <Legend items={SEVERITIES.map((severity) => ({ tone: severity, label: t(`severity_${severity}` as MessageKey) }))} />
      ) : null}
    </section>
  );
}

function Move({ change }: { change: number | null }) {
  const move = rankMove(change);
  const amount = Math.abs(change ?? 0);
  const shown = { up: `▲ ${amount}`, down: `▼ ${amount}`, same: "=", new: t("rankNew") }[move];
  const said = { up: t("rankUp", { count: amount }), down: t("rankDown", { count: amount }), same: t("rankSame"), new: t("rankNewLong") }[move];
  return (
    <span class={`move move-${move}`} data-testid="rank-change" data-value={change ?? ""}>
      <span aria-hidden="true">{shown}</span>
      <span class="visually-hidden">{said}</span>
    </span>
  );
}

function unitLink(unitId: string, summary: SummaryOut): string {
  return `/units/${unitId}${query({ from: summary.period.period_from, to: summary.period.period_to })}`;
}

function RankingCard({ summary }: { summary: SummaryOut }) {
  const ranking = summary.ranking;
  return (
    <section class="card" aria-labelledby="ranking-title">
      <h2 id="ranking-title">{t("rankingTitle")}</h2>
      {ranking.ranked.length === 0 ? <p class="muted">{t("rankingEmpty")}</p> : null}
      <ol class="ranking">
        {ranking.ranked.map((row) => (
          <li key={row.unit.id} class="rank-row" data-testid="rank-row" data-unit={row.unit.id}>
            <span class="rank" data-testid="rank" data-value={row.rank}>
              <span class="visually-hidden">{t("rankLabel")} </span>
              {row.rank}
            </span>
            <span class="rank-main">
              <Link class="rank-link" to={unitLink(row.unit.id, summary)}>
                {unitName(row.unit)}
              </Link>
              <span class="muted small">
                {bandLabel(summary, row.band, row.band_label_vi)} ·{" "}
                {t("rankInspections", { count: row.scored_inspections })}
                {row.score_change !== null ? ` · ${t("scoreChange", { change: signed(row.score_change) })}` : ""}
              </span>
              <Bar fraction={row.average_score / 100} tone={`level-${heatLevel(row.average_score, row.band, summary.bands) ?? 0}`} />
            </span>
            <span class="rank-side">
              <strong data-testid="rank-score" data-value={row.average_score}>
                {formatNumber(row.average_score)}
              </strong>
              <Move change={row.rank_change} />
            </span>
          </li>
        ))}
      </ol>
      {ranking.insufficient_data.length ? (
        <>
          <h3 id="insufficient-title">{t("insufficientTitle")}</h3>
          <p class="muted small">{t("insufficientHint", { count: ranking.min_inspections })}</p>
          <ul class="list-plain" aria-labelledby="insufficient-title">
            {ranking.insufficient_data.map((row) => (
              <li key={row.unit.id} class="insufficient-row" data-testid="insufficient-row" data-unit={row.unit.id}>
                <Link class="rank-link" to={unitLink(row.unit.id, summary)}>
                  {unitName(row.unit)}
                </Link>
                <span class="muted small">
                  {t("insufficientCounts", { scored: row.scored_inspections, count: row.inspections })}
                  {row.average_score !== null ? ` · ${t("insufficientAverage", { score: formatNumber(row.average_score) })}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function ActionsCard({ summary }: { summary: SummaryOut }) {
  const actions = summary.actions;
  const openInTime = Math.max(0, actions.open - actions.overdue);
  const parts = [
    { tone: "on-time", value: actions.verified_on_time, label: t("actionsVerifiedOnTime") },
    { tone: "late", value: actions.verified_late, label: t("actionsVerifiedLate") },
    { tone: "open", value: openInTime, label: t("actionsOpenInTime") },
    { tone: "overdue", value: actions.overdue, label: t("actionsOverdue") },
  ];
  return (
    <section class="card" aria-labelledby="actions-chart-title">
      <h2 id="actions-chart-title">
        {t("actionsChartTitle")}{" "}
        <span class="muted" data-testid="actions-total" data-value={actions.total}>
          ({formatNumber(actions.total)})
        </span>
      </h2>
      <StackedBar values={parts.map((part) => part.value)} tones={parts.map((part) => part.tone)} total={actions.total} />
      <ul class="legend legend-figures">
        {parts.map((part) => (
          <li key={part.tone} data-testid={`actions-${part.tone}`} data-value={part.value}>
            <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false">
              <rect class={`bar-fill tone-${part.tone}`} width="10" height="10" rx="2" />
            </svg>
            {part.label}: <strong>{formatNumber(part.value)}</strong>
          </li>
        ))}
      </ul>
      {actions.by_responsible_unit.length ? (
        <div class="scroll-x" role="region" tabIndex={0} aria-label={t("actionsByUnit")}>
          <table class="table leader-table">
            <caption class="visually-hidden">{t("actionsByUnit")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("colUnit")}</th>
                <th scope="col">{t("colOpen")}</th>
                <th scope="col">{t("colOverdue")}</th>
                <th scope="col">{t("colOnTime")}</th>
              </tr>
            </thead>
            <tbody>
              {actions.by_responsible_unit.map((row) => (
                <tr key={row.unit.id} data-testid="actions-unit-row" data-unit={row.unit.id}>
                  <th scope="row">{unitName(row.unit)}</th>
                  <td>{formatNumber(row.open)}</td>
                  <td class={row.overdue ? "error" : ""}>{formatNumber(row.overdue)}</td>
                  <td>{formatNumber(row.verified_on_time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function HeatmapCard({ summary }: { summary: SummaryOut }) {
  const results = summary.section_results;
  const rows = [results.overall, ...results.rows];
  const title = (key: string) => {
    const section = results.sections.find((entry) => entry.key === key);
    return section ? (lang() === "en" ? section.title_en : section.title_vi) : key;
  };
  return (
    <section class="card" aria-labelledby="heatmap-title">
      <h2 id="heatmap-title">{t("heatmapTitle")}</h2>
      {results.sections.length === 0 ? (
        <p class="muted">{t("heatmapEmpty")}</p>
      ) : (
        <>
          <div class="scroll-x" role="region" tabIndex={0} aria-label={t("heatmapTable")}>
            <table class="heatmap">
              <thead>
                <tr>
                  <th scope="col">{t("colUnit")}</th>
                  {results.sections.map((section) => (
                    <th key={section.key} scope="col" title={title(section.key)}>
                      {section.key}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row, rowIndex) => (
                  <tr key={row.unit?.id ?? "all"} class={rowIndex === 0 ? "heat-overall" : ""}>
                    <th scope="row">{row.unit ? unitName(row.unit) : t("heatmapAll")}</th>
                    {results.sections.map((section) => {
                      const cell = row.cells.find((entry) => entry.section_key === section.key);
                      const score = cell?.average_score ?? null;
                      const level = heatLevel(score, cell?.band ?? null, summary.bands);
                      return (
                        <td
                          key={section.key}
                          class={level === null ? "heat-none" : `heat-${level}`}
                          data-testid="heat-cell"
                          data-unit={row.unit?.id ?? "all"}
                          data-section={section.key}
                          data-value={score ?? ""}
                        >
                          {score === null ? "—" : formatNumber(score, 0)}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <dl class="heat-key">
            {results.sections.map((section) => (
              <div key={section.key}>
                <dt>{section.key}</dt>
                <dd>{title(section.key)}</dd>
              </div>
            ))}
          </dl>
          <p class="muted small">{t("heatmapHint")}</p>
        </>
      )}
    </section>
  );
}

function IndicatorCells({ row }: { row: UnitIndicators }) {
  return (
    <>
      {indicatorCells(row).map((cell) => (
        <td key={cell.column} data-testid="indicator-cell" data-column={cell.column} data-value={cell.value ?? ""}>
          {cell.text}
          {cell.change ? (
            <span class="indicator-change" data-testid="indicator-change" data-value={cell.change.value}>
              <span aria-hidden="true">{cell.change.shown}</span>
              <span class="visually-hidden">{cell.change.said}</span>
            </span>
          ) : null}
        </td>
      ))}
    </>
  );
}

function IndicatorsCard({ section }: { section: NonNullable<SummaryOut["dossier_indicators"]> }) {
  return (
    <section class="card" aria-labelledby="indicators-title" data-testid="dossier-indicators">
      <h2 id="indicators-title">{t("indicatorsTitle")}</h2>
      <div class="scroll-x" role="region" tabIndex={0} aria-label={t("indicatorsTable")}>
        <table class="table leader-table indicators-table">
          <caption class="visually-hidden">{t("indicatorsTable")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("colUnit")}</th>
              {INDICATOR_COLUMNS.map((column) => (
                <th key={column} scope="col">
                  {t(`ind_${column}` as MessageKey)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {section.units.map((row) => (
              <tr key={row.unit?.id} data-testid="indicator-row" data-unit={row.unit?.id}>
                <th scope="row">{row.unit ? unitName(row.unit) : ""}</th>
                <IndicatorCells row={row} />
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid="indicator-row" data-unit="total">
              <th scope="row">{t("indicatorsTotal")}</th>
              <IndicatorCells row={section.totals} />
            </tr>
          </tfoot>
        </table>
      </div>
      <p class="muted small">{t("indicatorsHint")}</p>
    </section>
  );
}

function FilesCard({ params }: { params: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pdf, setPdf] = useState<string | null>(null);
  const get = async (key: string, path: string, mode: "open" | "download", name: string) => {
    setBusy(key);
    setError(null);
    try {
      const file = await fetchFile(`${path}${params}`, mode, name);
      if (mode === "open") setPdf(file.url);
    } catch (problem) {
      setError(t("fileFailed", { detail: problemText(problem) }));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="card" aria-labelledby="files-title">
      <h2 id="files-title">{t("filesTitle")}</h2>
      <button
        class="button button-primary button-block"
        data-testid="summary-pdf"
        disabled={busy !== null}
        onClick={() => get("pdf", "/api/v1/reports/summary.pdf", "open", "bao-cao-tong-hop.pdf")}
      >
        {busy === "pdf" ? t("fileLoading") : t("summaryPdf")}
      </button>
      {pdf ? (
        <p>
          <a href={pdf} target="_blank" rel="noopener" data-testid="summary-pdf-file">
            {t("summaryPdfLink")}
          </a>
        </p>
      ) : null}
      <h3>{t("exportsTitle")}</h3>
      <ul class="list-plain exports">
        {EXPORT_KINDS.map((kind) => (
          <li key={kind} class="export-row">
            <span>{t(`export_${kind}` as MessageKey)}</span>
            <span class="export-buttons">
              {(["csv", "xlsx"] as const).map((format) => (
                <button
                  key={format}
                  class="button button-small"
                  data-testid={`export-${kind}-${format}`}
                  disabled={busy !== null}
                  aria-label={t(format === "csv" ? "exportCsvOf" : "exportXlsxOf", { what: t(`export_${kind}` as MessageKey) })}
                  onClick={() => get(`${kind}.${format}`, `/api/v1/exports/${kind}.${format}`, "download", `${kind}.${format}`)}
                >
                  {busy === `${kind}.${format}` ? t("fileLoading") : t(format === "csv" ? "exportCsv" : "exportXlsx")}
                </button>
              ))}
            </span>
          </li>
        ))}
      </ul>
      <ErrorNote text={error} />
    </section>
  );
}

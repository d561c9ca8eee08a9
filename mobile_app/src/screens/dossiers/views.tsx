// What the ledger screens show, as components without state (tested by rendering them in
// tests/dossiers.test.ts): a refused file's issues, an import's result, the indicators, a
// flagged dossier, and the ledger's actions by role.
import { formatDate, formatDateTime, DEFAULT_TIME_ZONE, t } from "../../i18n";
import { Link } from "../../ui/Link";
import {
  canImport,
  flagDetail,
  formatCount,
  issueMessage,
  issuesToShow,
  ruleTitle,
  shareText,
  type FlaggedDossier,
  type ImportSummary,
  type Indicators,
  type LedgerIssue,
  type LedgerRefusal,
  type LedgerRule,
  type Role,
} from "./model";

function issuePlace(issue: LedgerIssue): string {
  if (issue.line !== null && issue.column !== null) {
    const place = t("ledgerIssueWhere", { line: issue.line, column: issue.column });
    return issue.header ? `${place} (${issue.header})` : place;
  }
  if (issue.line !== null) return t("ledgerIssueLine", { line: issue.line });
  return issue.header ? `${t("ledgerIssueFile")} (${issue.header})` : t("ledgerIssueFile");
}

/** A refused file: every issue with its line, column, header, value and what is accepted, as the
 * server words it in the reader's language (the first 50), then how many more. */
export function IssueList({ refusal }: { refusal: LedgerRefusal }) {
  const { shown, more } = issuesToShow(refusal);
  return (
    <div class="card ledger-refused" role="alert" data-testid="ledger-refused" data-count={refusal.issueCount}>
      <p class="error">{t("ledgerRefused", { count: formatCount(refusal.issueCount) })}</p>
      <ol class="ledger-issues">
        {shown.map((issue, index) => (
          <li key={index} data-testid="ledger-issue" data-line={issue.line ?? ""} data-column={issue.column ?? ""}>
            <strong>{issuePlace(issue)}</strong>
            {issue.value ? <span class="ledger-issue-value"> · {t("ledgerIssueValue", { value: issue.value })}</span> : null}
            <span class="ledger-issue-message">{issueMessage(issue)}</span>
          </li>
        ))}
      </ol>
      {more > 0 ? (
        <p class="muted" data-testid="ledger-issues-more">
          {t("ledgerIssuesMore", { count: formatCount(more) })}
        </p>
      ) : null}
    </div>
  );
}

function Count({ id, label, value }: { id: string; label: string; value: number }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd data-testid={`ledger-${id}`} data-value={value}>
        {formatCount(value)}
      </dd>
    </div>
  );
}

function periodText(from: string | null | undefined, to: string | null | undefined): string {
  return from && to ? `${formatDate(from)} – ${formatDate(to)}` : "—";
}

/** An import's answer: the counts and the period, and whether this very file was imported
 * before (then the counts are that first import's). */
export function ImportResult({ summary, timeZone = DEFAULT_TIME_ZONE }: { summary: ImportSummary; timeZone?: string }) {
  const ledger = summary.ledger_import;
  return (
    <div class="card ledger-result" role="status" data-testid="ledger-result" data-already={summary.already_imported ? "true" : "false"}>
      <p class={summary.already_imported ? "warn" : "ok"}>
        {summary.already_imported
          ? t("ledgerAlready", { time: formatDateTime(ledger.imported_at, timeZone), who: ledger.imported_by_label })
          : t("ledgerDone")}
      </p>
      <p class="muted small">{ledger.file_name}</p>
      <dl class="figures">
        <Count id="rows" label={t("ledgerRows")} value={ledger.row_count} />
        <Count id="created" label={t("ledgerCreated")} value={ledger.created_count} />
        <Count id="updated" label={t("ledgerUpdated")} value={ledger.updated_count} />
        <Count id="unchanged" label={t("ledgerUnchanged")} value={ledger.unchanged_count} />
        <div class="figure">
          <dt>{t("ledgerPeriod")}</dt>
          <dd class="ledger-period" data-testid="ledger-period">
            {periodText(ledger.period_start, ledger.period_end)}
          </dd>
        </div>
        <Count id="flagged" label={t("ledgerFlaggedCount")} value={summary.flags.flagged_dossiers} />
      </dl>
      <Link class="button button-small" to={`/units/${ledger.unit_id}/dossiers`}>
        {t("ledgerOpenView")}
      </Link>
    </div>
  );
}

function ShareFigure({ id, label, share }: { id: string; label: string; share: Indicators["online"] }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd data-testid={`ind-${id}`} data-value={share.value ?? ""}>
        {shareText(share)}
      </dd>
    </div>
  );
}

/** The period's indicators: shares as percentages with what they count, counts as numbers. */
export function IndicatorFigures({ indicators }: { indicators: Indicators }) {
  if (indicators.dossiers === 0 && indicators.pending_at_end === 0) {
    return <p class="card" data-testid="ledger-indicators-none">{t("ledgerIndicatorsNone")}</p>;
  }
  return (
    <dl class="figures ledger-figures" data-testid="ledger-indicators">
      <div class="figure">
        <dt>{t("ledgerDossiers")}</dt>
        <dd data-testid="ind-dossiers" data-value={indicators.dossiers}>
          {formatCount(indicators.dossiers)}
        </dd>
      </div>
      <ShareFigure id="online" label={t("ledgerOnline")} share={indicators.online} />
      <ShareFigure id="online_payment" label={t("ledgerOnlinePayment")} share={indicators.online_payment} />
      <ShareFigure id="on_time" label={t("ledgerOnTime")} share={indicators.on_time} />
      <div class="figure">
        <dt>{t("ledgerBacklog")}</dt>
        <dd data-testid="ind-backlog" data-value={indicators.backlog}>
          {formatCount(indicators.backlog)}
        </dd>
      </div>
      <div class="figure">
        <dt>{t("ledgerPending")}</dt>
        <dd data-testid="ind-pending" data-value={indicators.pending_at_end}>
          {formatCount(indicators.pending_at_end)}
        </dd>
      </div>
      <ShareFigure id="flagged" label={t("ledgerFlagged")} share={indicators.flagged} />
    </dl>
  );
}

/** One flagged dossier: its dates and each flag named in words, with its legal basis. */
export function FlaggedDossierCard({ dossier, rules, lang }: { dossier: FlaggedDossier; rules: LedgerRule[] | undefined; lang: "vi" | "en" }) {
  const dates = [
    t("ledgerReceived", { date: formatDate(dossier.received) }),
    t("ledgerAppointed", { date: formatDate(dossier.appointed_return) }),
    dossier.resolved ? t("ledgerResolved", { date: formatDate(dossier.resolved) }) : null,
    dossier.returned ? t("ledgerReturned", { date: formatDate(dossier.returned) }) : null,
  ].filter(Boolean);
  return (
    <li class="card ledger-dossier" data-testid="flagged-dossier" data-code={dossier.dossier_code}>
      <p class="row-between">
        <strong class="ledger-code">{dossier.dossier_code}</strong>
        {dossier.procedure_code ? <span class="muted small">{dossier.procedure_code}</span> : null}
      </p>
      {dossier.procedure_name ? <p class="small">{dossier.procedure_name}</p> : null}
      <p class="muted small">{dates.join(", ")}</p>
      <ul class="list-plain ledger-flags">
        {dossier.flags.map((flag) => (
          <li key={flag.rule} class="ledger-flag" data-testid="ledger-flag" data-rule={flag.rule}>
            <span class={`badge ledger-severity-${flag.severity}`}>{t(`severity_${flag.severity}` as "severity_major")}</span>{" "}
            <strong>{ruleTitle(rules, flag.rule, lang)}</strong>
            <span class="muted small ledger-flag-detail"> — {flagDetail(flag, lang)}</span>
            {flag.legal_basis ? <p class="muted small ledger-basis">{t("ledgerLegalBasis", { text: flag.legal_basis })}</p> : null}
          </li>
        ))}
      </ul>
    </li>
  );
}

/** The buttons above a unit's ledger: importing is for admins and leaders only. */
export function LedgerActions({ role, unitId, importable }: { role: Role; unitId: string; importable: boolean }) {
  if (!canImport(role) || !importable) return null;
  return (
    <div class="leader-actions">
      <Link class="button button-small button-primary" to={`/dossiers/import?unit=${unitId}`}>
        {t("ledgerImportButton")}
      </Link>
    </div>
  );
}

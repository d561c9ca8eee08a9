import { formatDateTime, formatNumber, pick, t, type MessageKey } from "../i18n";
import { itemPrefillOf, ledgerNoteProblems } from "../rules/prefill";
import { contentOf, preview } from "../rules/preview";
import { appDB } from "../store/db";
import { recordSubmit } from "../store/record";
import { changed } from "../sync/scheduler";
import { Link } from "../ui/Link";
import { navigate } from "../ui/router";
import { RejectionNote } from "../ui/Rejection";
import { measuredChecks, progressOf } from "../store/dossiers";
import { SampleReviewCard, useSampleRows } from "./Dossiers";
import { InspectionHeader, ScoreCard, useInspection } from "./Inspection";

export function ReviewScreen({ id }: { id: string }) {
  const view = useInspection(id);
  const rows = useSampleRows(view);
  const sample = rows ? progressOf(rows) : rows;
  const measured = measuredChecks(rows);
  if (view === undefined) return <p role="status">{t("loading")}</p>;
  if (view === null || !view.checklist) return <p class="card">{t("notFoundInspection")}</p>;
  const content = contentOf(view.checklist);
  const result = preview(content, view.answers);
  const sectionOf = new Map(content.sections.flatMap((section) => section.items.map((item) => [item.key, section.key])));
  const textOf = new Map(content.sections.flatMap((section) => section.items.map((item) => [item.key, pick(item.text)])));
  const rejectedItems = Object.entries(view.rejected).filter(([subject]) => subject.startsWith("item:"));
  const itemLink = (key: string) => `/inspections/${id}/sections/${sectionOf.get(key)}#item-${key}`;
  // Answers that differ from the dossier ledger or the sample's checks without a note hold the
  // submit back, as on the server.
  const prefills = itemPrefillOf(view.inspection, content, measured.sampled, measured.checks);
  const evidenceProblems = [
    ...result.evidenceProblems,
    ...ledgerNoteProblems(prefills, view.answers, result.visible),
  ];
  // Unchecked sampled dossiers are only a warning; a check the server refused must be fixed, as
  // an item must, or the finding it makes would be missing from the minutes.
  const ready =
    result.missingRequired.length === 0 &&
    evidenceProblems.length === 0 &&
    rejectedItems.length === 0 &&
    (sample?.rejected.length ?? 0) === 0;
  return (
    <>
      <InspectionHeader view={view} />
      <h2>{t("reviewTitle")}</h2>
      <ScoreCard result={result} />
      <section class="card" aria-labelledby="sections-scores">
        <h3 id="sections-scores">{t("reviewSectionScores")}</h3>
        <table class="table">
          <tbody>
            {content.sections.map((section) => (
              <tr key={section.key}>
                <th scope="row">
                  {section.key}. {pick(section.title)}
                </th>
                <td data-testid={`section-score-${section.key}`}>{formatNumber(result.sections[section.key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {result.missingRequired.length > 0 ? (
        <section class="card" aria-labelledby="missing-title" data-testid="missing-required">
          <h3 id="missing-title">{t("reviewMissing", { count: result.missingRequired.length })}</h3>
          <ul>
            {result.missingRequired.map((key) => (
              <li key={key}>
                <Link to={itemLink(key)}>
                  {key}. {textOf.get(key)}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {evidenceProblems.length > 0 ? (
        <section class="card" aria-labelledby="evidence-title" data-testid="evidence-problems">
          <h3 id="evidence-title">{t("reviewEvidence", { count: evidenceProblems.length })}</h3>
          <ul>
            {evidenceProblems.map((entry) => (
              <li key={`${entry.itemKey}-${entry.kind}`}>
                <Link to={itemLink(entry.itemKey)}>
                  {entry.itemKey}: {t(`evidenceProblem_${entry.kind}` as MessageKey)}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {rejectedItems.length > 0 ? (
        <section class="card" aria-labelledby="rejected-title">
          <h3 id="rejected-title">{t("reviewRejected", { count: rejectedItems.length })}</h3>
          <ul>
            {rejectedItems.map(([subject, op]) => (
              <li key={subject}>
                <Link to={itemLink(subject.slice(5))}>{subject.slice(5)}</Link>
                <RejectionNote op={op} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {sample ? <SampleReviewCard inspectionId={id} progress={sample} /> : null}
      <RejectionNote op={view.rejected.submit} />
      {view.status === "in_progress" ? (
        <>
          {ready ? <p class="ok">{t("reviewReady")}</p> : null}
          <button
            class="button button-primary button-block"
            disabled={!ready}
            onClick={async () => {
              if (!window.confirm(t("submitConfirm"))) return;
              await recordSubmit(await appDB(), id);
              changed();
              navigate(`/inspections/${id}/sign`);
            }}
          >
            {t("submitButton")}
          </button>
        </>
      ) : view.progress?.submittedAt ? (
        <p>{t("submitted", { time: formatDateTime(view.progress.submittedAt, view.inspection.unit.time_zone) })}</p>
      ) : null}
    </>
  );
}

import { useEffect, useState } from "preact/hooks";
import type { ActionOut, ChecklistVersionOut, InspectionOut } from "../../api/types";
import { apiGet, apiPage, HttpProblem } from "../../api/client";
import { contentOf } from "../../rules/preview";
import { Link } from "../../ui/Link";
import { ActionStatusBadge } from "./ActionsList";
import { formatDate, formatDateTime, formatNumber, lang, pick, t, type MessageKey } from "../../i18n";
import { EvidenceStrip } from "../../ui/Evidence";
import { MinutesLink } from "../../ui/Minutes";
import type { InspectionView } from "../../store/inspection";
import { StatusBadge } from "../Assignments";

/** An inspection as unit heads and leaders read it (online): results, findings with their
 * photos, signatures and the minutes. Inspectors get their own offline screen instead. */
export function InspectionDetailScreen({ id }: { id: string }) {
  const [inspection, setInspection] = useState<InspectionOut | null>(null);
  const [version, setVersion] = useState<ChecklistVersionOut | null>(null);
  const [actions, setActions] = useState<ActionOut[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void (async () => {
      try {
        const found = await apiGet<InspectionOut>(`/api/v1/inspections/${id}`);
        setInspection(found);
        // The checklist names the items and bands; the actions say what is being fixed.
        const [checklist, page] = await Promise.all([
          apiGet<ChecklistVersionOut>(`/api/v1/checklists/versions/${found.checklist_version_id}`).catch(() => null),
          apiPage<ActionOut>(`/api/v1/actions?inspection_id=${id}&limit=500`).catch(() => ({ items: [] as ActionOut[], total: 0 })),
        ]);
        setVersion(checklist);
        setActions(page.items);
      } catch (problem) {
        setError(problem instanceof HttpProblem && problem.status === 404 ? t("notFoundInspection") : String(problem));
      }
    })();
  }, [id]);
  if (error) return <p class="card">{error}</p>;
  if (!inspection) return <p role="status">{t("loading")}</p>;
  const unit = inspection.unit;
  const view = { inspection, status: inspection.status } as unknown as InspectionView;
  const content = version ? contentOf(version) : null;
  const band = content?.rating_bands.find((entry) => entry.key === inspection.rating_band);
  const itemText = new Map(
    (content?.sections ?? []).flatMap((section) => section.items.map((item) => [item.key, pick(item.text)] as const)),
  );
  return (
    <>
      <header class="inspection-head">
        <h1>{pick({ vi: unit.name_vi, en: unit.name_en })}</h1>
        <p class="muted">
          {t("visitDate", { date: formatDate(inspection.visit_date) })} · <StatusBadge status={inspection.status} local={false} />
        </p>
      </header>
      <section class="card" aria-labelledby="result-title">
        <h2 id="result-title">{t("inspectionReadOnly")}</h2>
        <p class="score-total">
          {inspection.total_score === null ? t("scoreNone") : t("scoreOf", { score: formatNumber(inspection.total_score) })}
        </p>
        {inspection.rating_band ? (
          <p data-testid="rating-band">{t("bandLabel", { band: band ? pick(band.label) : inspection.rating_band })}</p>
        ) : null}
        {inspection.started_at ? (
          <p class="muted small">{t("startStarted", { time: formatDateTime(inspection.started_at, unit.time_zone) })}</p>
        ) : null}
        {inspection.flags.length ? (
          <ul class="flags">
            {inspection.flags.map((flag) => (
              <li key={flag} class="flag">
                {t(`flag_${flag}` as MessageKey, { distance: formatNumber(inspection.start.distance_m, 0), radius: unit.geofence_radius_m })}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section class="card" aria-labelledby="findings-title">
        <h2 id="findings-title">{t("inspectionFindings")}</h2>
        <ul class="list-plain">
          {inspection.findings.map((finding) => (
            <li key={finding.id} class="finding">
              <strong>{t(`severity_${finding.severity}` as MessageKey)}</strong> · {t(`category_${finding.category}` as MessageKey)}
              {finding.item_key ? <span class="muted small"> · {finding.item_key}</span> : null}
              <p>{finding.description}</p>
              <EvidenceStrip hashes={finding.evidence} />
            </li>
          ))}
        </ul>
      </section>
      {actions.length > 0 ? (
        <section class="card" aria-labelledby="actions-title">
          <h2 id="actions-title">{t("navActions")}</h2>
          <ul class="list-plain">
            {actions.map((action) => (
              <li key={action.id}>
                <Link class="action-link" to={`/actions/${action.id}`}>
                  {lang() === "en" ? action.title_en : action.title_vi}
                </Link>
                <ActionStatusBadge status={action.status} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section class="card" aria-labelledby="answers-title">
        <h2 id="answers-title">{t("inspectionAnswers")}</h2>
        <table class="table">
          <tbody>
            {inspection.answers.map((answer) => {
              const stored = (answer.value ?? {}) as { value?: unknown; numerator?: number; denominator?: number };
              const shown =
                stored.numerator !== undefined && stored.numerator !== null
                  ? `${stored.numerator}/${stored.denominator}`
                  : String(stored.value ?? "—");
              return (
                <tr key={answer.item_key}>
                  <th scope="row">
                    {answer.item_key}
                    {itemText.get(answer.item_key) ? <span class="muted small"> {itemText.get(answer.item_key)}</span> : null}
                  </th>
                  <td>{shown}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section class="card" aria-labelledby="signatures-title">
        <h2 id="signatures-title">{t("inspectionSignatures")}</h2>
        <ul class="list-plain">
          {inspection.signatures.map((signature) => (
            <li key={signature.signer_role}>
              {signature.signer_role === "team_head" ? t("signTeamHead") : t("signUnitRep")}: {signature.signer_name}
              {signature.refused ? ` (${t("signRefused")})` : ""}
            </li>
          ))}
        </ul>
      </section>
      <MinutesLink view={view} />
    </>
  );
}

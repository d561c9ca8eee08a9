// Sealed plans: the list, and one plan with its targets, its commitment, the reveal of its
// nonce after the window and the verification anyone can run after that.
import { useState } from "preact/hooks";
import type { components } from "../../api/schema";
import { apiGet, apiSend } from "../../api/client";
import { formatDate, formatDateTime, formatNumber, t, type MessageKey } from "../../i18n";
import { Link } from "../../ui/Link";
import { StatusBadge } from "../Assignments";
import { CandidatesList, readCandidate, type CandidateRow } from "./Candidates";
import { PlanSamples } from "./SampleFields";
import { DEFAULT_TIME_ZONE, ErrorNote, Loading, problemText, unitName, useApi, useUnits, type UnitOut } from "./common";

type S = components["schemas"];
export type PlanOut = S["PlanOut"];
type RevealOut = S["RevealOut"];
type VerifyOut = S["VerifyOut"];
type UserOut = S["UserOut"];
/** A target as the server sends it now: drawn ones carry their sealed weight and risk. */
type TargetOut = PlanOut["targets"][number] & { weight?: number | null; risk?: unknown };

function zoneOf(units: UnitOut[] | undefined, unitId: string): string {
  return units?.find((unit) => unit.id === unitId)?.time_zone ?? DEFAULT_TIME_ZONE;
}

function nameOf(units: UnitOut[] | undefined, unitId: string): string {
  const unit = units?.find((entry) => entry.id === unitId);
  return unit ? unitName(unit) : unitId.slice(0, 8);
}

function selectionText(plan: PlanOut): string {
  return plan.selection === "drawn" ? t("selectionDrawn", { count: plan.draw_k ?? plan.targets.length }) : t("selectionListed", { count: plan.targets.length });
}

export function PlansScreen() {
  const plans = useApi<PlanOut[]>("/api/v1/plans");
  const units = useUnits();
  return (
    <section aria-labelledby="plans-title" class="leader">
      <div class="row-between">
        <h1 id="plans-title">{t("plansTitle")}</h1>
        <Link class="button button-primary" to="/plans/new">
          {t("planNew")}
        </Link>
      </div>
      <ErrorNote text={plans.error} />
      {plans.data === undefined && !plans.error ? <Loading /> : null}
      {plans.data && plans.data.length === 0 ? <p class="card">{t("plansEmpty")}</p> : null}
      <ul class="list leader-cards">
        {(plans.data ?? []).map((plan) => {
          const zone = zoneOf(units.data, plan.scope_unit_id);
          return (
            <li key={plan.id} class="card" data-testid="plan-row" data-plan={plan.id}>
              <Link class="action-link" to={`/plans/${plan.id}`}>
                <span class="action-title">{plan.title}</span>
              </Link>
              <p class="muted small">
                {nameOf(units.data, plan.scope_unit_id)} · {selectionText(plan)}
              </p>
              <p class="small">
                {t("windowRange", { start: formatDateTime(plan.window_start, zone), end: formatDateTime(plan.window_end, zone) })}
              </p>
              <p>
                <span class={plan.revealed_at ? "badge badge-signed" : "badge"}>{plan.revealed_at ? t("planRevealed") : t("planSealed")}</span>
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Every candidate of a drawn plan, from the inputs sealed in its document; the drawn ones
 * with the weight and terms the server gives its targets. */
function drawRows(plan: PlanOut, units: UnitOut[] | undefined): CandidateRow[] {
  const document = plan.document as { draw?: { candidates?: unknown[] } | null; targets?: Array<{ unit_id: string }> };
  const order = (document.targets ?? []).map((target) => target.unit_id);
  const targets = new Map((plan.targets as TargetOut[]).map((target) => [target.unit_id, target]));
  return (document.draw?.candidates ?? [])
    .map((raw) => {
      const target = targets.get(String((raw as { unit_id?: string }).unit_id));
      return readCandidate(target?.risk ? target : raw);
    })
    .filter((entry): entry is NonNullable<typeof entry> => entry !== null)
    .map((entry) => ({
      unitId: entry.unitId,
      name: nameOf(units, entry.unitId),
      inputs: entry.inputs,
      weight: entry.weight,
      terms: entry.terms,
      chance: null,
      drawnOrder: order.includes(entry.unitId) ? order.indexOf(entry.unitId) + 1 : null,
    }));
}

export function PlanDetailScreen({ id }: { id: string }) {
  const plan = useApi<PlanOut>(`/api/v1/plans/${id}`);
  const units = useUnits();
  const users = useApi<UserOut[]>("/api/v1/users?limit=500");
  if (plan.error) return <ErrorNote text={plan.error} />;
  if (!plan.data) return <Loading />;
  const data = plan.data;
  const zone = zoneOf(units.data, data.scope_unit_id);
  const userName = (userId: string) => users.data?.find((user) => user.id === userId)?.full_name ?? userId.slice(0, 8);
  const teams = (data.document as { teams?: Array<{ head_id: string; member_ids: string[] }> }).teams ?? [];
  const candidates = data.selection === "drawn" ? drawRows(data, units.data) : [];
  return (
    <section aria-labelledby="plan-title" class="leader">
      <h1 id="plan-title">{data.title}</h1>
      <p class="muted">
        {nameOf(units.data, data.scope_unit_id)} · {selectionText(data)}
      </p>
      <div class="leader-grid">
        <section class="card" aria-labelledby="plan-facts-title">
          <h2 id="plan-facts-title">{t("planFacts")}</h2>
          <dl class="facts">
            <dt>{t("planWindow")}</dt>
            <dd>{t("windowRange", { start: formatDateTime(data.window_start, zone), end: formatDateTime(data.window_end, zone) })}</dd>
            <dt>{t("planVisibility")}</dt>
            <dd>{t(`visibility_${data.assignment_visibility}` as MessageKey)}</dd>
            <dt>{t("planTeams")}</dt>
            <dd>
              {teams.map((team, index) => (
                <span key={index} class="team">
                  {t("teamHeadIs", { name: userName(team.head_id) })}
                  {team.member_ids.length ? ` · ${team.member_ids.map(userName).join(", ")}` : ""}
                </span>
              ))}
            </dd>
            <dt>{t("planCreatedAt")}</dt>
            <dd>{formatDateTime(data.created_at, zone)}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="commitment-title">
          <h2 id="commitment-title">{t("commitmentTitle")}</h2>
          <p class="small muted">{t("commitmentHint")}</p>
          <code class="hash" data-testid="commitment">
            {data.commitment}
          </code>
          {data.revealed_at ? (
            <>
              <p class="small">{t("revealedAt", { time: formatDateTime(data.revealed_at, zone) })}</p>
              <p class="small">{t("nonceLabel")}</p>
              <code class="hash" data-testid="nonce">
                {data.nonce}
              </code>
            </>
          ) : (
            <p class="small">{t("nonceSecret")}</p>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="targets-title">
        <h2 id="targets-title">{t("targetsTitle", { count: data.targets.length })}</h2>
        <ul class="list-plain">
          {data.targets.map((target, index) => {
            const weight = candidates.find((row) => row.unitId === target.unit_id)?.weight;
            return (
              <li key={target.inspection_id} class="target-row" data-testid="target" data-unit={target.unit_id}>
                <span>
                  {data.selection === "drawn" ? `${index + 1}. ` : ""}
                  <Link to={`/inspections/${target.inspection_id}`}>{nameOf(units.data, target.unit_id)}</Link>
                </span>
                <span class="muted small">
                  {t("visitOn", { date: formatDate(target.visit_date) })}
                  {weight !== undefined ? (
                    <>
                      {" · "}
                      <span data-testid="target-weight" data-value={weight}>
                        {t("weightShort", { weight: formatNumber(weight, 4) })}
                      </span>
                    </>
                  ) : null}
                </span>
                <StatusBadge status={target.status} local={false} />
              </li>
            );
          })}
        </ul>
      </section>
      {candidates.length ? (
        <section class="card" aria-labelledby="candidates-title">
          <details class="disclosure">
            <summary>
              <h2 id="candidates-title">{t("candidatesSealed", { count: candidates.length })}</h2>
            </summary>
            <p class="small muted">{t("candidatesSealedHint")}</p>
            <CandidatesList rows={candidates} label={t("candidatesSealed", { count: candidates.length })} testid="sealed-candidates" />
          </details>
        </section>
      ) : null}
      {data.dossier_samples ? <PlanSamples samples={data.dossier_samples} unitLabel={(unitId) => nameOf(units.data, unitId)} timeZone={zone} /> : null}
      <RevealVerify plan={data} onRevealed={plan.reload} />
    </section>
  );
}

function Check({ label, value }: { label: string; value: boolean | null }) {
  const text = value === null ? t("checkNotApplicable") : value ? t("checkYes") : t("checkNo");
  return (
    <>
      <dt>{label}</dt>
      <dd class={value === false ? "error" : value ? "ok" : "muted"}>{text}</dd>
    </>
  );
}

function RevealVerify({ plan, onRevealed }: { plan: PlanOut; onRevealed: () => void }) {
  const [busy, setBusy] = useState(false);
  const [revealError, setRevealError] = useState<string | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [result, setResult] = useState<VerifyOut | null>(null);
  const statusKey = result ? (`verify_${["match", "mismatch", "not_revealed"].includes(result.status) ? result.status : "other"}` as MessageKey) : null;
  return (
    <section class="card" aria-labelledby="reveal-title">
      <h2 id="reveal-title">{t("revealTitle")}</h2>
      <p class="small muted">{t("revealHint")}</p>
      <div class="leader-actions">
        {!plan.revealed_at ? (
          <button
            class="button"
            data-testid="reveal"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setRevealError(null);
              try {
                await apiSend<RevealOut>("POST", `/api/v1/plans/${plan.id}/reveal`);
                setResult(null);
                onRevealed();
              } catch (problem) {
                setRevealError(problemText(problem));
              } finally {
                setBusy(false);
              }
            }}
          >
            {t("revealButton")}
          </button>
        ) : null}
        <button
          class="button button-primary"
          data-testid="verify"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setVerifyError(null);
            try {
              setResult(await apiGet<VerifyOut>(`/api/v1/plans/${plan.id}/verify`));
            } catch (problem) {
              setVerifyError(problemText(problem));
            } finally {
              setBusy(false);
            }
          }}
        >
          {t("verifyButton")}
        </button>
      </div>
      {revealError ? (
        <p class="error" role="alert" data-testid="reveal-error">
          {t("revealRefused", { detail: revealError })}
        </p>
      ) : null}
      <ErrorNote text={verifyError} />
      {result && statusKey ? (
        <div class={`verify verify-${result.status}`} role="status" data-testid="verify-result" data-status={result.status}>
          <p class="verify-status">{t(statusKey)}</p>
          <p class="small">{result.explanation}</p>
          <dl class="facts">
            <dt>{t("hashPublished")}</dt>
            <dd>
              <code class="hash" data-testid="hash-published">
                {result.commitment_published ?? "—"}
              </code>
            </dd>
            {result.status !== "not_revealed" ? (
              <>
                <dt>{t("hashRecomputed")}</dt>
                <dd>
                  <code class="hash" data-testid="hash-recomputed">
                    {result.commitment_recomputed ?? "—"}
                  </code>
                </dd>
                <Check label={t("checkHash")} value={result.hash_matches} />
                <Check label={t("checkDraw")} value={result.draw_matches} />
                <Check label={t("checkInspections")} value={result.inspections_match} />
              </>
            ) : null}
            {result.nonce ? (
              <>
                <dt>{t("nonceLabel")}</dt>
                <dd>
                  <code class="hash">{result.nonce}</code>
                </dd>
              </>
            ) : null}
          </dl>
        </div>
      ) : null}
    </section>
  );
}

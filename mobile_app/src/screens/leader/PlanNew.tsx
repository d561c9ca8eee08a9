// A new sealed plan: listed targets, or k units drawn at random weighted by risk. For a draw,
// the server's preview shows every candidate's weight and what it comes from before sealing.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { components } from "../../api/schema";
import { apiSend } from "../../api/client";
import { formatDateTime, t, type MessageKey } from "../../i18n";
import { navigate } from "../../ui/router";
import { CandidatesList, readCandidate, type CandidateRow } from "./Candidates";
import { DEFAULT_TIME_ZONE, ErrorNote, labelOr, Loading, problemText, unitName, unitOptions, useApi, useMe, useUnits, type UnitOut } from "./common";
import { isoToWallTime, wallTimeToIso } from "./logic";
import type { PlanOut } from "./Plans";
import { defaultSampleChoice, sampleBody, SampleFields } from "./SampleFields";

type S = components["schemas"];
type TeamCandidate = S["TeamCandidateOut"];
type ChecklistTemplateOut = S["ChecklistTemplateOut"];
type PlanIn = S["PlanIn"];
type Visibility = S["AssignmentVisibility"];

/** POST /api/v1/plans/draw-preview (server/plans/schemas.py DrawPreviewOut). */
interface DrawPreviewOut {
  k: number;
  candidate_kinds: string[];
  candidate_count: number;
  can_draw: boolean;
  problem: string | null;
  computed_at: string;
  candidates: unknown[];
  left_out: Array<{ unit_id: string; code: string; name_vi: string; name_en: string; kind: string; reasons: string[] }>;
}

const DRAW_KINDS = ["commune", "ward", "town", "service_center"] as const;
const OTHER_KINDS = ["district", "department", "province"] as const;
const HOUR_MS = 3600_000;

/** The units of the subtree under `rootId` (itself first), in the tree order of `units`. */
function subtree(units: UnitOut[], rootId: string): UnitOut[] {
  const inside = new Set([rootId]);
  // `units` is ordered parents before children, so one pass finds every descendant.
  for (const unit of units) if (unit.parent_id && inside.has(unit.parent_id)) inside.add(unit.id);
  return units.filter((unit) => inside.has(unit.id));
}

function defaultWindow(timeZone: string): { start: string; end: string } {
  const start = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  return {
    start: isoToWallTime(new Date(start).toISOString(), timeZone),
    end: isoToWallTime(new Date(start + 7 * 24 * HOUR_MS).toISOString(), timeZone),
  };
}

export function PlanNewScreen() {
  const me = useMe();
  const units = useUnits();
  const checklists = useApi<ChecklistTemplateOut[]>("/api/v1/checklists");
  // Teams often come from a provincial office outside the leader's subtree.
  const inspectors = useApi<TeamCandidate[]>("/api/v1/users/team-candidates");
  if (units.error || checklists.error) return <ErrorNote text={units.error ?? checklists.error} />;
  if (me === undefined || !units.data || !checklists.data) return <Loading />;
  return (
    <PlanForm
      units={units.data}
      homeUnitId={me?.home_unit_id ?? units.data[0]?.id ?? ""}
      checklists={checklists.data}
      inspectors={(inspectors.data ?? []).filter((user) => user.role === "inspector")}
      inspectorsError={inspectors.error}
    />
  );
}

function PlanForm({
  units,
  homeUnitId,
  checklists,
  inspectors,
  inspectorsError,
}: {
  units: UnitOut[];
  homeUnitId: string;
  checklists: ChecklistTemplateOut[];
  inspectors: TeamCandidate[];
  inspectorsError: string | null;
}) {
  const versions = checklists.flatMap((template) => [...template.versions].reverse());
  const [title, setTitle] = useState("");
  const [versionId, setVersionId] = useState(versions[0]?.id ?? "");
  const [scopeId, setScopeId] = useState(homeUnitId);
  const scope = units.find((unit) => unit.id === scopeId);
  const timeZone = scope?.time_zone ?? DEFAULT_TIME_ZONE;
  const [planWindow, setPlanWindow] = useState(() => defaultWindow(timeZone));
  const [visibility, setVisibility] = useState<Visibility>("on_visit_day");
  const [headId, setHeadId] = useState("");
  const [memberIds, setMemberIds] = useState<string[]>([]);
  const [mode, setMode] = useState<"drawn" | "listed">("drawn");
  const [k, setK] = useState(1);
  const [kinds, setKinds] = useState<string[]>([...DRAW_KINDS]);
  const [targetIds, setTargetIds] = useState<string[]>([]);
  const [sample, setSample] = useState(() => defaultSampleChoice(timeZone));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const windowIso = useMemo(() => {
    try {
      return { start: wallTimeToIso(planWindow.start, timeZone), end: wallTimeToIso(planWindow.end, timeZone) };
    } catch {
      return null;
    }
  }, [planWindow.start, planWindow.end, timeZone]);
  const members = memberIds.filter((id) => id !== headId);
  const teams = headId ? [{ head_id: headId, member_ids: members }] : [];
  const preview = useDrawPreview(
    mode === "drawn" && headId && windowIso && k >= 1 && kinds.length
      ? { scope_unit_id: scopeId, window_start: windowIso.start, window_end: windowIso.end, teams, draw: { k, candidate_kinds: kinds } }
      : null,
  );
  const scopeUnits = subtree(units, scopeId);
  const sealable = !busy && (mode === "listed" || (preview.data !== null && preview.current));

  const toggle = (list: string[], id: string, on: boolean) => (on ? [...list.filter((entry) => entry !== id), id] : list.filter((entry) => entry !== id));

  return (
    <form
      class="leader plan-form"
      aria-labelledby="plan-new-title"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        if (!windowIso) return setError(t("planWindowInvalid"));
        if (!headId) return setError(t("planNeedsHead"));
        const body: PlanIn = {
          title: title.trim(),
          checklist_version_id: versionId,
          scope_unit_id: scopeId,
          window_start: windowIso.start,
          window_end: windowIso.end,
          assignment_visibility: visibility,
          teams,
          ...(mode === "drawn" ? { draw: { k, candidate_kinds: kinds } } : { targets: targetIds.map((unit_id) => ({ unit_id })) }),
          ...(sample.on ? { dossier_sample: sampleBody(sample) } : {}),
        };
        setBusy(true);
        try {
          const plan = await apiSend<PlanOut>("POST", "/api/v1/plans", body);
          navigate(`/plans/${plan.id}`);
        } catch (problem) {
          setError(t("planRefused", { detail: problemText(problem) }));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h1 id="plan-new-title">{t("planNewTitle")}</h1>
      <section class="card" aria-labelledby="plan-what-title">
        <h2 id="plan-what-title">{t("planWhat")}</h2>
        <label class="field">
          <span>{t("planTitleLabel")}</span>
          <input value={title} required maxLength={300} data-testid="plan-title" onInput={(event) => setTitle((event.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t("planChecklist")}</span>
          <select value={versionId} required data-testid="plan-checklist" onChange={(event) => setVersionId((event.target as HTMLSelectElement).value)}>
            {versions.map((version) => (
              <option key={version.id} value={version.id}>
                {t("checklistVersion", { title: unitName({ name_vi: version.title_vi, name_en: version.title_en }), version: version.version })}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t("planScope")}</span>
          <select
            value={scopeId}
            data-testid="plan-scope"
            onChange={(event) => {
              setScopeId((event.target as HTMLSelectElement).value);
              setTargetIds([]);
            }}
          >
            {unitOptions(units).map((option) => (
              <option key={option.id} value={option.id}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <div class="leader-dates">
          <label class="field">
            <span>{t("planWindowStart", { zone: timeZone })}</span>
            <input
              type="datetime-local"
              required
              value={planWindow.start}
              data-testid="plan-window-start"
              onInput={(event) => setPlanWindow({ ...planWindow, start: (event.target as HTMLInputElement).value })}
            />
          </label>
          <label class="field">
            <span>{t("planWindowEnd", { zone: timeZone })}</span>
            <input
              type="datetime-local"
              required
              value={planWindow.end}
              data-testid="plan-window-end"
              onInput={(event) => setPlanWindow({ ...planWindow, end: (event.target as HTMLInputElement).value })}
            />
          </label>
        </div>
        <fieldset class="field">
          <legend>{t("planVisibility")}</legend>
          {(["on_visit_day", "at_creation"] as const).map((value) => (
            <label key={value} class="check">
              <input type="radio" name="visibility" value={value} checked={visibility === value} onChange={() => setVisibility(value)} />
              <span>{t(`visibility_${value}` as MessageKey)}</span>
            </label>
          ))}
        </fieldset>
      </section>

      <section class="card" aria-labelledby="plan-team-title">
        <h2 id="plan-team-title">{t("planTeam")}</h2>
        <ErrorNote text={inspectorsError} />
        {inspectors.length === 0 && !inspectorsError ? <p class="warn">{t("planNoInspectors")}</p> : null}
        <label class="field">
          <span>{t("planHead")}</span>
          <select value={headId} required data-testid="plan-head" onChange={(event) => setHeadId((event.target as HTMLSelectElement).value)}>
            <option value="">{t("planChooseHead")}</option>
            {inspectors.map((user) => (
              <option key={user.id} value={user.id}>
                {user.full_name} ({user.username})
              </option>
            ))}
          </select>
        </label>
        {inspectors.length > 1 ? (
          <fieldset class="field">
            <legend>{t("planMembers")}</legend>
            {inspectors
              .filter((user) => user.id !== headId)
              .map((user) => (
                <label key={user.id} class="check">
                  <input
                    type="checkbox"
                    checked={memberIds.includes(user.id)}
                    onChange={(event) => setMemberIds(toggle(memberIds, user.id, (event.target as HTMLInputElement).checked))}
                  />
                  <span>
                    {user.full_name} ({user.username})
                  </span>
                </label>
              ))}
          </fieldset>
        ) : null}
      </section>

      <section class="card" aria-labelledby="plan-targets-title">
        <h2 id="plan-targets-title">{t("planTargets")}</h2>
        <fieldset class="field">
          <legend>{t("planHow")}</legend>
          <label class="check">
            <input type="radio" name="mode" value="drawn" data-testid="mode-drawn" checked={mode === "drawn"} onChange={() => setMode("drawn")} />
            <span>{t("planModeDrawn")}</span>
          </label>
          <label class="check">
            <input type="radio" name="mode" value="listed" data-testid="mode-listed" checked={mode === "listed"} onChange={() => setMode("listed")} />
            <span>{t("planModeListed")}</span>
          </label>
        </fieldset>
        {mode === "drawn" ? (
          <>
            <label class="field">
              <span>{t("planK")}</span>
              <input
                type="number"
                min={1}
                max={500}
                required
                inputMode="numeric"
                value={k}
                data-testid="plan-k"
                onInput={(event) => setK(Math.max(0, Math.floor(Number((event.target as HTMLInputElement).value) || 0)))}
              />
            </label>
            <fieldset class="field">
              <legend>{t("planKinds")}</legend>
              {[...DRAW_KINDS, ...OTHER_KINDS].map((kind) => (
                <label key={kind} class="check">
                  <input
                    type="checkbox"
                    checked={kinds.includes(kind)}
                    onChange={(event) => setKinds(toggle(kinds, kind, (event.target as HTMLInputElement).checked))}
                  />
                  <span>{t(`kind_${kind}` as MessageKey)}</span>
                </label>
              ))}
            </fieldset>
            <DrawPreview preview={preview} headChosen={headId !== ""} units={units} timeZone={timeZone} />
          </>
        ) : (
          <fieldset class="field" data-testid="listed-targets">
            <legend>{t("planChooseUnits")}</legend>
            <p class="muted small">{t("planListedHint")}</p>
            {scopeUnits.map((unit) => (
              <label key={unit.id} class="check">
                <input
                  type="checkbox"
                  checked={targetIds.includes(unit.id)}
                  onChange={(event) => setTargetIds(toggle(targetIds, unit.id, (event.target as HTMLInputElement).checked))}
                />
                <span>
                  {unitName(unit)} ({unit.code})
                </span>
              </label>
            ))}
          </fieldset>
        )}
      </section>

      <SampleFields value={sample} onChange={setSample} />

      <section class="card" aria-labelledby="plan-seal-title">
        <h2 id="plan-seal-title">{t("planSealTitle")}</h2>
        <p class="small muted">{t("planSealHint")}</p>
        {error ? (
          <p class="error" role="alert" data-testid="plan-error">
            {error}
          </p>
        ) : null}
        <button class="button button-primary button-block" type="submit" data-testid="plan-seal" disabled={!sealable}>
          {busy ? t("planSealing") : t("planSeal")}
        </button>
        {mode === "drawn" && !preview.current ? <p class="muted small">{t("planSealNeedsPreview")}</p> : null}
      </section>
    </form>
  );
}

interface PreviewState {
  data: DrawPreviewOut | null;
  error: string | null;
  loading: boolean;
  /** The preview shown is the one for the inputs as they are now. */
  current: boolean;
}

/** The server's preview for these inputs, asked again (after a short pause) when they change. */
function useDrawPreview(body: Record<string, unknown> | null): PreviewState {
  const key = body ? JSON.stringify(body) : null;
  const [state, setState] = useState<{ key: string | null; data: DrawPreviewOut | null; error: string | null }>({ key: null, data: null, error: null });
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    if (key === null) return;
    let alive = true;
    const timer = setTimeout(() => {
      setLoading(true);
      apiSend<DrawPreviewOut>("POST", "/api/v1/plans/draw-preview", JSON.parse(key))
        .then((data) => alive && setState({ key, data, error: null }))
        .catch((problem) => alive && setState({ key, data: null, error: problemText(problem) }))
        .finally(() => alive && setLoading(false));
    }, 250);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [key]);
  const current = key !== null && state.key === key && !loading;
  return { data: key === null ? null : state.data, error: key === null ? null : state.error, loading, current: current && state.data !== null };
}

function DrawPreview({ preview, headChosen, units, timeZone }: { preview: PreviewState; headChosen: boolean; units: UnitOut[]; timeZone: string }) {
  if (!headChosen) return <p class="muted">{t("previewNeedsHead")}</p>;
  const data = preview.data;
  const rows: CandidateRow[] = (data?.candidates ?? [])
    .map(readCandidate)
    .filter((entry): entry is NonNullable<typeof entry> => entry !== null)
    .map((entry) => ({
      unitId: entry.unitId,
      name: entry.names ? unitName(entry.names) : unitName(units.find((unit) => unit.id === entry.unitId)),
      inputs: entry.inputs,
      weight: entry.weight,
      terms: entry.terms,
      chance: entry.chance,
      drawnOrder: null,
    }));
  return (
    <section aria-labelledby="preview-title" data-testid="draw-preview" aria-busy={preview.loading}>
      <h3 id="preview-title">{t("previewTitle")}</h3>
      {preview.loading ? <p role="status">{t("previewLoading")}</p> : null}
      <ErrorNote text={preview.error} />
      {data ? (
        <>
          <p class="small muted">
            {t("previewHint", { count: data.candidate_count, k: data.k, time: formatDateTime(data.computed_at, timeZone) })}
          </p>
          {!data.can_draw && data.problem ? (
            <p class="error" data-testid="preview-problem">
              {data.problem}
            </p>
          ) : null}
          <CandidatesList rows={rows} label={t("previewTitle")} testid="preview-candidates" />
          {data.left_out.length ? (
            <>
              <h4>{t("leftOutTitle", { count: data.left_out.length })}</h4>
              <ul class="list-plain" data-testid="left-out">
                {data.left_out.map((entry) => (
                  <li key={entry.unit_id}>
                    {unitName(entry)} ({entry.code}): {entry.reasons.map((reason) => labelOr(`leftOut_${reason}`, reason)).join(", ")}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

// The sealed dossier sample on the phone: the dossiers an assignment's plan drew from the unit's
// ledger (kept from the bootstrap), and the inspector's comparison of each paper file with the
// system, recorded as `dossier_check` ops. Each op carries the whole check, so the server keeps
// the last one per dossier (by device time, as answers).
import type { CheckValue, SampledDossier } from "../api/types";
import {
  CHECK_KEYS,
  DATE_CHECKS,
  type AppDB,
  type CheckKey,
  type LocalDossierCheck,
  type PaperField,
  type QueuedOp,
  type StoredInspection,
} from "./db";
import { newOp, supersedeRejected } from "./record";

/** What a check holds, without where it belongs. */
export type CheckFields = Pick<LocalDossierCheck, "checks" | "paper" | "note" | "evidence">;

/** The server's limits on a check (DossierCheckIn). */
export const NOTE_MAX = 2000;
export const EVIDENCE_MAX = 20;

export const PAPER_FIELDS = Object.values(DATE_CHECKS) as PaperField[];

export const UNCHECKED: CheckFields = {
  checks: Object.fromEntries(CHECK_KEYS.map((key) => [key, "not_checked"])) as Record<CheckKey, CheckValue>,
  paper: Object.fromEntries(PAPER_FIELDS.map((field) => [field, null])) as Record<PaperField, string | null>,
  note: null,
  evidence: [],
};

export function subjectOf(dossierCode: string): string {
  return `dossier:${dossierCode}`;
}

/** A check as it is sent and kept: a paper date only where its date check is a mismatch (what
 * the paper shows is the point of a mismatch, and means nothing beside a match), a blank note as
 * none, each photo once. */
export function normalise(fields: CheckFields): CheckFields {
  const checks = { ...UNCHECKED.checks, ...fields.checks };
  const paper = { ...UNCHECKED.paper };
  for (const [check, field] of Object.entries(DATE_CHECKS) as Array<[CheckKey, PaperField]>) {
    paper[field] = checks[check] === "mismatch" ? (fields.paper[field] ?? null) : null;
  }
  const note = fields.note && fields.note.trim() ? fields.note : null;
  return { checks, paper, note, evidence: [...new Set(fields.evidence)] };
}

export type CheckProblem = "noteTooLong" | "tooManyPhotos" | "paperDateInvalid";

/** Why the server would refuse this check, or null. */
export function checkProblem(fields: CheckFields): CheckProblem | null {
  if (fields.note !== null && fields.note.length > NOTE_MAX) return "noteTooLong";
  if (fields.evidence.length > EVIDENCE_MAX) return "tooManyPhotos";
  for (const field of PAPER_FIELDS) {
    const value = fields.paper[field];
    if (value !== null && Number.isNaN(Date.parse(value))) return "paperDateInvalid";
  }
  return null;
}

/** The `dossier_check` op's payload (docs/sync-protocol.md): every check named, `paper` only
 * with the dates the paper shows, `note` only when there is one. */
export function checkPayload(check: LocalDossierCheck): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    inspection_id: check.inspectionId,
    dossier_code: check.dossierCode,
    checks: Object.fromEntries(CHECK_KEYS.map((key) => [key, check.checks[key]])),
  };
  const paper = Object.fromEntries(PAPER_FIELDS.filter((field) => check.paper[field] !== null).map((field) => [field, check.paper[field]]));
  if (Object.keys(paper).length > 0) payload.paper = paper;
  if (check.note !== null) payload.note = check.note;
  payload.evidence = check.evidence;
  payload.device_time = check.deviceTime;
  return payload;
}

function sameFields(a: CheckFields, b: CheckFields): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

export type CheckUpdate =
  | { check: LocalDossierCheck | null; problem: null }
  | { check: null; problem: CheckProblem };

/** Applies `change` to the dossier's check as the phone holds it at this moment, read in the
 * same IndexedDB transaction as the write of the check and its op (as answers are): two quick
 * changes (a photo still being shrunk while a choice is tapped) each build on the other. `base`
 * stands in when the phone has recorded nothing yet (the server's check, or none). The device
 * time is the moment of the change, never of sending: the server orders checks by it. Nothing is
 * recorded when the result would be refused, or when nothing changes. */
export async function updateDossierCheck(
  db: AppDB,
  where: { inspectionId: string; dossierCode: string },
  base: CheckFields,
  change: (current: CheckFields) => Partial<CheckFields>,
  now: () => Date = () => new Date(),
): Promise<CheckUpdate> {
  const tx = db.transaction(["dossierChecks", "ops"], "readwrite");
  const stored = await tx.objectStore("dossierChecks").get([where.inspectionId, where.dossierCode]);
  const storedOp = stored ? await tx.objectStore("ops").index("byOpId").get(stored.opId) : undefined;
  // A check the server turned down for a teammate's newer one is not what the screen showed.
  const current = normalise(stored && !keptOut(storedOp) ? stored : base);
  const requested = change(current);
  const next = normalise({
    ...current,
    ...requested,
    checks: { ...current.checks, ...requested.checks },
    paper: { ...current.paper, ...requested.paper },
  });
  const problem = checkProblem(next);
  if (problem !== null || sameFields(current, next)) {
    await tx.done;
    return problem !== null ? { check: null, problem } : { check: stored ?? null, problem: null };
  }
  const deviceTime = now().toISOString();
  const draft: LocalDossierCheck = { ...where, ...next, deviceTime, opId: "" };
  const subject = subjectOf(where.dossierCode);
  const op = newOp("dossier_check", checkPayload(draft), where.inspectionId, subject, next.evidence);
  const check: LocalDossierCheck = { ...draft, opId: op.opId };
  await supersedeRejected(tx.objectStore("ops"), where.inspectionId, subject);
  await tx.objectStore("dossierChecks").put(check);
  await tx.objectStore("ops").put(op);
  await tx.done;
  return { check, problem: null };
}

// --- what the screens show ------------------------------------------------------------------

export type DossierState = "unchecked" | "checked" | "mismatch";

export interface DossierRow {
  dossier: SampledDossier;
  check: CheckFields;
  /** Recorded on this phone and perhaps not confirmed yet. */
  local: boolean;
  state: DossierState;
  mismatches: CheckKey[];
  rejected: QueuedOp | undefined;
}

export interface SampleProgress {
  total: number;
  /** Dossiers with at least one check made (match or mismatch). */
  checked: number;
  /** Dossiers with at least one mismatch: each becomes a finding on submit. */
  mismatched: number;
  unchecked: string[];
  rejected: string[];
}

export function mismatchesOf(check: CheckFields): CheckKey[] {
  return CHECK_KEYS.filter((key) => check.checks[key] === "mismatch");
}

export function stateOf(check: CheckFields): DossierState {
  if (mismatchesOf(check).length > 0) return "mismatch";
  return CHECK_KEYS.some((key) => check.checks[key] === "match") ? "checked" : "unchecked";
}

function serverChecks(inspection: StoredInspection | undefined): Map<string, CheckFields> {
  const found = new Map<string, CheckFields>();
  // Kept on the inspection's row: from the bootstrap's assignment, or a pull of /changes.
  const list = inspection?.dossier_checks ?? [];
  for (const check of list) {
    found.set(
      check.dossier_code,
      normalise({
        checks: { ...UNCHECKED.checks, ...(check.checks as Partial<Record<CheckKey, CheckValue>>) },
        paper: { ...UNCHECKED.paper, ...(check.paper as Partial<Record<PaperField, string | null>>) },
        note: check.note,
        evidence: check.evidence,
      }),
    );
  }
  return found;
}

/** Whether the server answered the op of this phone's last check with "a newer check is
 * already recorded" (a teammate's, made later): then the server's is the one that counts. */
function keptOut(op: QueuedOp | undefined): boolean {
  return op?.status === "done" && typeof (op.result as { kept?: unknown } | null)?.kept === "string";
}

/** The sample's rows: this phone's checks over the server's (they are newer, and the server
 * orders them the same way) unless the server kept a newer one, each with its newest
 * rejection. */
export function sampleRows(
  dossiers: SampledDossier[],
  local: LocalDossierCheck[],
  inspection: StoredInspection | undefined,
  rejected: Record<string, QueuedOp>,
  ops: QueuedOp[] = [],
): DossierRow[] {
  const fromServer = serverChecks(inspection);
  const byOpId = new Map(ops.map((op) => [op.opId, op]));
  const fromPhone = new Map(
    local
      .filter((check) => !(keptOut(byOpId.get(check.opId)) && fromServer.has(check.dossierCode)))
      .map((check) => [check.dossierCode, check]),
  );
  return dossiers.map((dossier) => {
    const mine = fromPhone.get(dossier.dossier_code);
    const check = mine ? normalise(mine) : (fromServer.get(dossier.dossier_code) ?? UNCHECKED);
    return {
      dossier,
      check,
      local: Boolean(mine),
      state: stateOf(check),
      mismatches: mismatchesOf(check),
      rejected: rejected[subjectOf(dossier.dossier_code)],
    };
  });
}

export function progressOf(rows: DossierRow[]): SampleProgress {
  return {
    total: rows.length,
    checked: rows.filter((row) => row.state !== "unchecked").length,
    mismatched: rows.filter((row) => row.state === "mismatch").length,
    unchecked: rows.filter((row) => row.state === "unchecked").map((row) => row.dossier.dossier_code),
    rejected: rows.filter((row) => row.rejected).map((row) => row.dossier.dossier_code),
  };
}

/** The sample's codes and checks as the checklist's `dossier_sample` measures read them
 * (rules/prefill.ts): the same rows the sample's screens show. */
export function measuredChecks(rows: DossierRow[] | null | undefined): {
  sampled: string[] | null;
  checks: Record<string, Partial<Record<string, string>>>;
} {
  if (!rows) return { sampled: null, checks: {} };
  return {
    sampled: rows.map((row) => row.dossier.dossier_code),
    checks: Object.fromEntries(rows.map((row) => [row.dossier.dossier_code, row.check.checks])),
  };
}

/** The assignment's sample with this phone's checks, or null when it has no sample. */
export async function loadSample(
  db: AppDB,
  inspectionId: string,
  rejected: Record<string, QueuedOp>,
): Promise<DossierRow[] | null> {
  // One transaction, and the rest only when there is a sample: screens read this after every
  // change, and most assignments have none.
  const tx = db.transaction(["samples", "inspections", "dossierChecks", "ops"], "readonly");
  const sample = await tx.objectStore("samples").get(inspectionId);
  if (!sample || sample.dossiers.length === 0) return null;
  const [inspection, local, ops] = await Promise.all([
    tx.objectStore("inspections").get(inspectionId),
    tx.objectStore("dossierChecks").index("byInspection").getAll(inspectionId),
    tx.objectStore("ops").index("byInspection").getAll(inspectionId),
  ]);
  return sampleRows(sample.dossiers, local, inspection, rejected, ops);
}

/** Keeps each assignment's sample from a bootstrap: replaced when the server sends one, removed
 * when it says there is none (`null`), left alone when it says nothing (an older server). The
 * checks recorded on the phone are never touched here. */
export function samplesOf(
  assignments: Array<{ id: string; dossier_sample?: SampledDossier[] | null }>,
): { keep: Array<{ inspectionId: string; dossiers: SampledDossier[] }>; drop: string[] } {
  const keep: Array<{ inspectionId: string; dossiers: SampledDossier[] }> = [];
  const drop: string[] = [];
  for (const assignment of assignments) {
    if (assignment.dossier_sample === undefined) continue;
    if (assignment.dossier_sample === null || assignment.dossier_sample.length === 0) drop.push(assignment.id);
    else keep.push({ inspectionId: assignment.id, dossiers: assignment.dossier_sample });
  }
  return { keep, drop };
}

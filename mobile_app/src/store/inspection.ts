// One inspection as a screen needs it: the server's last word merged with what this phone has
// recorded since (local changes win: they are newer, and the server orders them the same way).
import type {
  ChecklistVersionOut,
  InspectionOut,
  InspectionSummary,
  SignerRole,
} from "../api/types";
import type {
  AnswerSource,
  AppDB,
  LocalFinding,
  LocalProgress,
  LocalSignature,
  QueuedOp,
  StoredInspection,
} from "./db";

export interface ViewAnswer {
  value: string | number | null;
  numerator: number | null;
  denominator: number | null;
  note: string | null;
  evidence: string[];
  /** "dossier_ledger" when the value was taken from the ledger's pre-fill. */
  source?: AnswerSource | null;
  local: boolean;
}

export interface ViewSignature {
  signerRole: SignerRole;
  signerName: string;
  signatureSha256: string | null;
  refused: boolean;
  refusalReason: string | null;
  witnessName: string | null;
  local: boolean;
}

export type EffectiveStatus = InspectionSummary["status"];

/** The server refuses a start this long after the window's end (START_GRACE on the server). */
export const START_GRACE_MS = 12 * 3600 * 1000;

export function windowEnded(inspection: InspectionSummary, now: Date = new Date()): boolean {
  return now.getTime() > Date.parse(inspection.window_end) + START_GRACE_MS;
}

export interface InspectionView {
  inspection: StoredInspection;
  checklist: ChecklistVersionOut | undefined;
  answers: Record<string, ViewAnswer>;
  findings: LocalFinding[];
  signatures: Partial<Record<SignerRole, ViewSignature>>;
  progress: LocalProgress | undefined;
  /** The newest rejected op per subject ("item:A1", "start", "submit", "sign:team_head"…). */
  rejected: Record<string, QueuedOp>;
  pending: number;
  status: EffectiveStatus;
  /** The status differs from the server's because of changes not confirmed yet. */
  statusIsLocal: boolean;
}

function isDetail(inspection: InspectionSummary | InspectionOut): inspection is InspectionOut {
  return "answers" in inspection;
}

function serverAnswers(inspection: InspectionSummary | InspectionOut): Record<string, ViewAnswer> {
  const answers: Record<string, ViewAnswer> = {};
  if (!isDetail(inspection)) return answers;
  for (const answer of inspection.answers) {
    const stored = (answer.value ?? {}) as {
      value?: string | number | null;
      numerator?: number | null;
      denominator?: number | null;
    };
    answers[answer.item_key] = {
      value: stored.value ?? null,
      numerator: stored.numerator ?? null,
      denominator: stored.denominator ?? null,
      note: answer.note,
      evidence: answer.evidence,
      source: answer.source ?? null,
      local: false,
    };
  }
  return answers;
}

const ORDER: EffectiveStatus[] = ["planned", "in_progress", "submitted", "signed", "closed"];

function later(a: EffectiveStatus, b: EffectiveStatus): EffectiveStatus {
  if (a === "cancelled" || b === "cancelled") return "cancelled";
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

export function bothSigned(signatures: Partial<Record<SignerRole, ViewSignature>>): boolean {
  return Boolean(signatures.team_head && signatures.unit_representative);
}

/** Checklist versions are immutable (published once, never edited), and the largest thing an
 * inspection's screen reads (about 100 KB): each is read once per database, not after every
 * change. */
const checklistsRead = new WeakMap<AppDB, Map<string, ChecklistVersionOut>>();

function checklistCache(db: AppDB): Map<string, ChecklistVersionOut> {
  let cache = checklistsRead.get(db);
  if (!cache) checklistsRead.set(db, (cache = new Map()));
  return cache;
}

export async function loadInspection(db: AppDB, id: string): Promise<InspectionView | null> {
  // One transaction for all of it (screens read this after every change): one snapshot, and one
  // transaction to set up instead of seven.
  const tx = db.transaction(
    ["inspections", "checklists", "answers", "findings", "signatures", "progress", "ops"],
    "readonly",
  );
  const inspection = await tx.objectStore("inspections").get(id);
  if (!inspection) return null;
  const checklists = checklistCache(db);
  const known = checklists.get(inspection.checklist_version_id);
  const [checklist, localAnswers, findings, localSignatures, progress, ops] = await Promise.all([
    known ?? tx.objectStore("checklists").get(inspection.checklist_version_id),
    tx.objectStore("answers").index("byInspection").getAll(id),
    tx.objectStore("findings").index("byInspection").getAll(id),
    tx.objectStore("signatures").index("byInspection").getAll(id),
    tx.objectStore("progress").get(id),
    tx.objectStore("ops").index("byInspection").getAll(id),
  ]);
  if (checklist && !known) checklists.set(checklist.id, checklist);
  const answers = serverAnswers(inspection);
  for (const answer of localAnswers) {
    answers[answer.itemKey] = {
      value: answer.value,
      numerator: answer.numerator,
      denominator: answer.denominator,
      note: answer.note,
      evidence: answer.evidence,
      source: answer.source ?? null,
      local: true,
    };
  }
  const signatures: Partial<Record<SignerRole, ViewSignature>> = {};
  if (isDetail(inspection)) {
    for (const signature of inspection.signatures) {
      const role = signature.signer_role as SignerRole;
      signatures[role] = {
        signerRole: role,
        signerName: signature.signer_name,
        signatureSha256: signature.image_sha256,
        refused: signature.refused,
        refusalReason: signature.refusal_reason,
        witnessName: signature.witness_name,
        local: false,
      };
    }
  }
  for (const signature of localSignatures as LocalSignature[]) {
    signatures[signature.signerRole] ??= { ...signature, local: true };
  }
  const rejected: Record<string, QueuedOp> = {};
  let pending = 0;
  for (const op of ops.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))) {
    if (op.status === "pending") pending += 1;
    if (op.status === "rejected" && op.subject) rejected[op.subject] = op;
  }
  let status: EffectiveStatus = inspection.status;
  if (progress?.startedAt && !rejected.start) status = later(status, "in_progress");
  if (progress?.submittedAt && !rejected.submit) status = later(status, "submitted");
  if (status === "submitted" && bothSigned(signatures)) status = "signed";
  return {
    inspection,
    checklist,
    answers,
    findings: findings.sort((a, b) => a.deviceTime.localeCompare(b.deviceTime)),
    signatures,
    progress,
    rejected,
    pending,
    status,
    statusIsLocal: status !== inspection.status,
  };
}

export interface AssignmentRow {
  inspection: InspectionSummary;
  status: EffectiveStatus;
  local: boolean;
  ended: boolean;
}

export async function loadAssignments(
  db: AppDB,
): Promise<AssignmentRow[]> {
  const inspections = await db.getAll("inspections");
  const rows: AssignmentRow[] = [];
  for (const inspection of inspections) {
    const view = await loadInspection(db, inspection.id);
    if (!view) continue;
    const ended = view.status === "planned" && windowEnded(inspection);
    rows.push({ inspection, status: view.status, local: view.statusIsLocal, ended });
  }
  // What the inspector can work on comes first; finished or missed visits after.
  const rank = (row: AssignmentRow) =>
    row.ended || row.status === "signed" || row.status === "closed" || row.status === "cancelled" ? 1 : 0;
  return rows.sort(
    (a, b) => rank(a) - rank(b) || a.inspection.visit_date.localeCompare(b.inspection.visit_date),
  );
}

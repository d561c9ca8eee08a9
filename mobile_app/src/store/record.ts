// Every change the user makes: the local record and the op that tells the server, written in
// one IndexedDB transaction, so there is never a saved answer without its op or the reverse.
import type { IDBPTransaction } from "idb";
import type { FindingCategory, FindingSeverity, PhoneOpType, SignerRole } from "../api/types";
import { preparePhoto, sha256Hex } from "../photo";
import type {
  AnswerSource,
  AppDB,
  LocalAnswer,
  LocalFinding,
  LocalProgress,
  LocalSignature,
  QueuedOp,
  SpotcheckDB,
  StoredEvidence,
} from "./db";

export function newOp(
  type: PhoneOpType,
  payload: Record<string, unknown>,
  inspectionId: string | null,
  subject: string | null,
  evidence: string[] = [],
): QueuedOp {
  return {
    opId: crypto.randomUUID(),
    type,
    payload,
    inspectionId,
    subject,
    evidence,
    status: "pending",
    attempts: 0,
    reason: null,
    result: null,
    createdAt: new Date().toISOString(),
    settledAt: null,
  };
}

type OpsStore = {
  index(name: "byStatus"): {
    getAll(query: string): Promise<QueuedOp[]>;
  };
  put(value: QueuedOp): Promise<number>;
};

/** A newer change to the same subject answers an earlier rejection: it stays in the log as
 * superseded, never silently deleted. Looked for among the rejected ops (a handful at most), not
 * among all of the inspection's, which every answer adds to. */
export async function supersedeRejected(
  ops: OpsStore,
  inspectionId: string,
  subject: string,
): Promise<void> {
  for (const op of await ops.index("byStatus").getAll("rejected")) {
    if (op.inspectionId === inspectionId && op.subject === subject) {
      await ops.put({ ...op, status: "superseded", settledAt: new Date().toISOString() });
    }
  }
}

export interface AnswerChange {
  inspectionId: string;
  itemKey: string;
  value: string | number | null;
  numerator: number | null;
  denominator: number | null;
  note: string | null;
  evidence: string[];
  /** "dossier_ledger" when the value is the ledger's pre-filled one, taken by the inspector. */
  source?: AnswerSource | null;
}

/** What an answer holds, without where it belongs. */
export type AnswerFields = Omit<AnswerChange, "inspectionId" | "itemKey">;

type AnswersTx = IDBPTransaction<SpotcheckDB, ["answers", "ops"], "readwrite">;

async function putAnswer(tx: AnswersTx, change: AnswerChange): Promise<LocalAnswer> {
  const deviceTime = new Date().toISOString();
  const note = change.note && change.note.trim() ? change.note : null;
  const op = newOp(
    "answer",
    {
      inspection_id: change.inspectionId,
      item_key: change.itemKey,
      value: change.value,
      numerator: change.numerator,
      denominator: change.denominator,
      note,
      evidence: change.evidence,
      device_time: deviceTime,
      // Only when taken from the ledger, so other answers' ops keep the payload they had.
      ...(change.source ? { source: change.source } : {}),
    },
    change.inspectionId,
    `item:${change.itemKey}`,
    change.evidence,
  );
  const answer: LocalAnswer = { ...change, note, source: change.source ?? null, deviceTime, opId: op.opId };
  await supersedeRejected(tx.objectStore("ops"), change.inspectionId, `item:${change.itemKey}`);
  await tx.objectStore("answers").put(answer);
  await tx.objectStore("ops").put(op);
  return answer;
}

/** Records the whole answer as given. */
export async function recordAnswer(db: AppDB, change: AnswerChange): Promise<LocalAnswer> {
  const tx = db.transaction(["answers", "ops"], "readwrite");
  const answer = await putAnswer(tx, change);
  await tx.done;
  return answer;
}

/** Only the answer's own fields (a screen's answer also says where it came from). */
function fieldsOf(answer: AnswerFields): AnswerFields {
  const { value, numerator, denominator, note, evidence, source } = answer;
  return { value, numerator, denominator, note, evidence, source: source ?? null };
}

/** A change to the value that does not say where it came from was typed: it is no longer the
 * ledger's value, even if it happens to be equal (the server then says "matches"). */
function withSource(delta: Partial<AnswerFields>): Partial<AnswerFields> {
  const touchesValue = "value" in delta || "numerator" in delta || "denominator" in delta;
  return touchesValue && !("source" in delta) ? { ...delta, source: null } : delta;
}

export type AnswerUpdate = { answer: LocalAnswer; problem: null } | { answer: null; problem: string };

/** Applies `change` to the item's answer as the phone holds it at this moment, read in the same
 * transaction as the write: two quick changes to one item (a photo still being shrunk while the
 * note is typed, two taps on a stepper) each build on the other instead of one undoing the other,
 * whatever the screen showed when they began. `base` stands in when nothing is recorded on the
 * phone yet (the server's answer, or none). Nothing is recorded when `check` finds a problem. */
export async function updateAnswer(
  db: AppDB,
  where: { inspectionId: string; itemKey: string },
  base: AnswerFields,
  change: (current: AnswerFields) => Partial<AnswerFields>,
  check: (next: AnswerFields) => string | null,
): Promise<AnswerUpdate> {
  const tx = db.transaction(["answers", "ops"], "readwrite");
  const stored = await tx.objectStore("answers").get([where.inspectionId, where.itemKey]);
  const current = fieldsOf(stored ?? base);
  const next = fieldsOf({ ...current, ...withSource(change(current)) });
  const problem = check(next);
  const answer = problem === null ? await putAnswer(tx, { ...where, ...next }) : null;
  await tx.done;
  return problem === null ? { answer: answer!, problem: null } : { answer: null, problem };
}

export interface Position {
  latitude: number;
  longitude: number;
  accuracy: number | null;
}

export async function recordStart(
  db: AppDB,
  inspectionId: string,
  position: Position | null,
  expected: { flags: string[]; distance: number | null },
): Promise<void> {
  const deviceTime = new Date().toISOString();
  const payload: Record<string, unknown> = { inspection_id: inspectionId, device_time: deviceTime };
  if (position) {
    payload.latitude = position.latitude;
    payload.longitude = position.longitude;
    if (position.accuracy !== null) payload.accuracy_m = Math.min(position.accuracy, 100_000);
  }
  const tx = db.transaction(["progress", "ops"], "readwrite");
  const progress: LocalProgress = (await tx.objectStore("progress").get(inspectionId)) ?? {
    inspectionId,
    startedAt: null,
    startFlags: [],
    startDistanceM: null,
    submittedAt: null,
  };
  if (progress.startedAt) {
    await tx.done;
    return; // one start per inspection, even if two taps race
  }
  await tx.objectStore("progress").put({
    ...progress,
    startedAt: deviceTime,
    startFlags: expected.flags,
    startDistanceM: expected.distance,
  });
  await tx.objectStore("ops").put(newOp("start", payload, inspectionId, "start"));
  await tx.done;
}

export async function recordSubmit(db: AppDB, inspectionId: string): Promise<void> {
  const deviceTime = new Date().toISOString();
  const tx = db.transaction(["progress", "ops"], "readwrite");
  const progress = await tx.objectStore("progress").get(inspectionId);
  const base: LocalProgress = progress ?? {
    inspectionId,
    startedAt: null,
    startFlags: [],
    startDistanceM: null,
    submittedAt: null,
  };
  await supersedeRejected(tx.objectStore("ops"), inspectionId, "submit");
  await tx.objectStore("progress").put({ ...base, submittedAt: deviceTime });
  await tx
    .objectStore("ops")
    .put(newOp("submit", { inspection_id: inspectionId, device_time: deviceTime }, inspectionId, "submit"));
  await tx.done;
}

export interface FindingChange {
  inspectionId: string;
  category: FindingCategory;
  severity: FindingSeverity;
  description: string;
  staffName: string | null;
  evidence: string[];
}

export async function recordFinding(db: AppDB, change: FindingChange): Promise<LocalFinding> {
  const deviceTime = new Date().toISOString();
  const findingId = crypto.randomUUID();
  const payload: Record<string, unknown> = {
    inspection_id: change.inspectionId,
    finding_id: findingId,
    category: change.category,
    severity: change.severity,
    description: change.description,
    evidence: change.evidence,
    device_time: deviceTime,
  };
  if (change.staffName) payload.staff_name = change.staffName;
  const op = newOp("finding", payload, change.inspectionId, `finding:${findingId}`, change.evidence);
  const finding: LocalFinding = { ...change, findingId, deviceTime, opId: op.opId };
  const tx = db.transaction(["findings", "ops"], "readwrite");
  await tx.objectStore("findings").put(finding);
  await tx.objectStore("ops").put(op);
  await tx.done;
  return finding;
}

export interface SignatureChange {
  inspectionId: string;
  signerRole: SignerRole;
  signerName: string;
  signatureSha256: string | null;
  refused: boolean;
  refusalReason: string | null;
  witnessName: string | null;
}

export async function recordSignature(db: AppDB, change: SignatureChange): Promise<void> {
  const deviceTime = new Date().toISOString();
  const payload: Record<string, unknown> = {
    inspection_id: change.inspectionId,
    signer_role: change.signerRole,
    signer_name: change.signerName,
    device_time: deviceTime,
  };
  if (change.refused) {
    payload.refused = true;
    payload.refusal_reason = change.refusalReason;
    payload.witness_name = change.witnessName;
  } else {
    payload.signature_sha256 = change.signatureSha256;
  }
  const evidence = change.signatureSha256 ? [change.signatureSha256] : [];
  const subject = `sign:${change.signerRole}`;
  const op = newOp("sign", payload, change.inspectionId, subject, evidence);
  const signature: LocalSignature = { ...change, deviceTime, opId: op.opId };
  const tx = db.transaction(["signatures", "ops"], "readwrite");
  await supersedeRejected(tx.objectStore("ops"), change.inspectionId, subject);
  await tx.objectStore("signatures").put(signature);
  await tx.objectStore("ops").put(op);
  await tx.done;
}

/** Keeps a photo or signature image by its hash; the same bytes twice are one file. */
export async function storeEvidence(db: AppDB, evidence: StoredEvidence): Promise<void> {
  const tx = db.transaction("evidence", "readwrite");
  if (!(await tx.store.get(evidence.sha256))) await tx.store.put(evidence);
  await tx.done;
}

/** A camera photo, downscaled and hashed on the phone, then kept; returns its hash. */
export async function keepPhoto(db: AppDB, file: Blob): Promise<string> {
  const photo = await preparePhoto(file);
  await storeEvidence(db, {
    sha256: photo.sha256,
    blob: photo.blob,
    mediaType: photo.mediaType,
    width: photo.width,
    height: photo.height,
    createdAt: new Date().toISOString(),
    uploaded: false,
    refusal: null,
  });
  return photo.sha256;
}

/** An image made on the phone (a signature), kept as it is; returns its hash. */
export async function keepImage(db: AppDB, image: Blob, mediaType: string): Promise<string> {
  const sha256 = await sha256Hex(image);
  await storeEvidence(db, {
    sha256,
    blob: image,
    mediaType,
    width: null,
    height: null,
    createdAt: new Date().toISOString(),
    uploaded: false,
    refusal: null,
  });
  return sha256;
}

// Everything the phone knows lives in IndexedDB first: what is shown as saved has been written
// here, so a reload, a closed tab or a rebooted phone loses nothing.
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type {
  ActionDetailOut,
  ActionOut,
  AssignmentOut,
  ChecklistVersionOut,
  FindingCategory,
  FindingSeverity,
  InspectionOut,
  CheckValue,
  DossierCheckOut,
  InspectionSummary,
  Me,
  PhoneOpType,
  SampledDossier,
  SignerRole,
} from "../api/types";

export const DB_NAME = "spotcheck";
/** Raise it with a new step in `upgradeStores`; never change an earlier step (phones in the
 * field hold every older layout, with ops still queued in them). */
export const DB_VERSION = 3;

/** The inspector's current answer to one item, as last written on this phone. */
export interface LocalAnswer {
  inspectionId: string;
  itemKey: string;
  value: string | number | null;
  numerator: number | null;
  denominator: number | null;
  note: string | null;
  evidence: string[];
  /** "dossier_ledger" / "dossier_sample" when the value was taken from that pre-fill (absent: typed). */
  source?: AnswerSource | null;
  deviceTime: string;
  opId: string;
}

export type AnswerSource = "dossier_ledger" | "dossier_sample";

/** An assignment as the phone keeps it: the server's summary or detail, with the dossier
 * ledger's pre-filled values the bootstrap gave (kept when a detail replaces the summary) and the
 * checks of its sampled dossiers recorded on the server so far (from the bootstrap, then from each
 * pull of /changes). */
export type StoredInspection = (InspectionSummary | InspectionOut) & {
  prefill?: AssignmentOut["prefill"];
  dossier_checks?: DossierCheckOut[];
};

export interface LocalFinding {
  findingId: string;
  inspectionId: string;
  category: FindingCategory;
  severity: FindingSeverity;
  description: string;
  staffName: string | null;
  evidence: string[];
  deviceTime: string;
  opId: string;
}

export interface LocalSignature {
  inspectionId: string;
  signerRole: SignerRole;
  signerName: string;
  signatureSha256: string | null;
  refused: boolean;
  refusalReason: string | null;
  witnessName: string | null;
  deviceTime: string;
  opId: string;
}

/** What this phone did to an inspection before the server confirmed it (start, submit). */
export interface LocalProgress {
  inspectionId: string;
  startedAt: string | null;
  startFlags: string[];
  startDistanceM: number | null;
  submittedAt: string | null;
}

/** The sealed dossier sample of one assignment, as the bootstrap gave it. */
export interface StoredSample {
  inspectionId: string;
  dossiers: SampledDossier[];
}

// receipt_slip came after the first six: a check stored before it reads it as not checked.
export const CHECK_KEYS = ["received", "resolved", "returned", "components", "result", "fee_receipt", "receipt_slip"] as const;
export type CheckKey = (typeof CHECK_KEYS)[number];
/** The three checks whose mismatch can say what the paper shows instead. */
export const DATE_CHECKS = { received: "received_at", resolved: "resolved_at", returned: "returned_at" } as const;
export type PaperField = (typeof DATE_CHECKS)[keyof typeof DATE_CHECKS];

/** The inspector's comparison of one sampled dossier's paper file with the system, as last
 * written on this phone (the whole check: the server keeps the last one per dossier). */
export interface LocalDossierCheck {
  inspectionId: string;
  dossierCode: string;
  checks: Record<CheckKey, CheckValue>;
  /** What the paper shows (ISO instants), for date checks that do not match. */
  paper: Record<PaperField, string | null>;
  note: string | null;
  evidence: string[];
  deviceTime: string;
  opId: string;
}

export type OpStatus = "pending" | "done" | "rejected" | "superseded";

/** One change waiting for (or confirmed by) the server. `opId` never changes once the op has
 * been offered to the server, except when the server answers `conflict`. */
export interface QueuedOp {
  seq?: number;
  opId: string;
  type: PhoneOpType;
  payload: Record<string, unknown>;
  inspectionId: string | null;
  /** The item, finding or signer this op is about, so a rejection is shown where it belongs. */
  subject: string | null;
  evidence: string[];
  status: OpStatus;
  attempts: number;
  reason: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  settledAt: string | null;
}

export interface StoredEvidence {
  sha256: string;
  blob: Blob;
  mediaType: string;
  width: number | null;
  height: number | null;
  createdAt: string;
  uploaded: boolean;
  /** Why the server refused the file for good (too large, not an image…), shown to the user. */
  refusal: string | null;
}

export interface Session {
  accessToken: string;
  accessExpiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  userId: string;
  username: string;
  /** The server refused the refresh token: the queue waits until the password is given again. */
  expired: boolean;
}

export interface SyncState {
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  cursor: string | null;
  /** device clock − server clock at the last exchange, in seconds */
  clockOffsetSeconds: number | null;
}

interface KeyValues {
  session: Session;
  me: Me;
  device: { deviceId: string };
  sync: SyncState;
}

export interface SpotcheckDB extends DBSchema {
  kv: { key: keyof KeyValues; value: KeyValues[keyof KeyValues] };
  inspections: { key: string; value: StoredInspection };
  checklists: { key: string; value: ChecklistVersionOut };
  answers: {
    key: [string, string];
    value: LocalAnswer;
    indexes: { byInspection: string };
  };
  findings: { key: string; value: LocalFinding; indexes: { byInspection: string } };
  signatures: {
    key: [string, string];
    value: LocalSignature;
    indexes: { byInspection: string };
  };
  progress: { key: string; value: LocalProgress };
  ops: {
    key: number;
    value: QueuedOp;
    indexes: { byStatus: string; byOpId: string; byInspection: string };
  };
  evidence: { key: string; value: StoredEvidence };
  /** Corrective actions as the server last gave them (list rows, or details with history). */
  actions: { key: string; value: ActionOut | ActionDetailOut };
  /** Since version 3: the dossier sample of each assignment that has one. */
  samples: { key: string; value: StoredSample };
  /** Since version 3: the checks of sampled dossiers made on this phone. */
  dossierChecks: {
    key: [string, string];
    value: LocalDossierCheck;
    indexes: { byInspection: string };
  };
}

export type AppDB = IDBPDatabase<SpotcheckDB>;

export function openAppDB(name: string = DB_NAME): Promise<AppDB> {
  const opening = openDB<SpotcheckDB>(name, DB_VERSION, {
    // A newer app (after an update) needs a newer store layout: this old connection steps aside
    // so its upgrade is not blocked, and a page reloads into the new app.
    blocking() {
      void opening.then((db) => db.close());
      if (typeof window !== "undefined") window.location.reload();
    },
    upgrade(db, oldVersion) {
      upgradeStores(db, oldVersion, DB_VERSION);
    },
  });
  return opening;
}

/** The store layout, one step per version. A step only adds: the ops queued on a phone (and
 * everything else it holds) come through an upgrade untouched. */
export function upgradeStores(db: IDBPDatabase<SpotcheckDB>, oldVersion: number, newVersion: number): void {
  if (oldVersion < 1 && newVersion >= 1) {
    db.createObjectStore("kv");
    db.createObjectStore("inspections", { keyPath: "id" });
    db.createObjectStore("checklists", { keyPath: "id" });
    const answers = db.createObjectStore("answers", { keyPath: ["inspectionId", "itemKey"] });
    answers.createIndex("byInspection", "inspectionId");
    const findings = db.createObjectStore("findings", { keyPath: "findingId" });
    findings.createIndex("byInspection", "inspectionId");
    const signatures = db.createObjectStore("signatures", {
      keyPath: ["inspectionId", "signerRole"],
    });
    signatures.createIndex("byInspection", "inspectionId");
    db.createObjectStore("progress", { keyPath: "inspectionId" });
    const ops = db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
    ops.createIndex("byStatus", "status");
    ops.createIndex("byOpId", "opId", { unique: true });
    ops.createIndex("byInspection", "inspectionId");
    db.createObjectStore("evidence", { keyPath: "sha256" });
  }
  if (oldVersion < 2 && newVersion >= 2) db.createObjectStore("actions", { keyPath: "id" });
  if (oldVersion < 3 && newVersion >= 3) {
    db.createObjectStore("samples", { keyPath: "inspectionId" });
    const checks = db.createObjectStore("dossierChecks", { keyPath: ["inspectionId", "dossierCode"] });
    checks.createIndex("byInspection", "inspectionId");
  }
}

let shared: Promise<AppDB> | null = null;

/** The app's one connection (the service worker opens its own). */
export function appDB(): Promise<AppDB> {
  shared ??= openAppDB();
  return shared;
}

export async function getKV<K extends keyof KeyValues>(
  db: AppDB,
  key: K,
): Promise<KeyValues[K] | undefined> {
  return (await db.get("kv", key)) as KeyValues[K] | undefined;
}

export async function setKV<K extends keyof KeyValues>(
  db: AppDB,
  key: K,
  value: KeyValues[K],
): Promise<void> {
  await db.put("kv", value, key);
}

export const EMPTY_SYNC_STATE: SyncState = {
  lastSuccessAt: null,
  lastAttemptAt: null,
  lastError: null,
  cursor: null,
  clockOffsetSeconds: null,
};

export async function deviceId(db: AppDB): Promise<string> {
  const stored = await getKV(db, "device");
  if (stored) return stored.deviceId;
  const made = { deviceId: crypto.randomUUID() };
  const tx = db.transaction("kv", "readwrite");
  // Two tabs may race here on first start; the first writer wins and both read its id.
  const again = (await tx.store.get("device")) as { deviceId: string } | undefined;
  if (!again) await tx.store.put(made, "device");
  await tx.done;
  return again?.deviceId ?? made.deviceId;
}

// The sync engine: pushes evidence first, then ops in batches, in the order they were made, and
// settles each op by the server's answer. Nothing here ever drops an op: applied and duplicate
// ops are done, rejected ones keep their reason for the user, conflicts get a new op id, and
// everything else stays pending for the next try. One pusher at a time across tabs and the
// service worker (Web Lock), so a reload or a second tab never sends an op under two ids.
import type { OpResult, SyncIn, SyncOut } from "../api/types";
import { deviceId, EMPTY_SYNC_STATE, getKV, setKV, type AppDB, type QueuedOp } from "../store/db";
import { HttpProblem, Offline, SessionExpired } from "./auth";
import { withLock } from "./locks";

export interface EvidenceAnswer {
  status: number;
  detail: string;
}

export interface SyncAnswer {
  status: number;
  body: SyncOut | null;
  detail: string;
}

/** How the engine reaches the server; throws Offline or SessionExpired, returns every answer. */
export interface Transport {
  putEvidence(sha256: string, blob: Blob, mediaType: string): Promise<EvidenceAnswer>;
  postSync(body: SyncIn): Promise<SyncAnswer>;
}

export type PushOutcome = "idle" | "synced" | "offline" | "expired" | "failed";

export interface PushReport {
  outcome: PushOutcome;
  applied: number;
  rejected: number;
  detail: string | null;
}

export const BATCH_SIZE = 40;
const MAX_ROUNDS = 200;
/** Evidence answers that will not change by trying again: the file itself is refused. */
const EVIDENCE_REFUSED = new Set([409, 413, 415, 422]);
/** A whole batch refused as malformed: find the op that causes it by sending one at a time. */
const BATCH_REFUSED = new Set([400, 413, 422]);

async function pendingOps(db: AppDB): Promise<QueuedOp[]> {
  const ops = await db.getAllFromIndex("ops", "byStatus", "pending");
  return ops.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

async function settle(db: AppDB, seq: number, change: Partial<QueuedOp>): Promise<void> {
  const tx = db.transaction("ops", "readwrite");
  const op = await tx.store.get(seq);
  if (op) await tx.store.put({ ...op, ...change });
  await tx.done;
}

async function rejectLocally(db: AppDB, op: QueuedOp, reason: string): Promise<void> {
  await settle(db, op.seq!, { status: "rejected", reason, settledAt: new Date().toISOString() });
}

/** Uploads the files the batch needs; false when the push must stop for now. */
async function pushEvidence(
  db: AppDB,
  transport: Transport,
  batch: QueuedOp[],
): Promise<{ stop: PushReport | null }> {
  const needed = [...new Set(batch.flatMap((op) => op.evidence))];
  for (const sha256 of needed) {
    const stored = await db.get("evidence", sha256);
    if (stored?.uploaded) continue;
    let refusal = stored?.refusal ?? null;
    if (!stored) {
      refusal = "missing-on-device";
    } else if (!refusal) {
      const answer = await transport.putEvidence(sha256, stored.blob, stored.mediaType);
      if (answer.status >= 200 && answer.status < 300) {
        await db.put("evidence", { ...stored, uploaded: true });
        continue;
      }
      if (!EVIDENCE_REFUSED.has(answer.status)) {
        return { stop: { outcome: "failed", applied: 0, rejected: 0, detail: answer.detail } };
      }
      refusal = answer.detail;
      await db.put("evidence", { ...stored, refusal });
    }
    for (const op of batch.filter((candidate) => candidate.evidence.includes(sha256))) {
      await rejectLocally(db, op, `evidence:${refusal}`);
    }
  }
  return { stop: null };
}

async function applyResults(
  db: AppDB,
  batch: QueuedOp[],
  results: OpResult[],
): Promise<{ applied: number; rejected: number }> {
  const bySeq = new Map(batch.map((op) => [op.opId, op]));
  let applied = 0;
  let rejected = 0;
  const now = new Date().toISOString();
  for (const result of results) {
    const op = bySeq.get(result.op_id);
    if (!op) continue;
    const firstStatus = (result.result as { first_status?: string } | null)?.first_status;
    if (result.status === "applied" || (result.status === "duplicate" && firstStatus !== "rejected")) {
      applied += 1;
      await settle(db, op.seq!, { status: "done", result: result.result ?? null, settledAt: now });
    } else if (result.status === "rejected" || result.status === "duplicate") {
      rejected += 1;
      await settle(db, op.seq!, {
        status: "rejected",
        reason: result.reason ?? "rejected",
        settledAt: now,
      });
    } else if (result.status === "conflict") {
      // The id was used before for something else (e.g. a restored backup of the phone): the
      // change itself is still wanted, so it goes again under a new id.
      await settle(db, op.seq!, { opId: crypto.randomUUID() });
    }
  }
  return { applied, rejected };
}

async function recordAttempt(db: AppDB, batch: QueuedOp[]): Promise<void> {
  const tx = db.transaction("ops", "readwrite");
  for (const op of batch) {
    const current = await tx.store.get(op.seq!);
    if (current) await tx.store.put({ ...current, attempts: current.attempts + 1 });
  }
  await tx.done;
}

async function noteSyncState(db: AppDB, change: Partial<typeof EMPTY_SYNC_STATE>): Promise<void> {
  const state = (await getKV(db, "sync")) ?? EMPTY_SYNC_STATE;
  await setKV(db, "sync", { ...state, ...change });
}

async function pushUnlocked(
  db: AppDB,
  transport: Transport,
  batchSize: number,
): Promise<PushReport> {
  const report: PushReport = { outcome: "idle", applied: 0, rejected: 0, detail: null };
  const device = await deviceId(db);
  let size = batchSize;
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const pending = await pendingOps(db);
    if (pending.length === 0) break;
    const candidates = pending.slice(0, size);
    const { stop } = await pushEvidence(db, transport, candidates);
    if (stop) return { ...report, ...stop, applied: report.applied, rejected: report.rejected };
    // Only the ops whose files were just uploaded (and that are still pending: a refused file
    // rejects its ops): an op recorded during the uploads goes in the next round, after its own
    // photos. Taken afresh, it could reach the server before its file, which the server accepts
    // until submit, and then nothing would ever upload the file.
    const uploadedFor = new Set(candidates.map((op) => op.seq));
    const batch = (await pendingOps(db)).filter((op) => uploadedFor.has(op.seq));
    if (batch.length === 0) continue;
    await recordAttempt(db, batch);
    const sentAt = new Date();
    const answer = await transport.postSync({
      device_id: device,
      sent_at: sentAt.toISOString(),
      ops: batch.map((op) => ({ op_id: op.opId, type: op.type, payload: op.payload })),
    });
    if (answer.status === 200 && answer.body) {
      const counts = await applyResults(db, batch, answer.body.results);
      report.applied += counts.applied;
      report.rejected += counts.rejected;
      report.outcome = "synced";
      const offset = (sentAt.getTime() - Date.parse(answer.body.server_time)) / 1000;
      await noteSyncState(db, {
        lastSuccessAt: new Date().toISOString(),
        lastError: null,
        clockOffsetSeconds: Math.round(offset),
      });
      size = batchSize;
    } else if (BATCH_REFUSED.has(answer.status) && batch.length > 1) {
      size = 1;
    } else if (BATCH_REFUSED.has(answer.status)) {
      await rejectLocally(db, batch[0], answer.detail);
      report.rejected += 1;
      size = batchSize;
    } else {
      return { ...report, outcome: "failed", detail: answer.detail };
    }
  }
  return report;
}

/** One push of everything pending. Never throws for the network or an expired session. */
export async function pushOnce(
  db: AppDB,
  transport: Transport,
  batchSize: number = BATCH_SIZE,
): Promise<PushReport> {
  return withLock("spotcheck-push", async () => {
    try {
      const report = await pushUnlocked(db, transport, batchSize);
      await noteSyncState(db, {
        lastAttemptAt: new Date().toISOString(),
        ...(report.outcome === "failed" ? { lastError: report.detail } : {}),
      });
      return report;
    } catch (error) {
      if (error instanceof Offline) {
        return { outcome: "offline", applied: 0, rejected: 0, detail: null };
      }
      if (error instanceof SessionExpired) {
        return { outcome: "expired", applied: 0, rejected: 0, detail: null };
      }
      const detail = error instanceof HttpProblem ? error.detail : String(error);
      await noteSyncState(db, { lastAttemptAt: new Date().toISOString(), lastError: detail });
      return { outcome: "failed", applied: 0, rejected: 0, detail };
    }
  });
}

/** Delay before the next try after `failures` failures in a row: exponential, capped, with
 * jitter so that a district's phones coming back online together do not knock at once. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(300_000, 2_000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.5 + random() * 0.5));
}

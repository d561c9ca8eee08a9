// The sync engine against a fake server that keeps the protocol's promises (docs/sync-protocol.md):
// ops applied in order, idempotent by op_id, conflict for a reused id, rejections final.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import type { OpResult, SyncIn } from "../src/api/types";
import { openAppDB, type AppDB } from "../src/store/db";
import { recordAnswer, recordSubmit, storeEvidence } from "../src/store/record";
import { Offline } from "../src/sync/auth";
import { backoffMs, pushOnce, type Transport } from "../src/sync/engine";

const INSPECTION = "11111111-1111-4111-8111-111111111111";

interface Received {
  opId: string;
  type: string;
  payload: Record<string, unknown>;
}

/** A server with the protocol's memory: op id → (payload, first result). */
class FakeServer {
  ops = new Map<string, { payload: string; status: "applied" | "rejected"; reason: string | null }>();
  applied: Received[] = [];
  batches: string[][] = [];
  evidence = new Map<string, Blob>();
  uploads: string[] = [];
  /** Ops whose payload makes the server reject them, by a predicate. */
  rejectIf: (op: Received) => string | null = () => null;
  /** Drop the network before the request arrives. */
  offlineBeforeRequest = 0;
  /** Apply the batch, then lose the response. */
  loseResponses = 0;
  /** Refuse the next evidence uploads with this status. */
  evidenceStatus: number | null = null;
  /** Refuse whole batches containing an op matching this predicate with 422. */
  malformed: (op: Received) => boolean = () => false;

  transport(): Transport {
    return {
      putEvidence: async (sha256, blob) => {
        if (this.offlineBeforeRequest > 0) {
          this.offlineBeforeRequest -= 1;
          throw new Offline("down");
        }
        this.uploads.push(sha256);
        if (this.evidenceStatus) return { status: this.evidenceStatus, detail: "not an accepted image type" };
        this.evidence.set(sha256, blob);
        return { status: 200, detail: "" };
      },
      postSync: async (body: SyncIn) => {
        if (this.offlineBeforeRequest > 0) {
          this.offlineBeforeRequest -= 1;
          throw new Offline("down");
        }
        const ops = body.ops.map((op) => ({ opId: op.op_id, type: op.type, payload: op.payload as Record<string, unknown> }));
        if (ops.some((op) => this.malformed(op))) {
          return { status: 422, body: null, detail: "Invalid op payload: evidence.0: not a sha256" };
        }
        this.batches.push(ops.map((op) => op.opId));
        const results: OpResult[] = ops.map((op) => this.apply(op));
        if (this.loseResponses > 0) {
          this.loseResponses -= 1;
          throw new Offline("response lost");
        }
        return {
          status: 200,
          body: { server_time: new Date().toISOString(), results, cursor: "c" },
          detail: "",
        };
      },
    };
  }

  private apply(op: Received): OpResult {
    const payload = JSON.stringify({ type: op.type, payload: op.payload });
    const previous = this.ops.get(op.opId);
    if (previous && previous.payload !== payload) {
      return { op_id: op.opId, status: "conflict", reason: "This op_id was already used for a different change" };
    }
    if (previous) {
      return {
        op_id: op.opId,
        status: "duplicate",
        reason: previous.reason,
        result: { first_status: previous.status },
      };
    }
    const missing = ((op.payload.evidence as string[]) ?? []).filter((sha) => !this.evidence.has(sha));
    const reason = missing.length ? `evidence not uploaded: ${missing.join(",")}` : this.rejectIf(op);
    this.ops.set(op.opId, { payload, status: reason ? "rejected" : "applied", reason });
    if (reason) return { op_id: op.opId, status: "rejected", reason };
    this.applied.push(op);
    return { op_id: op.opId, status: "applied", result: {} };
  }
}

let db: AppDB;
let server: FakeServer;
let dbCounter = 0;

beforeEach(async () => {
  dbCounter += 1;
  db = await openAppDB(`queue-test-${dbCounter}`);
  server = new FakeServer();
});

function answer(itemKey: string, value: string | number | null, extra: Partial<{ note: string; evidence: string[] }> = {}) {
  return recordAnswer(db, {
    inspectionId: INSPECTION,
    itemKey,
    value,
    numerator: null,
    denominator: null,
    note: extra.note ?? null,
    evidence: extra.evidence ?? [],
  });
}

async function statuses(): Promise<string[]> {
  return (await db.getAll("ops")).map((op) => `${op.subject}:${op.status}`);
}

describe("the sync queue", () => {
  it("sends ops once each, in the order they were made", async () => {
    await answer("A1", "yes");
    await answer("A2", "no");
    await answer("A1", "no");
    await recordSubmit(db, INSPECTION);
    const report = await pushOnce(db, server.transport());
    expect(report.outcome).toBe("synced");
    expect(server.applied.map((op) => `${op.type}:${op.payload.item_key ?? ""}:${op.payload.value ?? ""}`)).toEqual([
      "answer:A1:yes",
      "answer:A2:no",
      "answer:A1:no",
      "submit::",
    ]);
    expect(await statuses()).toEqual(["item:A1:done", "item:A2:done", "item:A1:done", "submit:done"]);
    expect(await db.countFromIndex("ops", "byStatus", "pending")).toBe(0);
  });

  it("splits a long queue into batches and keeps the order across them", async () => {
    for (let index = 0; index < 95; index += 1) await answer(`N${index}`, index);
    await pushOnce(db, server.transport(), 40);
    expect(server.batches.map((batch) => batch.length)).toEqual([40, 40, 15]);
    expect(server.applied.map((op) => op.payload.value)).toEqual([...Array(95).keys()]);
  });

  it("keeps ops pending with the same ids when the network is down, and sends them later", async () => {
    await answer("A1", "yes");
    const before = (await db.getAll("ops")).map((op) => op.opId);
    server.offlineBeforeRequest = 1;
    expect((await pushOnce(db, server.transport())).outcome).toBe("offline");
    expect(await statuses()).toEqual(["item:A1:pending"]);
    expect((await pushOnce(db, server.transport())).outcome).toBe("synced");
    expect(server.applied.map((op) => op.opId)).toEqual(before);
  });

  it("ends with no duplicate when the response is lost after the server applied the batch", async () => {
    await answer("A1", "yes");
    await answer("A2", "no");
    server.loseResponses = 1;
    expect((await pushOnce(db, server.transport())).outcome).toBe("offline");
    expect(await statuses()).toEqual(["item:A1:pending", "item:A2:pending"]);
    const report = await pushOnce(db, server.transport());
    expect(report.outcome).toBe("synced");
    expect(server.applied).toHaveLength(2); // the resend was answered `duplicate`
    expect(server.batches).toHaveLength(2);
    expect(server.batches[1]).toEqual(server.batches[0]);
    expect(await statuses()).toEqual(["item:A1:done", "item:A2:done"]);
  });

  it("gives an op a new id and sends it again when the server answers conflict", async () => {
    const first = await answer("A1", "yes");
    // The id was used on the server for something else (e.g. a phone restored from a backup).
    server.ops.set(first.opId, { payload: "something else", status: "applied", reason: null });
    const report = await pushOnce(db, server.transport());
    expect(report.outcome).toBe("synced");
    const [op] = await db.getAll("ops");
    expect(op.status).toBe("done");
    expect(op.opId).not.toBe(first.opId);
    expect(server.applied.map((applied) => applied.payload.value)).toEqual(["yes"]);
  });

  it("keeps a rejected op with its reason, applies the ops after it, and lets a new answer supersede it", async () => {
    server.rejectIf = (op) => (op.payload.item_key === "A2" ? "note: at most 10000 characters" : null);
    await answer("A1", "yes");
    await answer("A2", "no", { note: "x".repeat(10_001) });
    await answer("A3", "yes");
    const report = await pushOnce(db, server.transport());
    expect(report).toMatchObject({ outcome: "synced", applied: 2, rejected: 1 });
    const ops = await db.getAll("ops");
    expect(ops.map((op) => op.status)).toEqual(["done", "rejected", "done"]);
    expect(ops[1].reason).toBe("note: at most 10000 characters");
    // A replay of the rejected op would be a duplicate of a rejection: it stays rejected.
    server.rejectIf = () => null;
    await answer("A2", "no", { note: "shorter" });
    await pushOnce(db, server.transport());
    const after = await db.getAll("ops");
    expect(after.map((op) => op.status)).toEqual(["done", "superseded", "done", "done"]);
    expect(server.applied.map((op) => op.payload.item_key)).toEqual(["A1", "A3", "A2"]);
  });

  it("never sends an op twice when two tabs push at once", async () => {
    for (let index = 0; index < 30; index += 1) await answer(`T${index}`, index);
    const otherTab = await openAppDB(`queue-test-${dbCounter}`);
    const reports = await Promise.all([
      pushOnce(db, server.transport(), 10),
      pushOnce(otherTab, server.transport(), 10),
    ]);
    expect(reports.map((report) => report.outcome).sort()).toEqual(["idle", "synced"]);
    const sent = server.batches.flat();
    expect(sent).toHaveLength(30);
    expect(new Set(sent).size).toBe(30);
  });

  it("uploads evidence before the ops that reference it, once per file", async () => {
    const blob = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], { type: "image/jpeg" });
    const sha = "a".repeat(64);
    await storeEvidence(db, {
      sha256: sha,
      blob,
      mediaType: "image/jpeg",
      width: 1,
      height: 1,
      createdAt: new Date().toISOString(),
      uploaded: false,
      refusal: null,
    });
    await answer("B1", "no", { evidence: [sha] });
    await answer("B2", "no", { evidence: [sha] });
    const report = await pushOnce(db, server.transport());
    expect(report.outcome).toBe("synced");
    expect(server.uploads).toEqual([sha]);
    expect(server.applied).toHaveLength(2);
    expect((await db.get("evidence", sha))?.uploaded).toBe(true);
  });

  it("rejects on the phone the ops whose photo the server refuses, and sends the rest", async () => {
    const sha = "b".repeat(64);
    await storeEvidence(db, {
      sha256: sha,
      blob: new Blob(["not an image"]),
      mediaType: "image/jpeg",
      width: null,
      height: null,
      createdAt: new Date().toISOString(),
      uploaded: false,
      refusal: null,
    });
    await answer("C1", "no", { evidence: [sha] });
    await answer("C2", "yes");
    server.evidenceStatus = 415;
    const report = await pushOnce(db, server.transport());
    expect(report.outcome).toBe("synced");
    const ops = await db.getAll("ops");
    expect(ops.map((op) => op.status)).toEqual(["rejected", "done"]);
    expect(ops[0].reason).toBe("evidence:not an accepted image type");
    expect(server.applied.map((op) => op.payload.item_key)).toEqual(["C2"]);
  });

  it("finds the one malformed op in a refused batch and sends the others", async () => {
    server.malformed = (op) => op.payload.item_key === "M2";
    await answer("M1", "yes");
    await answer("M2", "yes");
    await answer("M3", "yes");
    const report = await pushOnce(db, server.transport());
    expect(report.outcome).toBe("synced");
    expect((await db.getAll("ops")).map((op) => op.status)).toEqual(["done", "rejected", "done"]);
    expect(server.applied.map((op) => op.payload.item_key)).toEqual(["M1", "M3"]);
  });

  it("waits longer after each failure, up to five minutes, with jitter", () => {
    expect(backoffMs(1, () => 1)).toBe(2_000);
    expect(backoffMs(2, () => 1)).toBe(4_000);
    expect(backoffMs(1, () => 0)).toBe(1_000);
    expect(backoffMs(20, () => 1)).toBe(300_000);
    const delays = Array.from({ length: 50 }, () => backoffMs(3));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(4_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8_000);
  });
});

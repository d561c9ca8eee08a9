// The sealed dossier sample on the phone: the sample kept from the bootstrap, each check recorded
// with its `dossier_check` op in one transaction (payload exactly as docs/sync-protocol.md says,
// device time of the change), the store upgrade that brings the sample's stores without losing
// a queued op, and the list and check screens rendered from a fake store.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { openDB } from "idb";
import { h } from "preact";
import { render } from "preact-render-to-string";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChecklistVersionOut, InspectionSummary, SampledDossier, SyncIn } from "../src/api/types";
import { setLang } from "../src/i18n";
import { DB_VERSION, openAppDB, upgradeStores, type AppDB, type SpotcheckDB } from "../src/store/db";
import {
  loadSample,
  progressOf,
  samplesOf,
  UNCHECKED,
  updateDossierCheck,
  type CheckFields,
} from "../src/store/dossiers";
import { loadInspection } from "../src/store/inspection";
import { recordAnswer } from "../src/store/record";
import { Offline } from "../src/sync/auth";
import { pushOnce, type Transport } from "../src/sync/engine";
import { bootstrap, pullChanges } from "../src/sync/http";
import { DossierCheckCard, flagWords, formatLedgerMoment, SampleList, SampleReviewCard } from "../src/screens/Dossiers";

// setLang() marks the page's language; these tests have no page.
(globalThis as { document?: unknown }).document ??= { documentElement: {} };

const INSPECTION = "33333333-3333-4333-8333-333333333333";
const WHERE = { inspectionId: INSPECTION, dossierCode: "H40.22-251003-0007" };
const PHOTO = "c".repeat(64);

const SAMPLE: SampledDossier[] = [
  {
    dossier_code: "H40.22-251003-0007",
    procedure_code: "1.001612",
    procedure_name: "Đăng ký khai sinh",
    channel: "online",
    stratum: "online",
    flags: ["resolved_without_result_file", "returned_late"],
    system: {
      received_at: "2025-10-03T08:15:00+07:00",
      appointed_at: "2025-10-06T17:00:00+07:00",
      resolved_at: "2025-10-06T10:30:00+07:00",
      returned_at: "2025-10-08",
      component_files: 3,
      result_file: false,
      fee: 8000,
      fee_paid_online: true,
    },
  },
  {
    dossier_code: "H40.22-251010-0112",
    procedure_code: null,
    procedure_name: null,
    channel: "in_person",
    stratum: "in_person",
    flags: [],
    system: {
      received_at: null,
      appointed_at: null,
      resolved_at: null,
      returned_at: null,
      component_files: null,
      result_file: null,
      fee: 0,
      fee_paid_online: null,
    },
  },
];

const INSPECTION_ROW = {
  id: INSPECTION,
  plan_id: "44444444-4444-4444-8444-444444444444",
  checklist_version_id: "55555555-5555-4555-8555-555555555555",
  status: "in_progress",
  visit_date: "2025-11-30",
  window_start: "2025-11-30T00:00:00Z",
  window_end: "2025-12-01T00:00:00Z",
  started_at: "2025-11-30T01:00:00Z",
  flags: [],
  unit: {
    id: "66666666-6666-4666-8666-666666666666",
    code: "TN-PD",
    name_vi: "UBND xã Phương Định",
    name_en: "Phương Định Commune People's Committee",
    time_zone: "Asia/Ho_Chi_Minh",
    geofence_radius_m: 200,
    latitude: null,
    longitude: null,
  },
} as unknown as InspectionSummary;

let db: AppDB;
let counter = 0;

beforeEach(async () => {
  counter += 1;
  db = await openAppDB(`dossiers-test-${counter}`);
  setLang("vi");
});

const clock = (...isos: string[]) => {
  const times = isos.map((iso) => new Date(iso));
  return () => times.shift() ?? new Date();
};

async function check(change: Partial<CheckFields> | ((current: CheckFields) => Partial<CheckFields>), now?: () => Date) {
  return updateDossierCheck(db, WHERE, UNCHECKED, typeof change === "function" ? change : () => change, now);
}

describe("recording a dossier check", () => {
  it("writes the check and its op together, with the payload the contract names and nothing else", async () => {
    await check(
      {
        checks: { ...UNCHECKED.checks, received: "match", resolved: "mismatch", fee_receipt: "match" },
        paper: { ...UNCHECKED.paper, resolved_at: "2025-10-09T02:00:00.000Z" },
        note: "Phiếu kiểm soát ghi ngày ký 09/10.",
        evidence: [PHOTO],
      },
      clock("2025-11-30T02:03:04.000Z"),
    );
    const [op] = await db.getAll("ops");
    const stored = await db.get("dossierChecks", [WHERE.inspectionId, WHERE.dossierCode]);
    expect(op.type).toBe("dossier_check");
    expect(op.payload).toEqual({
      inspection_id: INSPECTION,
      dossier_code: "H40.22-251003-0007",
      checks: {
        received: "match",
        resolved: "mismatch",
        returned: "not_checked",
        components: "not_checked",
        result: "not_checked",
        fee_receipt: "match",
        receipt_slip: "not_checked",
      },
      paper: { resolved_at: "2025-10-09T02:00:00.000Z" },
      note: "Phiếu kiểm soát ghi ngày ký 09/10.",
      evidence: [PHOTO],
      device_time: "2025-11-30T02:03:04.000Z",
    });
    // The photo goes up before the op (the engine reads the op's evidence), and the check on the
    // phone is the op's.
    expect(op.evidence).toEqual([PHOTO]);
    expect(op.subject).toBe("dossier:H40.22-251003-0007");
    expect(stored?.opId).toBe(op.opId);
    expect(stored?.deviceTime).toBe("2025-11-30T02:03:04.000Z");
  });

  it("leaves out paper and note when there are none", async () => {
    await check({ checks: { ...UNCHECKED.checks, components: "match" }, note: "   " });
    const [op] = await db.getAll("ops");
    expect(Object.keys(op.payload).sort()).toEqual(["checks", "device_time", "dossier_code", "evidence", "inspection_id"]);
  });

  it("keeps what the paper shows only while its date check is a mismatch", async () => {
    await check({
      checks: { ...UNCHECKED.checks, returned: "mismatch" },
      paper: { ...UNCHECKED.paper, returned_at: "2025-10-10T03:00:00.000Z", received_at: "2025-10-01T01:00:00.000Z" },
    });
    expect((await db.getAll("ops"))[0].payload.paper).toEqual({ returned_at: "2025-10-10T03:00:00.000Z" });
    await check((current) => ({ checks: { ...current.checks, returned: "match" } }));
    const ops = await db.getAll("ops");
    expect(ops[1].payload).not.toHaveProperty("paper");
    expect((await db.get("dossierChecks", [WHERE.inspectionId, WHERE.dossierCode]))?.paper.returned_at).toBeNull();
  });

  it("gives each change the device time it was made at, so the last change made wins on the server", async () => {
    await check({ checks: { ...UNCHECKED.checks, result: "match" } }, clock("2025-11-30T02:00:00.000Z"));
    await check((current) => ({ checks: { ...current.checks, result: "mismatch" } }), clock("2025-11-30T02:05:00.000Z"));
    const ops = await db.getAll("ops");
    expect(ops.map((op) => op.payload.device_time)).toEqual(["2025-11-30T02:00:00.000Z", "2025-11-30T02:05:00.000Z"]);
    // Each op is the whole check (what the server keeps is the last one), built on the one before.
    expect((ops[1].payload.checks as Record<string, string>).result).toBe("mismatch");
    expect(ops[0].opId).not.toBe(ops[1].opId);
  });

  it("builds every change on the check as recorded, so quick changes never undo each other", async () => {
    await Promise.all([
      check((current) => ({ checks: { ...current.checks, received: "match" } })),
      check((current) => ({ evidence: [...current.evidence, PHOTO] })),
      check((current) => ({ checks: { ...current.checks, fee_receipt: "mismatch" } })),
    ]);
    const stored = await db.get("dossierChecks", [WHERE.inspectionId, WHERE.dossierCode]);
    expect(stored?.checks).toMatchObject({ received: "match", fee_receipt: "mismatch" });
    expect(stored?.evidence).toEqual([PHOTO]);
  });

  it("records nothing for a note the server would refuse, or for a change that changes nothing", async () => {
    const refused = await check({ note: "x".repeat(2001) });
    expect(refused).toEqual({ check: null, problem: "noteTooLong" });
    await check({ checks: { ...UNCHECKED.checks, received: "match" } });
    await check((current) => ({ checks: { ...current.checks, received: "match" } }));
    expect(await db.count("ops")).toBe(1);
  });

  it("supersedes an earlier rejection of the same dossier with the new change", async () => {
    await check({ checks: { ...UNCHECKED.checks, received: "match" } });
    const [first] = await db.getAll("ops");
    await db.put("ops", { ...first, status: "rejected", reason: "The inspection has been submitted" });
    await check((current) => ({ checks: { ...current.checks, received: "mismatch" } }));
    const ops = await db.getAll("ops");
    expect(ops.map((op) => op.status)).toEqual(["superseded", "pending"]);
  });
});

describe("sending checks", () => {
  it("keeps the op's id across retries and sends the payload as recorded", async () => {
    await check({ checks: { ...UNCHECKED.checks, components: "mismatch" } }, clock("2025-11-30T02:00:00.000Z"));
    const sent: SyncIn[] = [];
    let down = 2;
    const transport: Transport = {
      putEvidence: async () => ({ status: 200, detail: "" }),
      postSync: async (body) => {
        sent.push(body);
        if (down > 0) {
          down -= 1;
          throw new Offline("response lost"); // the server may have applied it: the id must stay
        }
        return {
          status: 200,
          body: { server_time: new Date().toISOString(), cursor: "c", results: body.ops.map((op) => ({ op_id: op.op_id, status: "applied", result: {} })) },
          detail: "",
        } as Awaited<ReturnType<Transport["postSync"]>>;
      },
    };
    expect((await pushOnce(db, transport)).outcome).toBe("offline");
    expect((await pushOnce(db, transport)).outcome).toBe("offline");
    expect((await pushOnce(db, transport)).outcome).toBe("synced");
    const ids = sent.map((body) => body.ops.map((op) => op.op_id));
    expect(new Set(ids.flat()).size).toBe(1);
    expect(sent.map((body) => body.ops[0].type)).toEqual(["dossier_check", "dossier_check", "dossier_check"]);
    expect(sent[2].ops[0].payload).toEqual(sent[0].ops[0].payload);
    expect((await db.getAll("ops"))[0].status).toBe("done");
  });
});

describe("photos and ops", () => {
  it("never sends an op before its photo, even one recorded while the batch's photos upload", async () => {
    const photo = async (sha256: string) =>
      db.put("evidence", {
        sha256,
        blob: new Blob([sha256]),
        mediaType: "image/jpeg",
        width: 1,
        height: 1,
        createdAt: "2025-11-30T00:00:00Z",
        uploaded: false,
        refusal: null,
      });
    const other = { inspectionId: INSPECTION, dossierCode: SAMPLE[1].dossier_code };
    const second = "d".repeat(64);
    await photo(PHOTO);
    await check({ evidence: [PHOTO] });
    const uploaded = new Set<string>();
    const early: string[] = [];
    const transport: Transport = {
      putEvidence: async (sha256) => {
        if (sha256 === PHOTO) {
          // The inspector takes another photo of another dossier while this one uploads.
          await photo(second);
          await updateDossierCheck(db, other, UNCHECKED, () => ({ evidence: [second] }));
        }
        uploaded.add(sha256);
        return { status: 200, detail: "" };
      },
      postSync: async (body) => {
        for (const op of body.ops) {
          for (const sha256 of op.payload.evidence as string[]) if (!uploaded.has(sha256)) early.push(sha256);
        }
        return {
          status: 200,
          body: { server_time: new Date().toISOString(), cursor: "c", results: body.ops.map((op) => ({ op_id: op.op_id, status: "applied", result: {} })) },
          detail: "",
        } as Awaited<ReturnType<Transport["postSync"]>>;
      },
    };
    expect((await pushOnce(db, transport)).outcome).toBe("synced");
    expect(early).toEqual([]);
    expect([...uploaded].sort()).toEqual([PHOTO, second]);
    expect((await db.getAll("ops")).map((op) => op.status)).toEqual(["done", "done"]);
  });
});

describe("the store's upgrade", () => {
  it("adds the sample's stores to a phone on the previous layout and keeps its queued ops", async () => {
    const name = `dossiers-upgrade-${counter}`;
    const old = await openDB<SpotcheckDB>(name, 2, { upgrade: (raw, from) => upgradeStores(raw, from, 2) });
    const before = await openAppDBAt(old);
    await before.put("evidence", {
      sha256: PHOTO,
      blob: new Blob(["x"]),
      mediaType: "image/jpeg",
      width: 1,
      height: 1,
      createdAt: "2025-11-30T00:00:00Z",
      uploaded: false,
      refusal: null,
    });
    const answer = await recordAnswer(before, {
      inspectionId: INSPECTION,
      itemKey: "A1",
      value: "yes",
      numerator: null,
      denominator: null,
      note: null,
      evidence: [PHOTO],
    });
    const queued = await before.getAll("ops");
    expect(old.objectStoreNames.contains("samples")).toBe(false);
    old.close();

    const upgraded = await openAppDB(name);
    expect(upgraded.version).toBe(DB_VERSION);
    expect(upgraded.objectStoreNames.contains("samples")).toBe(true);
    expect(upgraded.objectStoreNames.contains("dossierChecks")).toBe(true);
    expect(await upgraded.getAll("ops")).toEqual(queued);
    expect(queued[0].opId).toBe(answer.opId);
    expect(await upgraded.getAllFromIndex("ops", "byStatus", "pending")).toHaveLength(1);
    expect(await upgraded.get("answers", [INSPECTION, "A1"])).toMatchObject({ value: "yes", opId: answer.opId });
    expect((await upgraded.get("evidence", PHOTO))?.uploaded).toBe(false);
    // …and the new stores work on the upgraded phone.
    await updateDossierCheck(upgraded, WHERE, UNCHECKED, () => ({ checks: { ...UNCHECKED.checks, result: "match" } }));
    expect(await upgraded.count("ops")).toBe(2);
    upgraded.close();
  });
});

/** The old connection, typed as the app's (it has every store of version 2). */
async function openAppDBAt(raw: Awaited<ReturnType<typeof openDB<SpotcheckDB>>>): Promise<AppDB> {
  return raw as AppDB;
}

describe("the sample from the bootstrap", () => {
  it("keeps a sample, drops one the server says is gone, and leaves alone what it says nothing of", () => {
    const result = samplesOf([
      { id: "a", dossier_sample: SAMPLE },
      { id: "b", dossier_sample: null },
      { id: "c" },
      { id: "d", dossier_sample: [] },
    ]);
    expect(result.keep).toEqual([{ inspectionId: "a", dossiers: SAMPLE }]);
    expect(result.drop).toEqual(["b", "d"]);
  });

  it("shows nothing of a sample for an assignment that has none", async () => {
    await db.put("inspections", INSPECTION_ROW);
    expect(await loadSample(db, INSPECTION, {})).toBeNull();
  });

  it("counts checked dossiers and mismatches, this phone's checks over the server's", async () => {
    const fromServer = (code: string) => ({
      inspection_id: INSPECTION,
      dossier_code: code,
      checks: { received: "match", resolved: "not_checked", returned: "not_checked", components: "not_checked", result: "not_checked", fee_receipt: "not_checked" },
      paper: { received_at: null, resolved_at: null, returned_at: null },
      note: null,
      evidence: [],
      author_id: "77777777-7777-4777-8777-777777777777",
      device_time: "2025-11-30T01:30:00Z",
      received_at: "2025-11-30T01:30:02Z",
    });
    // As the bootstrap's assignment (or a pull of /changes) left them on the inspection's row.
    await db.put("inspections", {
      ...INSPECTION_ROW,
      dossier_checks: [fromServer(SAMPLE[1].dossier_code), fromServer(SAMPLE[0].dossier_code)],
    });
    await db.put("samples", { inspectionId: INSPECTION, dossiers: SAMPLE });
    await check({ checks: { ...UNCHECKED.checks, result: "mismatch" } });
    const rows = (await loadSample(db, INSPECTION, {}))!;
    expect(rows.map((row) => [row.state, row.local])).toEqual([
      ["mismatch", true],
      ["checked", false],
    ]);
    expect(progressOf(rows)).toEqual({ total: 2, checked: 2, mismatched: 1, unchecked: [], rejected: [] });
  });
});

describe("from the server", () => {
  const serverCheck = (code: string, result: "match" | "mismatch") => ({
    inspection_id: INSPECTION,
    dossier_code: code,
    checks: { received: "match", resolved: "not_checked", returned: "not_checked", components: "not_checked", result, fee_receipt: "not_checked" },
    paper: { received_at: null, resolved_at: null, returned_at: null },
    note: null,
    evidence: [],
    author_id: "77777777-7777-4777-8777-777777777777",
    device_time: "2025-11-30T01:30:00Z",
    received_at: "2025-11-30T01:30:02Z",
  });

  function serve(answers: Record<string, unknown>) {
    vi.stubGlobal("fetch", async (url: string) => {
      const path = new URL(url, "http://phone").pathname;
      if (!(path in answers)) throw new TypeError("network unreachable");
      return new Response(JSON.stringify(answers[path]), { status: 200, headers: { "content-type": "application/json" } });
    });
  }

  beforeEach(async () => {
    await db.put(
      "kv",
      {
        accessToken: "a",
        accessExpiresAt: "2999-01-01T00:00:00Z",
        refreshToken: "r",
        refreshExpiresAt: "2999-01-01T00:00:00Z",
        userId: "u",
        username: "kiemtra1",
        expired: false,
      },
      "session",
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  it("keeps the bootstrap's sample beside its assignment, and the server's checks on it", async () => {
    const other = { ...INSPECTION_ROW, id: "88888888-8888-4888-8888-888888888888" };
    await db.put("samples", { inspectionId: other.id, dossiers: SAMPLE });
    serve({
      "/mobile/v1/bootstrap": {
        me: { id: "u", username: "kiemtra1", role: "inspector" },
        assignments: [
          { ...INSPECTION_ROW, dossier_sample: SAMPLE, dossier_checks: [serverCheck(SAMPLE[0].dossier_code, "match")] },
          { ...other, dossier_sample: null, dossier_checks: [] },
        ],
        checklist_versions: [],
        server_time: "2025-11-30T01:00:00Z",
        sync_cursor: "c1",
      },
    });
    await bootstrap(db);
    expect((await db.get("samples", INSPECTION))?.dossiers).toEqual(SAMPLE);
    expect(await db.get("samples", other.id)).toBeUndefined(); // the plan has no sample for it now
    const row = await db.get("inspections", INSPECTION);
    expect(row).not.toHaveProperty("dossier_sample");
    expect(row?.dossier_checks?.map((check) => check.dossier_code)).toEqual([SAMPLE[0].dossier_code]);
    expect(progressOf((await loadSample(db, INSPECTION, {}))!).checked).toBe(1);
  });

  it("shows the server's check when it kept a teammate's newer one over this phone's", async () => {
    await db.put("inspections", { ...INSPECTION_ROW, dossier_checks: [serverCheck(SAMPLE[0].dossier_code, "mismatch")] });
    await db.put("samples", { inspectionId: INSPECTION, dossiers: SAMPLE });
    await check({ checks: { ...UNCHECKED.checks, received: "match" } });
    expect((await loadSample(db, INSPECTION, {}))![0].state).toBe("checked"); // not sent yet: the phone's
    const [op] = await db.getAll("ops");
    await db.put("ops", { ...op, status: "done", result: { kept: "newer check already recorded", dossier_code: SAMPLE[0].dossier_code } });
    const row = (await loadSample(db, INSPECTION, {}))![0];
    expect([row.state, row.local]).toEqual(["mismatch", false]);
    // A change made now builds on what the screen shows: the server's check.
    await updateDossierCheck(db, WHERE, row.check, (current) => ({ checks: { ...current.checks, fee_receipt: "match" } }));
    const latest = (await db.getAll("ops")).at(-1)!;
    expect(latest.payload.checks).toMatchObject({ received: "match", result: "mismatch", fee_receipt: "match" });
    expect((await loadSample(db, INSPECTION, {}))![0].local).toBe(true);
  });

  it("asks for a bootstrap when a pull brings an assignment the phone does not know, for its sample", async () => {
    await db.put("kv", { lastSuccessAt: null, lastAttemptAt: null, lastError: null, cursor: "c1", clockOffsetSeconds: 0 }, "sync");
    await db.put("checklists", { id: INSPECTION_ROW.checklist_version_id } as ChecklistVersionOut);
    serve({
      "/mobile/v1/changes": { inspections: [INSPECTION_ROW], cursor: "c2", dossier_checks: [] },
      "/mobile/v1/bootstrap": {
        me: { id: "u", username: "kiemtra1", role: "inspector" },
        assignments: [{ ...INSPECTION_ROW, dossier_sample: SAMPLE, dossier_checks: [] }],
        checklist_versions: [],
        server_time: "2025-11-30T01:00:00Z",
        sync_cursor: "c3",
      },
    });
    await pullChanges(db);
    expect((await db.get("samples", INSPECTION))?.dossiers).toEqual(SAMPLE);
  });

  it("replaces an inspection's checks with those a pull of /changes brings", async () => {
    await db.put("inspections", { ...INSPECTION_ROW, dossier_checks: [serverCheck(SAMPLE[0].dossier_code, "match")] });
    await db.put("samples", { inspectionId: INSPECTION, dossiers: SAMPLE });
    await db.put("kv", { lastSuccessAt: null, lastAttemptAt: null, lastError: null, cursor: "c1", clockOffsetSeconds: 0 }, "sync");
    // The phone has the checklist already (else the pull asks for a bootstrap).
    await db.put("checklists", { id: INSPECTION_ROW.checklist_version_id } as ChecklistVersionOut);
    serve({
      "/mobile/v1/changes": {
        inspections: [INSPECTION_ROW],
        cursor: "c2",
        dossier_checks: [serverCheck(SAMPLE[1].dossier_code, "mismatch")],
      },
    });
    await pullChanges(db);
    const rows = (await loadSample(db, INSPECTION, {}))!;
    expect(rows.map((row) => row.state)).toEqual(["unchecked", "mismatch"]);
  });
});

describe("dates and words", () => {
  it("shows the system's times as dd/MM/yyyy HH:mm on the unit's clock, and dates alone as dd/MM/yyyy", () => {
    expect(formatLedgerMoment("2025-10-03T08:15:00+07:00", "Asia/Ho_Chi_Minh")).toBe("03/10/2025 08:15");
    expect(formatLedgerMoment("2025-10-03T20:15:00Z", "Asia/Ho_Chi_Minh")).toBe("04/10/2025 03:15");
    expect(formatLedgerMoment("2025-10-08", "Asia/Ho_Chi_Minh")).toBe("08/10/2025");
    expect(formatLedgerMoment(null, "Asia/Ho_Chi_Minh")).toBe("—");
  });

  it("has words in both languages for every rule of server/dossiers/rules.yaml", () => {
    const yaml = readFileSync(new URL("../../server/dossiers/rules.yaml", import.meta.url), "utf8");
    const rules = [...yaml.matchAll(/^ {2}([a-z_]+):\s*$/gm)].map((match) => match[1]);
    expect(rules.length).toBeGreaterThanOrEqual(11);
    for (const lang of ["vi", "en"] as const) {
      setLang(lang);
      for (const rule of rules) expect(flagWords(rule), rule).not.toMatch(/\(|dossierFlag/);
    }
    expect(flagWords("a_new_rule")).toContain("a_new_rule");
  });
});

describe("the screens, rendered from a fake store", () => {
  async function views() {
    await db.put("inspections", INSPECTION_ROW);
    await db.put("samples", { inspectionId: INSPECTION, dossiers: SAMPLE });
    const view = (await loadInspection(db, INSPECTION))!;
    return { view, rows: (await loadSample(db, INSPECTION, view.rejected))! };
  }

  it("lists each sampled dossier with its procedure, channel, flags in words and state", async () => {
    await check({ checks: { ...UNCHECKED.checks, resolved: "mismatch", components: "match" } });
    const { view, rows } = await views();
    const html = render(h(SampleList, { view, rows }));
    expect(html).toContain("Đã kiểm tra 1/2 hồ sơ");
    expect(html).toContain("1 hồ sơ không khớp");
    expect(html).toContain("Đăng ký khai sinh");
    expect(html).toContain("Nộp trực tuyến");
    expect(html).toContain("Không có tệp kết quả");
    expect(html).toContain("Trả kết quả muộn");
    expect(html).toContain("Không khớp: ngày giải quyết / ký");
    expect(html).toContain("Không rõ thủ tục");
    expect(html).toMatch(/data-code="H40.22-251010-0112" data-state="unchecked"/);
    expect(html).toContain('href="/app/inspections/33333333-3333-4333-8333-333333333333/dossiers/H40.22-251003-0007"');
    setLang("en");
    const english = render(h(SampleList, { view, rows }));
    expect(english).toContain("Checked 1 of 2");
    expect(english).toContain("Returned late");
  });

  it("shows the system's values, three choices for each of the seven checks, and a paper date only for a date mismatch", async () => {
    await check({
      checks: { ...UNCHECKED.checks, resolved: "mismatch", components: "match" },
      paper: { ...UNCHECKED.paper, resolved_at: "2025-10-09T02:00:00.000Z" },
    });
    const { rows } = await views();
    const html = render(h(DossierCheckCard, { row: rows[0], timeZone: "Asia/Ho_Chi_Minh", disabled: false, save: () => {}, problem: null }));
    expect(html).toContain("03/10/2025 08:15"); // received
    expect(html).toContain("06/10/2025 10:30"); // resolved
    expect(html).toContain("08/10/2025"); // returned, a date alone
    expect(html).toContain("Ngày hẹn trả: 06/10/2025 17:00");
    expect(html).toContain("3 tệp thành phần");
    expect(html).toMatch(/8[.,]000 đồng \(đã nộp trực tuyến\)/);
    expect(html.match(/role="radiogroup"/g)).toHaveLength(7);
    expect(html.match(/role="radio"/g)).toHaveLength(21);
    // The receipt slip is compared with the system's code and appointment.
    expect(html).toContain("Giấy tiếp nhận và hẹn trả kết quả");
    expect(html).toContain("Mã hồ sơ H40.22-251003-0007, hẹn trả 06/10/2025 17:00");
    for (const label of ["Khớp", "Không khớp", "Chưa kiểm tra"]) expect(html).toContain(`>${label}</button>`);
    expect(html.match(/type="datetime-local"/g)).toHaveLength(1);
    expect(html).toContain('data-testid="paper-resolved"');
    expect(html).toContain('value="2025-10-09T09:00"'); // the paper's time on the unit's clock
    expect(html).toMatch(/data-check="resolved" data-value="mismatch"/);
    expect(html).toContain('data-testid="photo-input-dossier"');
    expect(html).toContain('maxlength="2000"');
  });

  it("shows the server's refusal on the dossier it concerns", async () => {
    await check({ checks: { ...UNCHECKED.checks, received: "match" } });
    const [op] = await db.getAll("ops");
    await db.put("ops", { ...op, status: "rejected", reason: "The inspection has been submitted." });
    const { view, rows } = await views();
    expect(progressOf(rows).rejected).toEqual([SAMPLE[0].dossier_code]);
    const html = render(h(DossierCheckCard, { row: rows[0], timeZone: "Asia/Ho_Chi_Minh", disabled: false, save: () => {}, problem: null }));
    expect(html).toContain("Máy chủ từ chối thay đổi này: The inspection has been submitted.");
    expect(render(h(DossierCheckCard, { row: rows[1], timeZone: "Asia/Ho_Chi_Minh", disabled: false, save: () => {}, problem: null }))).not.toContain("rejection");
    expect(render(h(SampleList, { view, rows }))).toContain("badge-rejected");
  });

  it("warns of unchecked dossiers at review and counts the mismatches that become findings", async () => {
    await check({ checks: { ...UNCHECKED.checks, fee_receipt: "mismatch" } });
    const { rows } = await views();
    const html = render(h(SampleReviewCard, { inspectionId: INSPECTION, progress: progressOf(rows) }));
    expect(html).toContain("1 hồ sơ mẫu chưa kiểm tra");
    expect(html).toContain("1 hồ sơ không khớp sẽ thành phát hiện khi nộp.");
    expect(html).toContain("H40.22-251010-0112");
  });
});

// Items the sealed sample's checks pre-fill (D4 of the shipped template): the phone computes the
// value from its local checks with the server's formula, so it follows the checks as they are
// recorded, says what it rests on ("n of m checked"), and a different answer needs a note.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import type { SampledDossier } from "../src/api/types";
import { catalogues, setLang, t } from "../src/i18n";
import {
  differsFromLedger,
  itemPrefillOf,
  ledgerAnswer,
  ledgerNoteProblems,
  sampleMeasure,
  type SampleChecks,
} from "../src/rules/prefill";
import type { ChecklistContent } from "../src/rules/types";
import { openAppDB, type AppDB } from "../src/store/db";
import { loadSample, measuredChecks, UNCHECKED, updateDossierCheck } from "../src/store/dossiers";
import { updateAnswer, type AnswerFields } from "../src/store/record";

(globalThis as { document?: unknown }).document ??= { documentElement: {} };

const INSPECTION = "33333333-3333-4333-8333-333333333333";
const FIELDS = ["received", "resolved", "returned", "components", "result", "fee_receipt", "receipt_slip"];
const VALUES = ["match", "mismatch", "not_checked"];

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

describe("date_mismatches, the server's formula", () => {
  it("counts the sampled dossiers whose paper dates differ, over those with a date compared", () => {
    for (let seed = 1; seed <= 300; seed += 1) {
      const pick = random(seed);
      const sampled = [...new Set(Array.from({ length: pick(8) }, () => `H${pick(10)}`))];
      const checks: SampleChecks = {};
      for (let i = pick(10); i > 0; i -= 1) {
        checks[`H${pick(12)}`] = Object.fromEntries(FIELDS.filter(() => pick(2)).map((field) => [field, VALUES[pick(3)]]));
      }
      // Independently: a dossier is checked when one of its dates is, off when one differs.
      let checked = 0;
      let off = 0;
      for (const code of sampled) {
        const dates = ["received", "resolved", "returned"].map((field) => checks[code]?.[field] ?? "not_checked");
        if (dates.some((value) => value !== "not_checked")) {
          checked += 1;
          if (dates.includes("mismatch")) off += 1;
        }
      }
      const got = sampleMeasure("date_mismatches", sampled, checks);
      if (checked === 0) expect(got).toBeNull();
      else expect(got).toEqual({ value: off, numerator: null, denominator: null, source: { kind: "dossier_sample", checked, sampled: sampled.length } });
    }
  });

  it("receipt_slip_share: the slips found over the slips looked for", () => {
    for (let seed = 1; seed <= 300; seed += 1) {
      const pick = random(seed);
      const sampled = [...new Set(Array.from({ length: pick(8) }, () => `H${pick(10)}`))];
      const checks: SampleChecks = {};
      for (let i = pick(10); i > 0; i -= 1) checks[`H${pick(12)}`] = { receipt_slip: VALUES[pick(3)], received: VALUES[pick(3)] };
      const looked = sampled.map((code) => checks[code]?.receipt_slip ?? "not_checked").filter((slip) => slip !== "not_checked");
      const got = sampleMeasure("receipt_slip_share", sampled, checks);
      if (looked.length === 0) expect(got).toBeNull();
      else
        expect(got).toEqual({
          value: null,
          numerator: looked.filter((slip) => slip === "match").length,
          denominator: looked.length,
          source: { kind: "dossier_sample", checked: looked.length, sampled: sampled.length },
        });
    }
  });

  it("gives the same answers as the server's test (tests/server/dossiers/test_sample_prefill.py)", () => {
    const checks: SampleChecks = { H1: { components: "mismatch", fee_receipt: "mismatch" }, OUTSIDE: { resolved: "mismatch" } };
    expect(sampleMeasure("date_mismatches", ["H1", "H2"], checks)).toBeNull();
    checks.H2 = { returned: "match" };
    checks.H1.received = "mismatch";
    expect(sampleMeasure("date_mismatches", ["H1", "H2", "H3"], checks)?.source).toEqual({ kind: "dossier_sample", checked: 2, sampled: 3 });
    expect(sampleMeasure("date_mismatches", ["H1", "H2", "H3"], checks)?.value).toBe(1);
    // A measure a newer template names and this phone does not know: nothing offered.
    expect(sampleMeasure("receipt_slips", ["H1"], checks)).toBeNull();
  });
});

const dossier = (code: string) => ({ dossier_code: code, procedure_code: null, procedure_name: null, channel: null, stratum: "all", flags: [], system: {} }) as unknown as SampledDossier;

const CONTENT = {
  sections: [
    {
      key: "D",
      items: [
        { key: "D1", answer_type: "percent", prefill: { source: "dossier_sample", measure: "receipt_slip_share" } },
        { key: "D4", answer_type: "count", prefill: { source: "dossier_sample", measure: "date_mismatches" } },
        { key: "D7", answer_type: "count", prefill: { source: "dossier_ledger", measure: "backlog" } },
        { key: "D8", answer_type: "count" },
      ],
    },
  ],
} as unknown as ChecklistContent;

describe("the live value on the phone", () => {
  let db: AppDB;
  let counter = 0;

  beforeEach(async () => {
    counter += 1;
    db = await openAppDB(`sample-prefill-${counter}`);
    setLang("vi");
    await db.put("samples", { inspectionId: INSPECTION, dossiers: ["H1", "H2", "H3"].map(dossier) });
  });

  async function prefillNow() {
    const measured = measuredChecks(await loadSample(db, INSPECTION, {}));
    return itemPrefillOf({ id: INSPECTION, prefill: { D7: { value: 2, source: {} } } }, CONTENT, measured.sampled, measured.checks);
  }

  async function check(code: string, checks: Record<string, string>) {
    await updateDossierCheck(db, { inspectionId: INSPECTION, dossierCode: code }, UNCHECKED, (current) => ({ checks: { ...current.checks, ...checks } }));
  }

  it("follows the checks as they are recorded, beside the ledger's values", async () => {
    expect(Object.keys(await prefillNow())).toEqual(["D7"]); // nothing compared yet
    await check("H1", { components: "mismatch" });
    expect((await prefillNow()).D4).toBeUndefined(); // no date compared
    await check("H1", { received: "match", resolved: "match" });
    expect((await prefillNow()).D4).toMatchObject({ value: 0, source: { checked: 1, sampled: 3 } });
    await check("H2", { returned: "mismatch" });
    const now = await prefillNow();
    expect(now.D4).toMatchObject({ value: 1, source: { kind: "dossier_sample", checked: 2, sampled: 3 } });
    expect(now.D7).toEqual({ value: 2, source: {} });
    // Correcting a check moves the value back.
    await check("H2", { returned: "match" });
    expect((await prefillNow()).D4).toMatchObject({ value: 0, source: { checked: 2 } });
    // D1 follows the receipt slips looked for.
    expect((await prefillNow()).D1).toBeUndefined();
    await check("H1", { receipt_slip: "match" });
    await check("H3", { receipt_slip: "mismatch" });
    expect((await prefillNow()).D1).toMatchObject({ value: null, numerator: 1, denominator: 2, source: { checked: 2, sampled: 3 } });
  });

  it("says what the figure rests on, in both languages", () => {
    const words = (lang: "vi" | "en") =>
      catalogues[lang].samplePrefillFrom.replace("{figure}", "1").replace("{checked}", "2").replace("{sampled}", "6");
    expect(words("vi")).toBe("Theo kết quả đối chiếu hồ sơ mẫu: 1 (đã đối chiếu 2/6 hồ sơ mẫu)");
    expect(words("en")).toBe("From the sample's checks: 1 (2 of 6 sampled dossiers checked)");
  });

  it("asks for a note when the answer differs from the checks' value, and sends the source when taken", async () => {
    await check("H2", { returned: "mismatch" });
    const prefills = await prefillNow();
    const typed = { value: 0, numerator: null, denominator: null, note: null };
    expect(differsFromLedger(typed, prefills.D4)).toBe(true);
    expect(ledgerNoteProblems(prefills, { D4: typed }, new Set(["D4"]))).toEqual([{ itemKey: "D4", kind: "sample_note_missing" }]);
    expect(t("evidenceProblem_sample_note_missing")).toBe("khác kết quả đối chiếu hồ sơ mẫu, cần ghi chú lý do");

    const where = { inspectionId: INSPECTION, itemKey: "D4" };
    const nothing: AnswerFields = { value: null, numerator: null, denominator: null, note: null, evidence: [] };
    await updateAnswer(db, where, nothing, () => ({ ...ledgerAnswer(prefills.D4), source: "dossier_sample" }), () => null);
    const [answerOp] = (await db.getAll("ops")).filter((op) => op.type === "answer");
    expect(answerOp.payload).toMatchObject({ item_key: "D4", value: 1, source: "dossier_sample" });
  });
});

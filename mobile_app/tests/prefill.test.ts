// Items the dossier ledger pre-fills: what the phone shows of the ledger's value, the one tap
// that takes it (and the op that says so), and the note a different answer needs.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import type { PrefillValue } from "../src/api/types";
import { catalogues, t } from "../src/i18n";
import {
  differsFromLedger,
  ledgerAnswer,
  ledgerFigure,
  ledgerNoteProblems,
  prefillNoteProblem,
  prefillOf,
  sameAsLedger,
} from "../src/rules/prefill";
import { openAppDB, type AppDB } from "../src/store/db";
import { updateAnswer, type AnswerFields } from "../src/store/record";

const SOURCE = {
  kind: "dossier_ledger" as const,
  period_from: "2026-09-01",
  period_to: "2026-11-29",
  dossiers: 140,
  as_of: "2026-11-29T03:00:00Z",
};
const SHARE: PrefillValue = { numerator: 12, denominator: 140, value: null, source: SOURCE };
const COUNT: PrefillValue = { value: 3, source: SOURCE };
const BLANK = { value: null, numerator: null, denominator: null, note: null };

describe("the ledger's value on the phone", () => {
  it("says the figure and its source in words, in both languages", () => {
    const say = (lang: "vi" | "en", prefill: PrefillValue) =>
      catalogues[lang].prefillFrom.replace("{figure}", ledgerFigure(prefill, catalogues[lang].prefillDossiers));
    expect(say("vi", SHARE)).toBe("Từ sổ theo dõi hồ sơ: 12/140 hồ sơ, 01/09/2026–29/11/2026");
    expect(say("vi", COUNT)).toBe("Từ sổ theo dõi hồ sơ: 3 hồ sơ, 01/09/2026–29/11/2026");
    expect(say("en", SHARE)).toBe("From the dossier ledger: 12/140 dossiers, 01/09/2026–29/11/2026");
  });

  it("fills a percent item's numerator and denominator, a count item's value", () => {
    expect(ledgerAnswer(SHARE)).toEqual({ value: null, numerator: 12, denominator: 140 });
    expect(ledgerAnswer(COUNT)).toEqual({ value: 3, numerator: null, denominator: null });
  });

  it("reads an assignment without pre-filled values as none", () => {
    expect(prefillOf({ id: "x" })).toEqual({});
    expect(prefillOf({ id: "x", prefill: null })).toEqual({});
    expect(prefillOf({ id: "x", prefill: { D5: SHARE } })).toEqual({ D5: SHARE });
  });
});

describe("a different answer needs a note", () => {
  it("compares the answer with the ledger's value as the server does", () => {
    expect(sameAsLedger({ ...BLANK, numerator: 12, denominator: 140 }, SHARE)).toBe(true);
    expect(sameAsLedger({ ...BLANK, numerator: 12, denominator: 141 }, SHARE)).toBe(false);
    expect(differsFromLedger({ ...BLANK, value: 2 }, COUNT)).toBe(true);
    expect(differsFromLedger({ ...BLANK, value: 3 }, COUNT)).toBe(false);
    // Unanswered, or an item the ledger does not fill: nothing to compare.
    expect(differsFromLedger(BLANK, COUNT)).toBe(false);
    expect(differsFromLedger({ ...BLANK, value: 2 }, undefined)).toBe(false);
  });

  it("holds back the submit for visible answers that differ and have no note", () => {
    const answers = {
      D5: { ...BLANK, numerator: 10, denominator: 140 }, // differs, no note
      D6: { ...BLANK, value: 0 }, // differs, but hidden
      D7: { ...BLANK, value: 1, note: "Đã giải quyết sáng nay" }, // differs, with a note
      E1: { ...BLANK, numerator: 12, denominator: 140 }, // the ledger's value
    };
    const prefill = { D5: SHARE, D6: COUNT, D7: COUNT, E1: SHARE, E2: SHARE };
    const visible = new Set(["D5", "D7", "E1", "E2"]);
    expect(ledgerNoteProblems(prefill, answers, visible)).toEqual([
      { itemKey: "D5", kind: "ledger_note_missing" },
    ]);
    expect(t("evidenceProblem_ledger_note_missing")).toBe("khác sổ theo dõi hồ sơ, cần ghi chú lý do");
  });

  it("asks the item's screen for the same note as the review (one rule for both)", () => {
    const differing = { ...BLANK, value: 5 };
    expect(prefillNoteProblem("D5", differing, COUNT)).toEqual({ itemKey: "D5", kind: "ledger_note_missing" });
    expect(prefillNoteProblem("D5", { ...differing, note: "  " }, COUNT)).not.toBeNull();
    expect(prefillNoteProblem("D5", { ...differing, note: "Sổ ghi thiếu" }, COUNT)).toBeNull();
    expect(prefillNoteProblem("D5", { ...BLANK, value: 3 }, COUNT)).toBeNull();
    expect(prefillNoteProblem("D5", BLANK, COUNT)).toBeNull();
    expect(prefillNoteProblem("D5", differing, undefined)).toBeNull();
  });
});

describe("taking the ledger's value", () => {
  const WHERE = { inspectionId: "33333333-3333-4333-8333-333333333333", itemKey: "D5" };
  const NOTHING: AnswerFields = { value: null, numerator: null, denominator: null, note: null, evidence: [] };
  const allowed = () => null;
  let db: AppDB;
  let counter = 0;

  beforeEach(async () => {
    counter += 1;
    db = await openAppDB(`prefill-test-${counter}`);
  });

  it("sends source: dossier_ledger with the value, until the value is changed by hand", async () => {
    await updateAnswer(db, WHERE, NOTHING, () => ({ ...ledgerAnswer(SHARE), source: "dossier_ledger" }), allowed);
    // A note or a photo added afterwards keeps the source; a typed value drops it.
    await updateAnswer(db, WHERE, NOTHING, () => ({ note: "Xem trên hệ thống" }), allowed);
    await updateAnswer(db, WHERE, NOTHING, () => ({ numerator: 12, denominator: 140 }), allowed);
    const payloads = (await db.getAll("ops")).map((op) => op.payload);
    expect(payloads.map((payload) => payload.source)).toEqual(["dossier_ledger", "dossier_ledger", undefined]);
    expect(payloads[0]).toMatchObject({ numerator: 12, denominator: 140, value: null });
    expect((await db.get("answers", [WHERE.inspectionId, WHERE.itemKey]))?.source).toBeNull();
  });

  it("leaves the payload of answers typed by hand as it was", async () => {
    await updateAnswer(db, WHERE, NOTHING, () => ({ numerator: 1, denominator: 2 }), allowed);
    const [op] = await db.getAll("ops");
    expect(Object.keys(op.payload)).not.toContain("source");
  });
});

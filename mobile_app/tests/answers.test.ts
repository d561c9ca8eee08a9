// Changes to one answer on the phone: each builds on the answer as it is recorded at that moment,
// so quick changes to one item never undo each other, and an answer the rules refuse records
// nothing.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { openAppDB, type AppDB } from "../src/store/db";
import { updateAnswer, type AnswerFields } from "../src/store/record";

const WHERE = { inspectionId: "22222222-2222-4222-8222-222222222222", itemKey: "D7" };
const NOTHING: AnswerFields = { value: null, numerator: null, denominator: null, note: null, evidence: [] };

let db: AppDB;
let counter = 0;

beforeEach(async () => {
  counter += 1;
  db = await openAppDB(`answers-test-${counter}`);
});

const allowed = () => null;

async function stored(): Promise<AnswerFields | undefined> {
  return db.get("answers", [WHERE.inspectionId, WHERE.itemKey]);
}

describe("changing an answer", () => {
  it("keeps both of two changes begun from the same screen", async () => {
    // The screen showed the count with no photo and no note; a photo and a note are both saved
    // from that same picture of the answer, the photo after the note.
    const onScreen = { ...NOTHING, value: 4 };
    await updateAnswer(db, WHERE, onScreen, () => onScreen, allowed);
    await updateAnswer(db, WHERE, onScreen, () => ({ note: "Quầy 2 vắng người." }), allowed);
    await updateAnswer(db, WHERE, onScreen, (current) => ({ evidence: [...current.evidence, "a".repeat(64)] }), allowed);

    expect(await stored()).toMatchObject({ value: 4, note: "Quầy 2 vắng người.", evidence: ["a".repeat(64)] });
    const ops = await db.getAll("ops");
    expect(ops.map((op) => op.payload.note)).toEqual([null, "Quầy 2 vắng người.", "Quầy 2 vắng người."]);
    expect(ops.at(-1)?.payload).toMatchObject({ value: 4, evidence: ["a".repeat(64)] });
  });

  it("counts every tap of a stepper, even taps made before the screen caught up", async () => {
    const step = (current: AnswerFields) => ({ value: (typeof current.value === "number" ? current.value : -1) + 1 });
    await Promise.all([1, 2, 3].map(() => updateAnswer(db, WHERE, NOTHING, step, allowed)));
    expect((await stored())?.value).toBe(2); // 0, 1, 2
  });

  it("starts from the server's answer when the phone has none of its own", async () => {
    // As a screen holds it: with where it came from, which is no part of the answer.
    const fromServer = { ...NOTHING, value: "no", note: "Ghi từ máy khác.", local: false };
    await updateAnswer(db, WHERE, fromServer, () => ({ evidence: ["b".repeat(64)] }), allowed);
    expect(await stored()).toMatchObject({ value: "no", note: "Ghi từ máy khác.", evidence: ["b".repeat(64)] });
    expect(await stored()).not.toHaveProperty("local");
  });

  it("records nothing when the rules refuse the result, and says why", async () => {
    await updateAnswer(db, WHERE, NOTHING, () => ({ value: 1 }), allowed);
    const update = await updateAnswer(
      db,
      WHERE,
      NOTHING,
      () => ({ value: -1 }),
      (next) => ((next.value as number) < 0 ? "must be 0 or more" : null),
    );
    expect(update).toEqual({ answer: null, problem: "must be 0 or more" });
    expect((await stored())?.value).toBe(1);
    expect(await db.count("ops")).toBe(1);
  });
});

// @vitest-environment happy-dom
// A section's screen after an answer: only the answered item's card is drawn again. The screen
// reads the whole inspection again after every change (a long checklist on a cheap phone, and the
// browser tests' CPU): the reads keep what did not change (keepUnchanged), and the cards are
// memoised on their own parts. A language switch still draws every card.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { options, render, type VNode } from "preact";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ChecklistVersionOut } from "../src/api/types";
import { setLang } from "../src/i18n";
import type { ChecklistContent } from "../src/rules/types";
import { SectionScreen } from "../src/screens/Section";
import { appDB, type StoredInspection } from "../src/store/db";
import { updateAnswer } from "../src/store/record";
import { notifyChanged } from "../src/sync/events";
import { useLang } from "../src/ui/hooks";
import { keepUnchanged } from "../src/ui/keep";

const INSPECTION = "44444444-4444-4444-8444-444444444444";
const VERSION = "55555555-5555-4555-8555-555555555555";
// The shipped checklist, as the conformance vectors carry it (read from disk: in a DOM
// environment Vite will not import a file outside the app).
const vectorsText = readFileSync(join(import.meta.dirname, "../../checklists/conformance/vectors.json"), "utf-8");
const content = (JSON.parse(vectorsText) as { templates: Record<string, { content: ChecklistContent }> }).templates[
  "one-stop-shop"
].content;
const SECTION_A = content.sections[0].items.map((item) => item.key);

// How many times each card was drawn: every render of a card makes its <article> anew.
const drawn = new Map<string, number>();
const previousHook = options.vnode;
beforeAll(() => {
  options.vnode = (vnode: VNode) => {
    const item = (vnode.props as Record<string, unknown>)["data-item"];
    if (vnode.type === "article" && typeof item === "string") drawn.set(item, (drawn.get(item) ?? 0) + 1);
    previousHook?.(vnode);
  };
});
afterAll(() => {
  options.vnode = previousHook;
  setLang("vi");
});

const card = (key: string) => document.querySelector<HTMLElement>(`[data-item="${key}"]`);
/** Lets IndexedDB's reads and the renders after them finish. */
const settle = () => new Promise((done) => setTimeout(done, 50));

async function seed(): Promise<void> {
  const db = await appDB();
  await db.put("checklists", { id: VERSION, content } as unknown as ChecklistVersionOut);
  await db.put("inspections", {
    id: INSPECTION,
    status: "in_progress",
    checklist_version_id: VERSION,
    visit_date: "2026-11-30",
    window_start: "2026-11-29T00:00:00Z",
    window_end: "2026-12-03T00:00:00Z",
    unit: { id: "u", code: "PD", name_vi: "Xã Phương Định", name_en: "Phuong Dinh", time_zone: "Asia/Ho_Chi_Minh" },
  } as unknown as StoredInspection);
}

/** The screen as the app shows it: the app draws everything again when the language changes. */
function Screen() {
  useLang();
  return <SectionScreen id={INSPECTION} sectionKey="A" />;
}

async function answer(itemKey: string, value: string | number): Promise<void> {
  const empty = { value: null, numerator: null, denominator: null, note: null, evidence: [] };
  await updateAnswer(await appDB(), { inspectionId: INSPECTION, itemKey }, empty, () => ({ value }), () => null);
  notifyChanged();
}

describe("the section screen", () => {
  it("draws again only the card of the item answered", async () => {
    await seed();
    const root = document.createElement("main");
    document.body.append(root);
    render(<Screen />, root);
    await vi.waitFor(() => expect(card("A1a")).not.toBeNull());
    await answer("A1a", "yes");
    await vi.waitFor(() => expect(card("A1a")?.dataset.outcome).not.toBe("unanswered"));
    await settle();

    drawn.clear();
    await answer("A4", "no");
    await vi.waitFor(() => expect(card("A4")?.dataset.outcome).toBe("fail"));
    await settle();
    expect(Object.fromEntries(drawn)).toEqual({ A4: drawn.get("A4") });
    expect(drawn.get("A4")).toBeGreaterThan(0);

    // A change that leaves this section's answers as they were draws no card.
    drawn.clear();
    await answer("B2", "yes");
    await settle();
    expect(Object.fromEntries(drawn)).toEqual({});

    // A language switch draws every card, in the new language.
    drawn.clear();
    setLang("en");
    await settle();
    expect([...drawn.keys()].sort()).toEqual([...SECTION_A].sort());
    expect(card("A4")?.querySelector("[data-testid=outcome]")?.textContent).toBe("Not met");
    render(null, root);
  });
});

describe("keepUnchanged", () => {
  it("gives back the objects held before wherever the new read is equal", () => {
    const before = { answers: { A1: { value: "yes", evidence: ["a"] }, A2: { value: 3, evidence: [] } }, pending: 2 };
    const next = { answers: { A1: { value: "yes", evidence: ["a"] }, A2: { value: 4, evidence: [] } }, pending: 2 };
    const kept = keepUnchanged(before, next);
    expect(kept).toEqual(next);
    expect(kept).not.toBe(before);
    expect(kept.answers.A1).toBe(before.answers.A1);
    expect(kept.answers.A2).not.toBe(before.answers.A2);
    expect(kept.answers.A2.evidence).toBe(before.answers.A2.evidence);
    expect(keepUnchanged(before, structuredClone(before))).toBe(before);
  });

  it("sees added and removed keys and items, and never looks inside other objects", () => {
    expect(keepUnchanged({ a: 1 }, { a: 1, b: undefined })).toEqual({ a: 1, b: undefined });
    expect(keepUnchanged({ a: 1, b: undefined } as { a: number; b?: number }, { a: 1 })).toEqual({ a: 1 });
    expect(keepUnchanged([1, 2], [1, 2, 3])).toEqual([1, 2, 3]);
    expect(keepUnchanged([1, 2, 3], [1, 2])).toEqual([1, 2]);
    const day = new Date(0);
    expect(keepUnchanged({ day }, { day: new Date(0) }).day).not.toBe(day);
    const blob = new Blob(["x"]);
    expect(keepUnchanged({ blob }, { blob }).blob).toBe(blob);
  });
});

// Which corrective-action moves the app offers to whom, and the status it shows.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { ActionOut } from "../src/api/types";
import { cacheActions, loadActionView, mayReview, recordTransition } from "../src/store/actions";
import { openAppDB } from "../src/store/db";

describe("who is offered the review of a fix", () => {
  const action = { responsible_unit_id: "unit-c1" } as ActionOut;
  it("is a leader or inspector homed elsewhere, never the unit's own people or a unit head", () => {
    expect(mayReview({ role: "leader", home_unit_id: "unit-d1" }, action)).toBe(true);
    expect(mayReview({ role: "inspector", home_unit_id: "unit-dept" }, action)).toBe(true);
    expect(mayReview({ role: "leader", home_unit_id: "unit-c1" }, action)).toBe(false);
    expect(mayReview({ role: "admin", home_unit_id: "unit-c1" }, action)).toBe(false);
    expect(mayReview({ role: "unit_head", home_unit_id: "unit-d1" }, action)).toBe(false);
    expect(mayReview(undefined, action)).toBe(false);
  });
});

describe("the status an action page shows", () => {
  it("keeps a move the server applied until the refreshed copy arrives, and then the copy", async () => {
    const db = await openAppDB("actions-status-test");
    const action = { id: "a1", status: "acknowledged", version: 2, responsible_unit_id: "u" } as ActionOut;
    await cacheActions(db, [action]);
    await recordTransition(db, {
      actionId: "a1",
      to: "in_progress",
      expectedStatus: "acknowledged",
      comment: null,
      report: null,
      evidence: [],
    });
    expect((await loadActionView(db, "a1"))?.status).toBe("in_progress");

    // The push settles the op with the server's answer; the list is not refreshed yet.
    const [op] = await db.getAll("ops");
    await db.put("ops", { ...op, status: "done", result: { action_id: "a1", status: "in_progress", version: 3 } });
    expect((await loadActionView(db, "a1"))?.status).toBe("in_progress");

    // A newer copy from the server wins over the old answer.
    await cacheActions(db, [{ ...action, status: "submitted", version: 4 }]);
    expect((await loadActionView(db, "a1"))?.status).toBe("submitted");
  });
});

// Which corrective-action moves the app offers to whom.
import { describe, expect, it } from "vitest";
import type { ActionOut } from "../src/api/types";
import { mayReview } from "../src/store/actions";

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

// The plan form's sealed dossier sample: what it sends, and its defaults.
import { describe, expect, it } from "vitest";
import { defaultSampleChoice, sampleBody, stratumText } from "../src/screens/leader/SampleFields";

describe("the plan's dossier sample", () => {
  it("is off by default, and then sends nothing", () => {
    const choice = defaultSampleChoice("Asia/Ho_Chi_Minh", new Date("2026-11-30T18:00:00Z"));
    expect(choice.on).toBe(false);
    expect(sampleBody(choice)).toBeUndefined();
  });

  it("defaults to ten dossiers of the last full quarter in the unit's zone, by channel", () => {
    // 30 Nov 2026 23:30 UTC is already 1 Dec in Hanoi: still the fourth quarter.
    const choice = { ...defaultSampleChoice("Asia/Ho_Chi_Minh", new Date("2026-11-30T23:30:00Z")), on: true };
    expect(sampleBody(choice)).toEqual({
      size: 10,
      period_from: "2026-07-01",
      period_to: "2026-09-30",
      strata: ["channel"],
      flagged_weight: 3,
    });
    // On 1 Jan (Hanoi) the last full quarter is the previous year's fourth.
    const january = defaultSampleChoice("Asia/Ho_Chi_Minh", new Date("2026-12-31T17:30:00Z"));
    expect([january.from, january.to]).toEqual(["2026-10-01", "2026-12-31"]);
  });

  it("sends what the leader chose", () => {
    const choice = { on: true, size: 25, from: "2026-01-01", to: "2026-06-30", strata: ["procedure" as const], flaggedWeight: 5 };
    expect(sampleBody(choice)).toEqual({ size: 25, period_from: "2026-01-01", period_to: "2026-06-30", strata: ["procedure"], flagged_weight: 5 });
  });

  it("names a stratum's channel in words", () => {
    expect(stratumText("2.000635|in_person")).toBe("2.000635 · trực tiếp");
    expect(stratumText("online")).toBe("trực tuyến");
    expect(stratumText("all")).toBe("tất cả");
  });
});

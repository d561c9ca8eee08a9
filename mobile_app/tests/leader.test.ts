// The leader screens' pure helpers: periods, time zones, chart scaling, and the draw's weight
// held to the server's formula (values from server/plans/draw.py's risk_weight).
import { describe, expect, it } from "vitest";
import {
  barFractions,
  firstDrawChances,
  heatLevel,
  isoToWallTime,
  presetPeriod,
  quarterOf,
  rankMove,
  riskWeight,
  stackSegments,
  todayIn,
  wallTimeToIso,
} from "../src/screens/leader/logic";

describe("periods", () => {
  it("find the quarter of a day, also at the year's edges", () => {
    expect(quarterOf("2026-11-30")).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(quarterOf("2026-01-01")).toEqual({ from: "2026-01-01", to: "2026-03-31" });
    expect(quarterOf("2024-05-15")).toEqual({ from: "2024-04-01", to: "2024-06-30" });
    expect(quarterOf("2026-09-30")).toEqual({ from: "2026-07-01", to: "2026-09-30" });
  });

  it("turn presets into dates", () => {
    expect(presetPeriod("previousQuarter", "2026-01-15")).toEqual({ from: "2025-10-01", to: "2025-12-31" });
    expect(presetPeriod("last90", "2026-11-30")).toEqual({ from: "2026-09-02", to: "2026-11-30" });
    expect(presetPeriod("year", "2026-11-30")).toEqual({ from: "2026-01-01", to: "2026-12-31" });
  });

  it("read today on the unit's wall clock, not the device's", () => {
    const lateEvening = new Date("2026-12-31T18:30:00Z"); // 01:30 on 1 January in Hà Nội
    expect(todayIn("Asia/Ho_Chi_Minh", lateEvening)).toBe("2027-01-01");
    expect(todayIn("UTC", lateEvening)).toBe("2026-12-31");
  });

  it("convert a wall time in the unit's zone to an instant and back", () => {
    expect(wallTimeToIso("2026-12-01T08:00", "Asia/Ho_Chi_Minh")).toBe("2026-12-01T01:00:00.000Z");
    expect(isoToWallTime("2026-12-01T01:00:00Z", "Asia/Ho_Chi_Minh")).toBe("2026-12-01T08:00");
    // across a DST change the offset in force at that wall time is used
    expect(wallTimeToIso("2026-07-01T12:00", "Europe/Berlin")).toBe("2026-07-01T10:00:00.000Z");
    expect(wallTimeToIso("2026-01-01T12:00", "Europe/Berlin")).toBe("2026-01-01T11:00:00.000Z");
  });
});

describe("charts", () => {
  it("scale bars to the largest value and keep small ones visible", () => {
    expect(barFractions([2, 4, 0, 1])).toEqual([0.5, 1, 0, 0.25]);
    expect(barFractions([0, 0])).toEqual([0, 0]);
    expect(barFractions([1, 1000])[0]).toBe(0.02);
  });

  it("stack segments end to end", () => {
    expect(stackSegments([1, 1, 2])).toEqual([
      { start: 0, length: 0.25 },
      { start: 0.25, length: 0.25 },
      { start: 0.5, length: 0.5 },
    ]);
    expect(stackSegments([1, 1], 4)[1]).toEqual({ start: 0.25, length: 0.25 });
    expect(stackSegments([0, 0])).toEqual([
      { start: 0, length: 0 },
      { start: 0, length: 0 },
    ]);
  });

  it("colour heatmap cells by band, or by score when no band is named", () => {
    const bands = [
      { key: "excellent", min_score: 90 },
      { key: "good", min_score: 80 },
      { key: "fair", min_score: 65 },
      { key: "weak", min_score: 0 },
      { key: null, min_score: null },
    ];
    expect(heatLevel(95, "excellent", bands)).toBe(4);
    expect(heatLevel(50, "weak", bands)).toBe(0);
    expect(heatLevel(82, null, bands)).toBe(3);
    expect(heatLevel(70, null, bands)).toBe(1);
    expect(heatLevel(null, null, bands)).toBeNull();
    expect(heatLevel(99, null, [])).toBe(4);
  });

  it("name rank moves", () => {
    expect(rankMove(2)).toBe("up");
    expect(rankMove(-1)).toBe("down");
    expect(rankMove(0)).toBe("same");
    expect(rankMove(null)).toBe("new");
  });
});

describe("the draw's risk weight", () => {
  // Printed by server/plans/draw.py: risk_weight(RiskInputs(unit_id=…, **inputs)).
  const vectors: Array<[Parameters<typeof riskWeight>[0], number]> = [
    [{}, 6.0],
    [{ last_score: 72.35, open_actions: 3, overdue_actions: 1, critical_findings_12m: 0, days_since_last_visit: 40 }, 3.3156],
    [{ last_score: 100, days_since_last_visit: 0 }, 1.0],
    [{ last_score: 0, open_actions: 15, overdue_actions: 12, critical_findings_12m: 9, days_since_last_visit: 2000 }, 19.0],
    [{ last_score: 72.125, days_since_last_visit: 1 }, 2.1179],
    [{ last_score: 72.135, days_since_last_visit: 364 }, 3.1117],
    [{ last_score: 88.005, open_actions: 2, days_since_last_visit: 183 }, 2.3814],
    [{ last_score: 64.99999, days_since_last_visit: 730 }, 4.4],
    [{ last_score: 33.3333333, days_since_last_visit: 7 }, 3.686],
  ];

  it.each(vectors)("%j weighs %d", (inputs, weight) => {
    expect(riskWeight(inputs).weight).toBe(weight);
  });

  it("says what the weight comes from", () => {
    const terms = riskWeight({ last_score: 72.35, open_actions: 3, overdue_actions: 1, days_since_last_visit: 40 });
    expect(terms).toEqual({ base: 1, score: 1.106, open: 0.6, overdue: 0.5, critical: 0, time: 0.1096, weight: 3.3156 });
  });

  it("turns weights into chances of being drawn first", () => {
    expect(firstDrawChances([1, 3])).toEqual([0.25, 0.75]);
    expect(firstDrawChances([])).toEqual([]);
  });
});

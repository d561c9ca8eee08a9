// What the phone says the server will flag at the start: the server's rules (geofence plus the
// fix's accuracy, no location, unit without location, clock skew over 5 minutes, the window).
import { describe, expect, it } from "vitest";
import type { UnitBrief } from "../src/api/types";
import { distanceM, expectedStartFlags } from "../src/presence";

const unit: UnitBrief = {
  id: "u",
  code: "TN-PD",
  name_vi: "Xã Phương Định",
  name_en: "Phuong Dinh Commune",
  latitude: 20.2702,
  longitude: 106.2409,
  geofence_radius_m: 300,
  time_zone: "Asia/Ho_Chi_Minh",
};
const now = new Date("2026-11-30T03:00:00Z");
const window = { start: "2026-11-30T01:00:00Z", end: "2026-12-14T01:00:00Z" };

describe("the flags a start will get", () => {
  it("measures distances as the server does (haversine, mean Earth radius)", () => {
    // 0.001° of latitude is 111.2 m on the server's sphere.
    expect(distanceM(20, 106, 20.001, 106)).toBeCloseTo(111.195, 2);
  });

  it("flags nothing on site, on time, with a good clock", () => {
    const position = { latitude: 20.2702, longitude: 106.2409, accuracy: 10 };
    expect(expectedStartFlags(unit, position, window, now, 2)).toEqual({ flags: [], distance: 0 });
  });

  it("counts the fix's accuracy in the inspector's favour before flagging the geofence", () => {
    const position = { latitude: 20.2702 + 0.003, longitude: 106.2409, accuracy: 50 }; // ~334 m
    expect(expectedStartFlags(unit, position, window, now, 0).flags).toEqual([]);
    const precise = { ...position, accuracy: 5 };
    expect(expectedStartFlags(unit, precise, window, now, 0).flags).toEqual(["outside_geofence"]);
  });

  it("flags a start without a location, and a unit without one", () => {
    expect(expectedStartFlags(unit, null, window, now, 0).flags).toEqual(["no_location"]);
    const nowhere = { ...unit, latitude: null, longitude: null };
    const position = { latitude: 20, longitude: 106, accuracy: null };
    expect(expectedStartFlags(nowhere, position, window, now, 0).flags).toEqual(["unit_location_unknown"]);
  });

  it("flags a clock more than 5 minutes off and a start outside the window", () => {
    const position = { latitude: 20.2702, longitude: 106.2409, accuracy: 10 };
    expect(expectedStartFlags(unit, position, window, now, 301).flags).toEqual(["clock_skew"]);
    expect(expectedStartFlags(unit, position, window, now, 300).flags).toEqual([]);
    const early = new Date("2026-11-30T00:30:00Z");
    expect(expectedStartFlags(unit, position, window, early, 0).flags).toEqual(["outside_window"]);
    const dayAfterEnd = new Date("2026-12-15T01:00:01Z");
    expect(expectedStartFlags(unit, position, window, dayAfterEnd, 0).flags).toEqual(["outside_window"]);
  });
});

// What the server will flag when it receives the start, computed on the phone so the inspector
// sees it on site (the same rules as server/inspections/services.py:start and server/geo.py).
import type { UnitBrief } from "./api/types";
import type { Position } from "./store/record";

const EARTH_RADIUS_M = 6_371_008.8;
export const CLOCK_SKEW_LIMIT_SECONDS = 5 * 60;

export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const phi1 = radians(lat1);
  const phi2 = radians(lat2);
  const dPhi = phi2 - phi1;
  const dLambda = radians(lon2 - lon1);
  const a = Math.sin(dPhi / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export interface ExpectedFlags {
  flags: string[];
  distance: number | null;
}

export function expectedStartFlags(
  unit: UnitBrief,
  position: Position | null,
  window: { start: string; end: string },
  now: Date,
  clockOffsetSeconds: number | null,
): ExpectedFlags {
  const flags: string[] = [];
  let distance: number | null = null;
  if (!position) {
    flags.push("no_location");
  } else if (unit.latitude !== null && unit.longitude !== null) {
    distance = Math.round(distanceM(position.latitude, position.longitude, unit.latitude, unit.longitude) * 10) / 10;
    if (distance > unit.geofence_radius_m + (position.accuracy ?? 0)) flags.push("outside_geofence");
  } else {
    flags.push("unit_location_unknown");
  }
  if (clockOffsetSeconds !== null && Math.abs(clockOffsetSeconds) > CLOCK_SKEW_LIMIT_SECONDS) {
    flags.push("clock_skew");
  }
  // The server judges the window by its own receipt time, which is later when the phone is
  // offline; on the phone the device time (corrected by the last known offset) is the best guess.
  const serverNow = now.getTime() - (clockOffsetSeconds ?? 0) * 1000;
  const oneDay = 24 * 3600 * 1000;
  if (serverNow < Date.parse(window.start) || serverNow > Date.parse(window.end) + oneDay) {
    flags.push("outside_window");
  }
  return { flags, distance };
}

export function currentPosition(timeoutMs = 15_000): Promise<Position> {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("unsupported"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (found) =>
        resolve({
          latitude: found.coords.latitude,
          longitude: found.coords.longitude,
          accuracy: Number.isFinite(found.coords.accuracy) ? found.coords.accuracy : null,
        }),
      (error) => reject(new Error(error.message || `code ${error.code}`)),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
    );
  });
}

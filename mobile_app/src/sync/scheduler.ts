// When to push: at start, when the network comes back, when the app is shown again, every
// little while while something is pending, and after every local change; after a failure, with
// exponential backoff and jitter. Background Sync (where the browser has it) lets the service
// worker push after the app was closed.
import { appDB } from "../store/db";
import { backoffMs, pushOnce, type PushReport } from "./engine";
import { httpTransport, pullChanges } from "./http";
import { notifyChanged } from "./events";

const PERIOD_MS = 20_000;

let failures = 0;
let running: Promise<PushReport> | null = null;
/** Asked for while a round was under way: a change made then (e.g. during the round's pull) may
 * have missed the push, so one more round follows instead of leaving it for the next period. */
let again = false;
let retryTimer: ReturnType<typeof setTimeout> | null = null;

async function runOnce(): Promise<PushReport> {
  const db = await appDB();
  const report = await pushOnce(db, httpTransport(db));
  if (report.outcome === "idle" || report.outcome === "synced") {
    try {
      await pullChanges(db);
    } catch {
      // A failed pull changes nothing local; the next round tries again.
    }
  }
  return report;
}

function schedule(delay: number): void {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = setTimeout(() => void syncNow(), delay);
}

/** The device says it has no network at all (airplane mode, no signal). Its "online" is no
 * promise that the server can be reached, but its "offline" is sure. */
function deviceOffline(): boolean {
  return typeof navigator !== "undefined" && navigator.onLine === false;
}

/** Push now, then pull what changed; during a round, join it and ask for one more after it. With
 * no network at all, nothing is tried: every answer given offline started a push that failed at
 * once, and its bookkeeping drew the screen again. The "online" event pushes when the network is
 * back, and Background Sync (where the browser has it) lets the service worker push even if the
 * app was closed by then. */
export function syncNow(): Promise<PushReport> {
  if (deviceOffline()) {
    void askForBackgroundSync();
    return Promise.resolve({ outcome: "offline", applied: 0, rejected: 0, detail: null });
  }
  if (running) {
    again = true;
    return running;
  }
  again = false;
  running = runOnce()
    .then((report) => {
      if (report.outcome === "offline" || report.outcome === "failed") {
        failures += 1;
        schedule(backoffMs(failures));
        void askForBackgroundSync();
      } else {
        failures = 0;
      }
      return report;
    })
    .finally(() => {
      running = null;
      notifyChanged();
      // After a failure the backoff timer decides (unless a change or the network's return
      // reset the count since); otherwise what was asked for during the round goes now.
      if (again && failures === 0) void syncNow();
    });
  return running;
}

async function askForBackgroundSync(): Promise<void> {
  try {
    const registration = await navigator.serviceWorker?.ready;
    const sync = (registration as unknown as { sync?: { register(tag: string): Promise<void> } })?.sync;
    await sync?.register("spotcheck-push");
  } catch {
    // Not every browser has Background Sync; the timers and the online event still push.
  }
}

export function startScheduler(): void {
  window.addEventListener("online", () => {
    failures = 0;
    void syncNow();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void syncNow();
  });
  navigator.serviceWorker?.addEventListener("message", (event: MessageEvent) => {
    if ((event.data as { type?: string })?.type === "spotcheck-pushed") notifyChanged();
  });
  setInterval(() => {
    if (navigator.onLine && failures === 0) void syncNow();
  }, PERIOD_MS);
  void syncNow();
}

/** After a local change: try to send it at once (it is already safe in IndexedDB). */
export function changed(): void {
  notifyChanged();
  failures = 0;
  void syncNow();
}

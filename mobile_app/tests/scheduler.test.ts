// When the app pushes: a change made while a round is under way (typically during its pull) is
// sent by one more round right after it, not left for the next 20-second tick.
import { beforeEach, describe, expect, it, vi } from "vitest";

const pushes: Array<(outcome: "synced" | "failed") => void> = [];

vi.mock("../src/store/db", () => ({ appDB: async () => ({}) }));
vi.mock("../src/sync/http", () => ({
  httpTransport: () => ({}),
  pullChanges: async () => [],
}));
vi.mock("../src/sync/engine", () => ({
  backoffMs: () => 60_000,
  // Each push waits until the test finishes it, so the test decides what happens meanwhile.
  pushOnce: () =>
    new Promise((resolve) =>
      pushes.push((outcome) => resolve({ outcome, applied: 0, rejected: 0 })),
    ),
}));

const { changed } = await import("../src/sync/scheduler");

async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn += 1) await Promise.resolve();
}

describe("the sync scheduler", () => {
  beforeEach(async () => {
    // Finish whatever an earlier test left running, then forget it.
    while (pushes.length) {
      pushes.shift()?.("synced");
      await settle();
    }
  });

  it("sends a change made during a round with one more round right after it", async () => {
    changed();
    await settle();
    expect(pushes).toHaveLength(1);

    changed(); // made while the first round is still under way
    changed(); // and another: still one more round, not two
    await settle();
    expect(pushes).toHaveLength(1);

    pushes.shift()?.("synced");
    await settle();
    expect(pushes).toHaveLength(1); // the second round started at once

    pushes.shift()?.("synced");
    await settle();
    expect(pushes).toHaveLength(0); // and nothing more was asked for
  });

  it("tries nothing while the device has no network, and pushes once it has", async () => {
    vi.stubGlobal("navigator", { onLine: false });
    try {
      changed();
      changed();
      await settle();
      expect(pushes).toHaveLength(0);

      vi.stubGlobal("navigator", { onLine: true });
      changed();
      await settle();
      expect(pushes).toHaveLength(1);
      pushes.shift()?.("synced");
      await settle();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("after a failed round leaves the retry to the backoff timer", async () => {
    vi.useFakeTimers();
    try {
      changed();
      await settle();
      changed(); // during the round
      pushes.shift()?.("failed");
      await settle();
      expect(pushes).toHaveLength(0); // no hammering a failing server

      vi.advanceTimersByTime(60_000);
      await settle();
      expect(pushes).toHaveLength(1);
      pushes.shift()?.("synced");
      await settle();
    } finally {
      vi.useRealTimers();
    }
  });
});

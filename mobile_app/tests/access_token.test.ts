// withAccessToken: the token handling every call shares, fetch or an upload's XMLHttpRequest.
import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getKV, openAppDB, setKV, type AppDB } from "../src/store/db";
import { SessionExpired, withAccessToken } from "../src/sync/auth";

let db: AppDB;
let counter = 0;

const later = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

beforeEach(async () => {
  counter += 1;
  db = await openAppDB(`access-token-test-${counter}`);
  await setKV(db, "session", {
    accessToken: "old",
    accessExpiresAt: later(10),
    refreshToken: "refresh-1",
    refreshExpiresAt: later(600),
    userId: "u1",
    username: "lanhdao",
    expired: false,
  });
  // The refresh endpoint gives a new pair.
  vi.stubGlobal(
    "fetch",
    vi.fn(async () =>
      new Response(
        JSON.stringify({
          access_token: "new",
          access_expires_at: later(15),
          refresh_token: "refresh-2",
          refresh_expires_at: later(600),
          user: { id: "u1", username: "lanhdao" },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      ),
    ),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("withAccessToken", () => {
  it("sends once more with a refreshed token when the server says 401", async () => {
    const tokens: string[] = [];
    const answer = await withAccessToken(
      db,
      async (token) => {
        tokens.push(token);
        return { status: tokens.length === 1 ? 401 : 200 };
      },
      async () => "",
    );
    expect(answer.status).toBe(200);
    expect(tokens).toEqual(["old", "new"]);
  });

  it("ends the session when the refreshed token is refused too (as an upload now does)", async () => {
    await expect(
      withAccessToken(db, async () => ({ status: 401 }), async () => "token revoked"),
    ).rejects.toBeInstanceOf(SessionExpired);
    expect((await getKV(db, "session"))?.expired).toBe(true);
  });
});

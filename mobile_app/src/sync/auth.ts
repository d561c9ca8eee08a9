// Tokens kept in IndexedDB so the inspector stays logged in for the refresh token's lifetime,
// offline and across reboots. Refresh tokens rotate and reusing an old one revokes the family,
// so only one tab (or the service worker) refreshes at a time, under a Web Lock.
import type { TokenPair } from "../api/types";
import { getKV, setKV, type AppDB, type Session } from "../store/db";
import { withLock } from "./locks";

/** The network is not there (or the server could not be reached). */
export class Offline extends Error {}
/** The server refused our refresh token: the user must give the password again. */
export class SessionExpired extends Error {}
/** Another user's changes still wait on this phone: they must be sent under that user's name. */
export class OtherUserPending extends Error {
  constructor(
    readonly username: string,
    readonly count: number,
  ) {
    super(`${count} changes of ${username} are not sent yet`);
  }
}
/** The server answered with a problem; `detail` says what. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const REFRESH_MARGIN_MS = 30_000;

export async function problemDetail(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: string; title?: string };
    return body.detail || body.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function rawFetch(input: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(input, { ...init, credentials: "omit", cache: "no-store" });
  } catch {
    throw new Offline("network unreachable");
  }
}

function sessionOf(pair: TokenPair): Session {
  return {
    accessToken: pair.access_token,
    accessExpiresAt: pair.access_expires_at,
    refreshToken: pair.refresh_token,
    refreshExpiresAt: pair.refresh_expires_at,
    userId: pair.user.id,
    username: pair.user.username,
    expired: false,
  };
}

export async function login(
  db: AppDB,
  username: string,
  password: string,
  deviceName: string,
): Promise<Session> {
  const previous = await getKV(db, "session");
  const response = await rawFetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password, device_name: deviceName }),
  });
  if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
  const session = sessionOf((await response.json()) as TokenPair);
  if (previous && previous.userId !== session.userId && (await hasUnsentWork(db))) {
    // The queue holds another user's work: their ops must go out under their own name.
    throw new OtherUserPending(previous.username, await db.countFromIndex("ops", "byStatus", "pending"));
  }
  await setKV(db, "session", session);
  return session;
}

export async function hasUnsentWork(db: AppDB): Promise<boolean> {
  return (await db.countFromIndex("ops", "byStatus", "pending")) > 0;
}

export async function logout(db: AppDB): Promise<void> {
  const session = await getKV(db, "session");
  if (session && !session.expired) {
    try {
      await rawFetch("/api/v1/auth/logout", {
        method: "POST",
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });
    } catch {
      // Offline logout still forgets the tokens on this phone.
    }
  }
  // The next person to log in on this phone must not see this one's assignments. The UI only
  // offers logout when nothing is waiting to be sent; the device id stays.
  const stores = [
    "inspections",
    "checklists",
    "answers",
    "findings",
    "signatures",
    "progress",
    "ops",
    "evidence",
    "actions",
    "samples",
    "dossierChecks",
  ] as const;
  const tx = db.transaction(["kv", ...stores], "readwrite");
  await tx.objectStore("kv").delete("session");
  await tx.objectStore("kv").delete("me");
  await tx.objectStore("kv").delete("sync");
  for (const name of stores) await tx.objectStore(name).clear();
  await tx.done;
}

async function refresh(db: AppDB, stale: Session): Promise<Session> {
  return withLock("spotcheck-auth", async () => {
    const current = await getKV(db, "session");
    if (!current) throw new SessionExpired("logged out");
    if (current.expired) throw new SessionExpired("expired");
    if (current.refreshToken !== stale.refreshToken) return current; // another tab refreshed
    const response = await rawFetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refreshToken }),
    });
    if (response.status === 401 || response.status === 400 || response.status === 422) {
      await setKV(db, "session", { ...current, expired: true });
      throw new SessionExpired(await problemDetail(response));
    }
    if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
    const next = sessionOf((await response.json()) as TokenPair);
    await setKV(db, "session", next);
    return next;
  });
}

/** Sends with the access token, refreshing it first when it is (about to be) expired and once
 * more when the server says 401; a second 401 ends the session. `send` is fetch for most calls,
 * or XMLHttpRequest for an upload that reports its progress. Throws Offline, SessionExpired;
 * returns every other answer. */
export async function withAccessToken<T extends { status: number }>(
  db: AppDB,
  send: (token: string) => Promise<T>,
  detailOf: (answer: T) => Promise<string>,
): Promise<T> {
  let session = await getKV(db, "session");
  if (!session) throw new SessionExpired("logged out");
  if (session.expired) throw new SessionExpired("expired");
  if (Date.parse(session.accessExpiresAt) - Date.now() < REFRESH_MARGIN_MS) {
    session = await refresh(db, session);
  }
  let answer = await send(session.accessToken);
  if (answer.status === 401) {
    session = await refresh(db, session);
    answer = await send(session.accessToken);
    if (answer.status === 401) {
      await setKV(db, "session", { ...session, expired: true });
      throw new SessionExpired(await detailOf(answer));
    }
  }
  return answer;
}

/** fetch with the access token (:func:`withAccessToken`). */
export async function authorizedFetch(
  db: AppDB,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return withAccessToken(
    db,
    (token) =>
      rawFetch(path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
      }),
    problemDetail,
  );
}

export async function fetchJSON<T>(db: AppDB, path: string, init: RequestInit = {}): Promise<T> {
  const response = await authorizedFetch(db, path, init);
  if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
  return (await response.json()) as T;
}

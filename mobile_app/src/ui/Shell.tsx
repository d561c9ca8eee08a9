import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Me } from "../api/types";
import { formatDateTime, lang, setLang, t, type MessageKey } from "../i18n";
import { appDB, EMPTY_SYNC_STATE, type AppDB, type Session, type SyncState } from "../store/db";
import { HttpProblem, hasUnsentWork, login, logout, Offline } from "../sync/auth";
import { notifyChanged } from "../sync/events";
import { changed, syncNow } from "../sync/scheduler";
import { useLive, useOnline } from "./hooks";
import { Link } from "./Link";
import { navigate, usePath } from "./router";

const DEVICE_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

interface SyncStatus {
  pending: number;
  rejected: number;
  lastSuccessAt: string | null;
}

async function readStatus(db: AppDB): Promise<SyncStatus> {
  // Read after every change: one transaction rather than three.
  const tx = db.transaction(["ops", "kv"], "readonly");
  const byStatus = tx.objectStore("ops").index("byStatus");
  const [pending, rejected, sync] = await Promise.all([
    byStatus.count("pending"),
    byStatus.count("rejected"),
    tx.objectStore("kv").get("sync") as Promise<SyncState | undefined>,
  ]);
  return { pending, rejected, lastSuccessAt: (sync ?? EMPTY_SYNC_STATE).lastSuccessAt };
}

export function SyncBadge() {
  const online = useOnline();
  const status = useLive(readStatus, []);
  const [busy, setBusy] = useState(false);
  const pending = status?.pending ?? 0;
  return (
    <div class="syncbar" role="status" aria-live="polite" data-testid="sync-status">
      <span class={online ? "dot dot-on" : "dot dot-off"} aria-hidden="true" />
      <span class="syncbar-text">
        <strong data-testid="pending-count" data-count={pending}>
          {pending > 0 ? t("pendingCount", { count: pending }) : t("allSent")}
        </strong>
        {status && status.rejected > 0 ? (
          <a class="syncbar-rejected" href="/app/sync" onClick={(event) => (event.preventDefault(), navigate("/sync"))}>
            {t("syncRejectedCount", { count: status.rejected })}
          </a>
        ) : null}
        <span class="muted small" data-testid="last-sync">
          {online ? "" : `${t("offline")} · `}
          {status?.lastSuccessAt
            ? t("lastSync", { time: formatDateTime(status.lastSuccessAt, DEVICE_TIME_ZONE) })
            : t("neverSynced")}
        </span>
      </span>
      <button
        class="button button-small"
        disabled={busy || !online}
        onClick={async () => {
          setBusy(true);
          await syncNow();
          setBusy(false);
        }}
      >
        {busy ? t("syncing") : t("syncNow")}
      </button>
    </div>
  );
}

function ExpiredBanner({ session }: { session: Session }) {
  // Only an expired session counts the pending changes (a read after every change).
  return session.expired ? <ExpiredForm session={session} /> : null;
}

function ExpiredForm({ session }: { session: Session }) {
  const online = useOnline();
  const pending = useLive(async (db) => db.countFromIndex("ops", "byStatus", "pending"), []);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  if (!online) {
    return (
      <div class="banner banner-warn" role="alert">
        {t("sessionExpiredOffline")}
      </div>
    );
  }
  return (
    <form
      class="banner banner-warn"
      role="alert"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        try {
          await login(await appDB(), session.username, password, navigator.userAgent.slice(0, 180));
          setPassword("");
          changed();
        } catch (problem) {
          if (problem instanceof Offline) setError(t("loginOffline"));
          else if (problem instanceof HttpProblem) setError(t("loginFailed", { detail: problem.detail }));
          else setError(String(problem));
        }
      }}
    >
      <p>{t("sessionExpired", { count: pending ?? 0 })}</p>
      <label class="field">
        <span>
          {t("password")} ({session.username})
        </span>
        <input
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(event) => setPassword((event.target as HTMLInputElement).value)}
          required
        />
      </label>
      {error ? <p class="error">{error}</p> : null}
      <button class="button" type="submit">
        {t("relogin")}
      </button>
    </form>
  );
}

type Role = Me["role"];

const NAV: Record<Role, Array<[string, MessageKey]>> = {
  inspector: [["/", "navAssignments"]],
  unit_head: [
    ["/actions", "navActions"],
    ["/dossiers", "navDossiers"],
  ],
  leader: [
    ["/dashboard", "navDashboard"],
    ["/plans", "navPlans"],
    ["/reviews", "navReviews"],
    ["/actions", "navActions"],
    ["/dossiers", "navDossiers"],
  ],
  admin: [
    ["/admin/units", "navUnits"],
    ["/admin/users", "navUsers"],
    ["/admin/notifications", "navNotifications"],
    ["/admin/checklists", "navChecklists"],
    ["/dossiers", "navDossiers"],
  ],
};

function RoleNav({ role }: { role: Role }) {
  const links = NAV[role];
  const path = usePath();
  if (links.length < 2) return null;
  return (
    <nav class="rolenav" aria-label={t("navLabel")}>
      {links.map(([to, label]) => (
        <Link key={to} class={path.startsWith(to) ? "rolenav-link rolenav-on" : "rolenav-link"} to={to}>
          {t(label)}
        </Link>
      ))}
    </nav>
  );
}

export function Shell({ session, role, children }: { session: Session; role: Role; children: ComponentChildren }) {
  const [message, setMessage] = useState<string | null>(null);
  return (
    <>
      <a class="skip" href="#main">
        {t("skipToContent")}
      </a>
      <header class="topbar">
        <a
          class="brand"
          href="/app/"
          onClick={(event) => {
            event.preventDefault();
            navigate("/");
          }}
        >
          {t("appName")}
        </a>
        <nav class="topbar-actions" aria-label={t("menu")}>
          <button
            class="button button-small button-ghost"
            lang={lang() === "vi" ? "en" : "vi"}
            onClick={() => setLang(lang() === "vi" ? "en" : "vi")}
          >
            {t("switchToOther")}
          </button>
          <button
            class="button button-small button-ghost"
            onClick={async () => {
              const db = await appDB();
              if (await hasUnsentWork(db)) {
                const count = await db.countFromIndex("ops", "byStatus", "pending");
                setMessage(t("logoutBlocked", { count }));
                return;
              }
              await logout(db);
              navigate("/", true);
              notifyChanged();
            }}
          >
            {t("logout")}
          </button>
        </nav>
      </header>
      <SyncBadge />
      <RoleNav role={role} />
      <ExpiredBanner session={session} />
      {message ? (
        <div class="banner banner-warn" role="alert">
          {message}
          <button class="button button-small button-ghost" onClick={() => setMessage(null)}>
            {t("close")}
          </button>
        </div>
      ) : null}
      <main id="main" class="page" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

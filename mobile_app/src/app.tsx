import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Me } from "./api/types";
import { t } from "./i18n";
import { appDB, getKV, type Session } from "./store/db";
import { onChanged } from "./sync/events";
import { match, navigate, usePath } from "./ui/router";
import { useLang } from "./ui/hooks";
import { keepUnchanged } from "./ui/keep";
import { Shell } from "./ui/Shell";
import { LoginScreen } from "./screens/Login";
import { AssignmentsScreen } from "./screens/Assignments";
import { InspectionScreen } from "./screens/Inspection";
import { SectionScreen } from "./screens/Section";
import { FindingScreen } from "./screens/Finding";
import { ReviewScreen } from "./screens/Review";
import { SignScreen } from "./screens/Sign";
import { SyncScreen } from "./screens/Sync";
import { DossierScreen, SampleScreen } from "./screens/Dossiers";
import { ActionsListScreen } from "./screens/actions/ActionsList";
import { ActionDetailScreen } from "./screens/actions/ActionDetail";
import { InspectionDetailScreen } from "./screens/actions/InspectionDetail";

type Role = Me["role"];
type AreaModule = { route: (path: string) => VNode | null };

// Leaders' and admins' screens are separate chunks, loaded by the users who have them; the
// service worker precaches them too, so they open offline like the rest.
const AREAS: Partial<Record<Role, () => Promise<AreaModule>>> = {
  leader: () => import("./screens/leader"),
  admin: () => import("./screens/admin"),
};

// The dossier-ledger screens: a chunk of their own, for the roles that read a unit's ledger.
const loadDossiers = () => import("./screens/dossiers");
const DOSSIER_ROLES: ReadonlySet<Role> = new Set(["leader", "admin", "unit_head"]);

function isDossierPath(path: string): boolean {
  return path === "/dossiers" || path.startsWith("/dossiers/") || match("/units/:id/dossiers", path) !== null;
}

/** Where each role lands at /app/. */
export const HOME: Record<Role, string> = {
  inspector: "/",
  unit_head: "/actions",
  leader: "/dashboard",
  admin: "/admin/units",
};

function NotFound() {
  return (
    <section class="card">
      <p>{t("notFound")}</p>
      <button class="button" onClick={() => navigate("/")}>
        {t("home")}
      </button>
    </section>
  );
}

function Area({ role, path, load }: { role: Role; path: string; load?: () => Promise<AreaModule> }) {
  const [module, setModule] = useState<AreaModule | null>(null);
  const loader = load ?? AREAS[role];
  useEffect(() => {
    void loader?.().then((loaded) => setModule(() => loaded));
  }, [role, loader]);
  if (!loader) return <NotFound />;
  if (!module) return <p role="status">{t("loading")}</p>;
  return module.route(path) ?? <NotFound />;
}

function route(path: string, role: Role) {
  let params: Record<string, string> | null;
  if (path === "/" || path === "") {
    if (role === "inspector") return <AssignmentsScreen />;
    if (role === "unit_head") return <ActionsListScreen />;
    return <Area role={role} path={HOME[role]} />;
  }
  if (path === "/sync") return <SyncScreen />;
  if (isDossierPath(path)) {
    return DOSSIER_ROLES.has(role) ? <Area key="dossiers" role={role} path={path} load={loadDossiers} /> : <NotFound />;
  }
  if (path === "/actions") return <ActionsListScreen />;
  if (path === "/reviews") return <ActionsListScreen title="navReviews" only="submitted" />;
  if ((params = match("/actions/:id", path))) return <ActionDetailScreen id={params.id} />;
  if ((params = match("/inspections/:id", path))) {
    return role === "inspector" ? <InspectionScreen id={params.id} /> : <InspectionDetailScreen id={params.id} />;
  }
  if ((params = match("/inspections/:id/sections/:section", path)))
    return <SectionScreen id={params.id} sectionKey={params.section} />;
  if ((params = match("/inspections/:id/findings/new", path))) return <FindingScreen id={params.id} />;
  if ((params = match("/inspections/:id/review", path))) return <ReviewScreen id={params.id} />;
  if ((params = match("/inspections/:id/dossiers", path))) return <SampleScreen id={params.id} />;
  if ((params = match("/inspections/:id/dossiers/:code", path)))
    return <DossierScreen key={params.code} id={params.id} code={params.code} />;
  if ((params = match("/inspections/:id/sign", path))) return <SignScreen id={params.id} />;
  return <Area role={role} path={path} />;
}

export function App() {
  useLang();
  const path = usePath();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [me, setMe] = useState<Me | null>(null);

  useEffect(() => {
    // Read again after every change; what is unchanged keeps its object, so the whole app is not
    // drawn again for an answer (keepUnchanged).
    const load = () =>
      void appDB().then(async (db) => {
        const [nextSession, nextMe] = await Promise.all([getKV(db, "session"), getKV(db, "me")]);
        setSession((before) => keepUnchanged(before, nextSession ?? null));
        setMe((before) => keepUnchanged(before, nextMe ?? null));
      });
    load();
    return onChanged(load);
  }, []);

  useEffect(() => {
    // The first screen a person can use is on the page: `make bench` reads this mark.
    if (session !== undefined && performance.getEntriesByName("spotcheck-interactive").length === 0) {
      performance.mark("spotcheck-interactive");
    }
  }, [session]);

  if (session === undefined) {
    return (
      <main id="main" class="page">
        <p role="status">{t("loading")}</p>
      </main>
    );
  }
  // A link from a message opens here first when logged out; after login the same path shows.
  if (session === null) return <LoginScreen />;
  const role: Role = me?.role ?? "inspector";
  return (
    <Shell session={session} role={role}>
      {route(path, role)}
    </Shell>
  );
}

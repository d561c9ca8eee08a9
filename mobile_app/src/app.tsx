import { useEffect, useState } from "preact/hooks";
import { t } from "./i18n";
import { getKV, type Session } from "./store/db";
import { onChanged } from "./sync/events";
import { appDB } from "./store/db";
import { match, navigate, usePath } from "./ui/router";
import { useLang } from "./ui/hooks";
import { Shell } from "./ui/Shell";
import { LoginScreen } from "./screens/Login";
import { AssignmentsScreen } from "./screens/Assignments";
import { InspectionScreen } from "./screens/Inspection";
import { SectionScreen } from "./screens/Section";
import { FindingScreen } from "./screens/Finding";
import { ReviewScreen } from "./screens/Review";
import { SignScreen } from "./screens/Sign";
import { SyncScreen } from "./screens/Sync";

// Screens by role come here as the app grows (unit heads' actions, leaders' dashboards); the
// shell, the store and the sync engine are shared by all of them.
function route(path: string) {
  let params: Record<string, string> | null;
  if (path === "/" || path === "") return <AssignmentsScreen />;
  if (path === "/sync") return <SyncScreen />;
  if ((params = match("/inspections/:id", path))) return <InspectionScreen id={params.id} />;
  if ((params = match("/inspections/:id/sections/:section", path)))
    return <SectionScreen id={params.id} sectionKey={params.section} />;
  if ((params = match("/inspections/:id/findings/new", path))) return <FindingScreen id={params.id} />;
  if ((params = match("/inspections/:id/review", path))) return <ReviewScreen id={params.id} />;
  if ((params = match("/inspections/:id/sign", path))) return <SignScreen id={params.id} />;
  return (
    <section class="card">
      <p>{t("notFound")}</p>
      <button class="button" onClick={() => navigate("/")}>
        {t("home")}
      </button>
    </section>
  );
}

export function App() {
  useLang();
  const path = usePath();
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    const load = () =>
      void appDB()
        .then((db) => getKV(db, "session"))
        .then((stored) => setSession(stored ?? null));
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
  if (session === null) return <LoginScreen />;
  return <Shell session={session}>{route(path)}</Shell>;
}

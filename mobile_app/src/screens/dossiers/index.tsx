import type { VNode } from "preact";
import type { Me } from "../../api/types";
import { t } from "../../i18n";
import { match } from "../../ui/router";
import { Loading, useMe } from "../leader/common";
import "../leader/leader.css";
import "./dossiers.css";
import { LedgerHubScreen } from "./Hub";
import { ImportScreen } from "./Import";
import { LedgerScreen } from "./Ledger";
import { canImport } from "./model";

/** The dossier-ledger screens, a chunk of their own: leaders and admins import and read, a
 * unit head reads their own unit's. Returns null for a path that is not one of them. */
export function route(path: string): VNode | null {
  const params = match("/units/:id/dossiers", path);
  if (params) return <WithMe render={(me) => <LedgerScreen key={params.id} unitId={params.id} me={me} />} />;
  if (path === "/dossiers") {
    return (
      <WithMe
        render={(me) =>
          canImport(me.role) ? <LedgerHubScreen me={me} /> : <LedgerScreen key={me.home_unit_id} unitId={me.home_unit_id} me={me} />
        }
      />
    );
  }
  if (path === "/dossiers/import") return <WithMe render={(me) => (canImport(me.role) ? <ImportScreen me={me} /> : null)} />;
  return null;
}

function WithMe({ render }: { render: (me: Me) => VNode | null }) {
  const me = useMe();
  if (me === undefined) return <Loading />;
  if (me === null) return <p class="error">{t("leaderNoProfile")}</p>;
  return render(me) ?? <p class="error">{t("notFound")}</p>;
}

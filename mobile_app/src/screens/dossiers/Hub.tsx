// The navigation's "Dossier ledgers" for leaders and admins: import a ledger, or open the
// ledger of a unit of their scope. (A unit head goes straight to their own unit's ledger.)
import type { Me } from "../../api/types";
import { t } from "../../i18n";
import { Link } from "../../ui/Link";
import { ErrorNote, Loading, unitOptions, useUnits } from "../leader/common";
import { importableUnits } from "./model";

export function LedgerHubScreen({ me }: { me: Me }) {
  const units = useUnits();
  const canImportSomewhere = units.data ? importableUnits(units.data, me).length > 0 : false;
  return (
    <section aria-labelledby="ledger-hub-title" class="leader ledger">
      <h1 id="ledger-hub-title">{t("ledgerHubTitle")}</h1>
      <p class="muted">{t("ledgerHubIntro")}</p>
      {canImportSomewhere ? (
        <div class="leader-actions">
          <Link class="button button-primary" to="/dossiers/import">
            {t("ledgerImportButton")}
          </Link>
        </div>
      ) : null}
      <h2>{t("ledgerHubUnits")}</h2>
      <ErrorNote text={units.error} />
      {units.data ? (
        <ul class="list-plain ledger-units">
          {unitOptions(units.data).map((option) => (
            <li key={option.id}>
              <Link class="rank-link" to={`/units/${option.id}/dossiers`}>
                {option.label}
              </Link>
            </li>
          ))}
        </ul>
      ) : units.error ? null : (
        <Loading />
      )}
    </section>
  );
}

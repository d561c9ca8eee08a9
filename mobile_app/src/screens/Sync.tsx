import { formatDateTime, t } from "../i18n";
import { EMPTY_SYNC_STATE, getKV } from "../store/db";
import { useLive } from "../ui/hooks";
import { Link } from "../ui/Link";
import { RejectionNote } from "../ui/Rejection";
import { SyncBadge } from "../ui/Shell";

const DEVICE_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function linkFor(inspectionId: string | null, subject: string | null): string {
  if (!inspectionId) return "/";
  if (subject?.startsWith("item:")) return `/inspections/${inspectionId}/review`;
  if (subject?.startsWith("dossier:"))
    return `/inspections/${inspectionId}/dossiers/${encodeURIComponent(subject.slice("dossier:".length))}`;
  if (subject?.startsWith("sign:") || subject === "submit") return `/inspections/${inspectionId}/sign`;
  return `/inspections/${inspectionId}`;
}

export function SyncScreen() {
  const data = useLive(async (db) => {
    const [rejected, sync] = await Promise.all([
      db.getAllFromIndex("ops", "byStatus", "rejected"),
      getKV(db, "sync"),
    ]);
    return { rejected, sync: sync ?? EMPTY_SYNC_STATE };
  }, []);
  if (!data) return <p role="status">{t("loading")}</p>;
  return (
    <section aria-labelledby="sync-title">
      <h1 id="sync-title">{t("syncTitle")}</h1>
      <SyncBadge />
      {data.sync.lastError ? <p class="warn">{t("syncLastError", { detail: data.sync.lastError })}</p> : null}
      {data.sync.lastSuccessAt ? (
        <p class="muted">{t("lastSync", { time: formatDateTime(data.sync.lastSuccessAt, DEVICE_TIME_ZONE) })}</p>
      ) : null}
      <h2>{t("syncRejectedTitle")}</h2>
      {data.rejected.length === 0 ? <p>{t("syncRejectedNone")}</p> : null}
      <ul class="list">
        {data.rejected.map((op) => (
          <li key={op.opId} class="card" data-testid="rejected-op">
            <p>
              <strong>{op.type}</strong> {op.subject ?? ""}
            </p>
            <RejectionNote op={op} />
            <Link class="button button-small" to={linkFor(op.inspectionId, op.subject)}>
              {t("syncFix")}
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

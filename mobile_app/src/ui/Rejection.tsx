import { t } from "../i18n";
import type { QueuedOp } from "../store/db";

/** What the server refused, shown where it belongs, in words the inspector can act on. */
export function RejectionNote({ op }: { op: QueuedOp | undefined }) {
  if (!op) return null;
  const reason = op.reason ?? "";
  const text = reason.startsWith("evidence:")
    ? t("evidenceRefused", {
        reason: reason === "evidence:missing-on-device" ? t("evidenceMissing") : reason.slice("evidence:".length),
      })
    : t("rejectedOnItem", { reason: reason.replace(/\.+$/, "") });
  const fixable =
    op.subject?.startsWith("item:") ||
    op.subject?.startsWith("sign:") ||
    op.subject?.startsWith("finding:") ||
    op.subject?.startsWith("dossier:");
  return (
    <div class="rejection" role="alert" data-testid="rejection">
      <p class="error">{text}</p>
      {fixable ? <p class="small">{t("rejectedFixHint")}</p> : null}
    </div>
  );
}

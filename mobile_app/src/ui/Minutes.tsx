import { useState } from "preact/hooks";
import { t } from "../i18n";
import { appDB } from "../store/db";
import type { InspectionView } from "../store/inspection";
import { authorizedFetch, problemDetail } from "../sync/auth";
import { useOnline } from "./hooks";

/** The signed minutes, fetched with the token (the PDF is not public) and opened as a file. */
export function MinutesLink({ view }: { view: InspectionView }) {
  const online = useOnline();
  const [error, setError] = useState<string | null>(null);
  const [url, setUrl] = useState<string | null>(null);
  const serverSigned = view.inspection.status === "signed" || view.inspection.status === "closed";
  if (view.status !== "signed" && view.status !== "closed") return null;
  return (
    <section class="card" aria-labelledby="minutes-title">
      <h2 id="minutes-title">{t("minutesTitle")}</h2>
      {serverSigned && online ? (
        <button
          class="button button-primary button-block"
          data-testid="minutes-open"
          onClick={async () => {
            setError(null);
            try {
              const response = await authorizedFetch(
                await appDB(),
                `/api/v1/inspections/${view.inspection.id}/minutes.pdf`,
              );
              if (!response.ok) throw new Error(await problemDetail(response));
              const blob = await response.blob();
              const objectUrl = URL.createObjectURL(blob);
              setUrl(objectUrl);
              window.open(objectUrl, "_blank", "noopener");
            } catch (problem) {
              setError(t("minutesFailed", { detail: problem instanceof Error ? problem.message : String(problem) }));
            }
          }}
        >
          {t("minutesOpen")}
        </button>
      ) : (
        <p class="muted">{t("minutesWaiting")}</p>
      )}
      {url ? (
        <p>
          <a href={url} target="_blank" rel="noopener" data-testid="minutes-file">
            PDF
          </a>
        </p>
      ) : null}
      {error ? <p class="error">{error}</p> : null}
    </section>
  );
}

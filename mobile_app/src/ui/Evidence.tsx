import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";
import { appDB } from "../store/db";
import { authorizedFetch } from "../sync/auth";

/** A photo by its hash: from this phone when it is here, else from the server (with the token;
 * evidence is never public). */
export function EvidenceImage({ sha256, index }: { sha256: string; index: number }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let objectUrl: string | null = null;
    let alive = true;
    void (async () => {
      const db = await appDB();
      let blob = (await db.get("evidence", sha256))?.blob ?? null;
      if (!blob) {
        try {
          const response = await authorizedFetch(db, `/api/v1/evidence/${sha256}`);
          if (response.ok) blob = await response.blob();
        } catch {
          blob = null;
        }
      }
      if (!alive) return;
      if (!blob) return setFailed(true);
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    })();
    return () => {
      alive = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [sha256]);
  const label = t("photoOfEvidence", { index });
  return (
    <figure class="thumb" data-testid="evidence" data-sha256={sha256}>
      {url ? <img src={url} alt={label} /> : <span class="thumb-empty" role="img" aria-label={failed ? `${label} —` : label} />}
    </figure>
  );
}

export function EvidenceStrip({ hashes }: { hashes: string[] }) {
  if (hashes.length === 0) return <p class="muted small">—</p>;
  return (
    <div class="thumbs">
      {hashes.map((sha256, index) => (
        <EvidenceImage key={sha256} sha256={sha256} index={index + 1} />
      ))}
    </div>
  );
}

import { useState } from "preact/hooks";
import { FINDING_CATEGORIES, FINDING_SEVERITIES, type FindingCategory, type FindingSeverity } from "../api/types";
import { t, type MessageKey } from "../i18n";
import { appDB } from "../store/db";
import { recordFinding } from "../store/record";
import { PhotoButton, withPhoto } from "../ui/PhotoButton";
import { changed } from "../sync/scheduler";
import { navigate } from "../ui/router";
import { InspectionHeader, useInspection } from "./Inspection";

export function FindingScreen({ id }: { id: string }) {
  const view = useInspection(id);
  const [category, setCategory] = useState<FindingCategory>("discipline");
  const [severity, setSeverity] = useState<FindingSeverity>("minor");
  const [description, setDescription] = useState("");
  const [staffName, setStaffName] = useState("");
  const [photos, setPhotos] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  if (view === undefined) return <p role="status">{t("loading")}</p>;
  if (view === null) return <p class="card">{t("notFoundInspection")}</p>;

  return (
    <>
      <InspectionHeader view={view} />
      <form
        class="card"
        aria-labelledby="finding-title"
        onSubmit={async (event) => {
          event.preventDefault();
          if (!description.trim()) {
            setError(t("findingNeedsDescription"));
            return;
          }
          await recordFinding(await appDB(), {
            inspectionId: id,
            category,
            severity,
            description: description.trim(),
            staffName: category === "discipline" && staffName.trim() ? staffName.trim() : null,
            evidence: photos,
          });
          changed();
          navigate(`/inspections/${id}`);
        }}
      >
        <h2 id="finding-title">{t("addFinding")}</h2>
        <label class="field">
          <span>{t("findingCategory")}</span>
          <select value={category} onChange={(event) => setCategory((event.target as HTMLSelectElement).value as FindingCategory)}>
            {FINDING_CATEGORIES.map((key) => (
              <option key={key} value={key}>
                {t(`category_${key}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="field">
          <legend>{t("findingSeverity")}</legend>
          <div class="choices" role="radiogroup" aria-label={t("findingSeverity")}>
            {FINDING_SEVERITIES.map((key) => (
              <button
                type="button"
                key={key}
                role="radio"
                aria-checked={severity === key}
                class={severity === key ? "choice choice-on" : "choice"}
                onClick={() => setSeverity(key)}
              >
                {t(`severity_${key}` as MessageKey)}
              </button>
            ))}
          </div>
        </fieldset>
        <label class="field">
          <span>{t("findingDescription")}</span>
          <textarea rows={4} value={description} onInput={(event) => setDescription((event.target as HTMLTextAreaElement).value)} required />
        </label>
        {category === "discipline" ? (
          <label class="field">
            <span>{t("findingStaff")}</span>
            <input value={staffName} onInput={(event) => setStaffName((event.target as HTMLInputElement).value)} />
          </label>
        ) : null}
        <p class="muted small">
          {t("photos")}: {photos.length}
        </p>
        <PhotoButton
          id="finding-photo"
          testId="photo-input-finding"
          onPhoto={(sha256) => setPhotos(withPhoto(sha256))}
        />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button class="button button-primary button-block" type="submit">
          {t("findingSave")}
        </button>
      </form>
    </>
  );
}

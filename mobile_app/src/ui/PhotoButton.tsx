import { useState } from "preact/hooks";
import { t } from "../i18n";
import { appDB } from "../store/db";
import { keepPhoto } from "../store/record";

/** `setPhotos(withPhoto(sha256))`: the list with the photo added once. */
export function withPhoto(sha256: string): (list: string[]) => string[] {
  return (list) => (list.includes(sha256) ? list : [...list, sha256]);
}

/** "Take a photo": the camera on a phone (`capture`), a file picker on a desk. The photo is
 * downscaled, hashed and kept on the phone before `onPhoto` gets its hash. */
export function PhotoButton({
  id,
  testId,
  disabled = false,
  onPhoto,
}: {
  id: string;
  testId: string;
  disabled?: boolean;
  onPhoto: (sha256: string) => void | Promise<void>;
}) {
  const [state, setState] = useState<string | null>(null);
  return (
    <>
      <input
        id={id}
        class="visually-hidden"
        type="file"
        accept="image/*"
        capture="environment"
        disabled={disabled}
        data-testid={testId}
        onChange={async (event) => {
          const input = event.target as HTMLInputElement;
          const file = input.files?.[0];
          input.value = "";
          if (!file) return;
          setState(t("photoProcessing"));
          try {
            await onPhoto(await keepPhoto(await appDB(), file));
            setState(null);
          } catch (problem) {
            setState(t("photoFailed", { reason: problem instanceof Error ? problem.message : String(problem) }));
          }
        }}
      />
      <label for={id} class={`button button-small${disabled ? " button-disabled" : ""}`}>
        {t("addPhoto")}
      </label>
      {state ? (
        <p class="muted small" role="status">
          {state}
        </p>
      ) : null}
    </>
  );
}

import { useState } from "preact/hooks";
import type { SignerRole } from "../api/types";
import { t } from "../i18n";
import { appDB, getKV } from "../store/db";
import { bothSigned, type InspectionView } from "../store/inspection";
import { keepImage, recordSignature } from "../store/record";
import { changed } from "../sync/scheduler";
import { useLive } from "../ui/hooks";
import { MinutesLink } from "../ui/Minutes";
import { RejectionNote } from "../ui/Rejection";
import { SignaturePad } from "../ui/SignaturePad";
import { InspectionHeader, useInspection } from "./Inspection";

function SignerCard({ view, role, defaultName }: { view: InspectionView; role: SignerRole; defaultName: string }) {
  const signed = view.signatures[role];
  const [name, setName] = useState(defaultName);
  const [png, setPng] = useState<Blob | null>(null);
  const [refused, setRefused] = useState(false);
  const [reason, setReason] = useState("");
  const [witness, setWitness] = useState("");
  const [error, setError] = useState<string | null>(null);
  const title = role === "team_head" ? t("signTeamHead") : t("signUnitRep");
  const rejection = view.rejected[`sign:${role}`];

  if (signed && !rejection) {
    return (
      <section class="card" aria-label={title} data-testid={`signed-${role}`}>
        <h3>{title}</h3>
        <p class="ok">
          {signed.refused
            ? t("refusalSaved", { name: signed.signerName, witness: signed.witnessName ?? "" })
            : t("signSaved", { name: signed.signerName })}
        </p>
      </section>
    );
  }

  async function save(event: Event) {
    event.preventDefault();
    setError(null);
    if (!name.trim()) return setError(t("signNeedsName"));
    const db = await appDB();
    if (refused) {
      if (!reason.trim() || !witness.trim()) return setError(t("refusalNeedsDetails"));
      await recordSignature(db, {
        inspectionId: view.inspection.id,
        signerRole: role,
        signerName: name.trim(),
        signatureSha256: null,
        refused: true,
        refusalReason: reason.trim(),
        witnessName: witness.trim(),
      });
    } else {
      if (!png) return setError(t("signEmpty"));
      const sha256 = await keepImage(db, png, "image/png");
      await recordSignature(db, {
        inspectionId: view.inspection.id,
        signerRole: role,
        signerName: name.trim(),
        signatureSha256: sha256,
        refused: false,
        refusalReason: null,
        witnessName: null,
      });
    }
    changed();
  }

  return (
    <form class="card" aria-label={title} data-testid={`sign-${role}`} onSubmit={save}>
      <h3>{title}</h3>
      <RejectionNote op={rejection} />
      <label class="field">
        <span>{t("signerName")}</span>
        <input value={name} autocomplete="name" onInput={(event) => setName((event.target as HTMLInputElement).value)} />
      </label>
      {role === "unit_representative" ? (
        <label class="check">
          <input type="checkbox" checked={refused} onChange={(event) => setRefused((event.target as HTMLInputElement).checked)} />
          <span>{t("signRefused")}</span>
        </label>
      ) : null}
      {refused ? (
        <>
          <label class="field">
            <span>{t("refusalReason")}</span>
            <textarea rows={2} value={reason} onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)} />
          </label>
          <label class="field">
            <span>{t("witnessName")}</span>
            <input value={witness} onInput={(event) => setWitness((event.target as HTMLInputElement).value)} />
          </label>
        </>
      ) : (
        <>
          <p class="muted small">{t("signHere")}</p>
          <SignaturePad label={`${t("signHere")}: ${title}`} onChange={setPng} />
        </>
      )}
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <button class="button button-primary button-block" type="submit">
        {t("signSave")}
      </button>
    </form>
  );
}

export function SignScreen({ id }: { id: string }) {
  const view = useInspection(id);
  const me = useLive((db) => getKV(db, "me"), []);
  if (view === undefined) return <p role="status">{t("loading")}</p>;
  if (view === null) return <p class="card">{t("notFoundInspection")}</p>;
  return (
    <>
      <InspectionHeader view={view} />
      <h2>{t("signTitle")}</h2>
      <RejectionNote op={view.rejected.submit} />
      <SignerCard view={view} role="team_head" defaultName={me?.full_name ?? ""} />
      <SignerCard view={view} role="unit_representative" defaultName="" />
      {bothSigned(view.signatures) ? <p class="ok" data-testid="both-signed">{t("signAllDone")}</p> : null}
      <MinutesLink view={view} />
    </>
  );
}

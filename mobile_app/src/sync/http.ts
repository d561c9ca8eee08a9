// The engine's transport over HTTP, and the pulls that keep assignments fresh.
import type { BootstrapOut, ChangesOut, DossierCheckOut, InspectionOut, SyncIn, SyncOut } from "../api/types";
import { EMPTY_SYNC_STATE, getKV, setKV, type AppDB } from "../store/db";
import { samplesOf } from "../store/dossiers";
import { authorizedFetch, fetchJSON, problemDetail } from "./auth";
import type { Transport } from "./engine";

export function httpTransport(db: AppDB): Transport {
  return {
    async putEvidence(sha256, blob, mediaType) {
      const response = await authorizedFetch(db, `/mobile/v1/evidence/${sha256}`, {
        method: "PUT",
        headers: { "content-type": mediaType },
        body: blob,
      });
      return { status: response.status, detail: response.ok ? "" : await problemDetail(response) };
    },
    async postSync(body: SyncIn) {
      const response = await authorizedFetch(db, "/mobile/v1/sync", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        return { status: response.status, body: null, detail: await problemDetail(response) };
      }
      return { status: 200, body: (await response.json()) as SyncOut, detail: "" };
    },
  };
}

/** Everything the phone needs to work offline: me, assignments and their checklists. */
export async function bootstrap(db: AppDB): Promise<BootstrapOut> {
  const data = await fetchJSON<BootstrapOut>(db, "/mobile/v1/bootstrap");
  const tx = db.transaction(["kv", "inspections", "checklists", "samples"], "readwrite");
  await tx.objectStore("kv").put(data.me, "me");
  for (const version of data.checklist_versions) await tx.objectStore("checklists").put(version);
  for (const assignment of data.assignments) {
    const known = await tx.objectStore("inspections").get(assignment.id);
    // A detail fetched earlier (answers, findings) is kept; the summary refreshes its header.
    // The checks of sampled dossiers stay with it; the sample itself is kept beside it.
    const { dossier_sample: _sample, ...summary } = assignment;
    await tx.objectStore("inspections").put({ ...known, ...summary });
  }
  // The sealed dossier sample travels with its assignment and is kept beside it, so the phone
  // shows it offline and a later pull of the inspection does not lose it.
  const samples = samplesOf(data.assignments);
  for (const sample of samples.keep) await tx.objectStore("samples").put(sample);
  for (const inspectionId of samples.drop) await tx.objectStore("samples").delete(inspectionId);
  const state = ((await tx.objectStore("kv").get("sync")) as typeof EMPTY_SYNC_STATE) ?? EMPTY_SYNC_STATE;
  await tx.objectStore("kv").put({ ...state, cursor: data.sync_cursor }, "sync");
  await tx.done;
  return data;
}

/** What changed on the server since the last pull (status, score, signatures, minutes). */
export async function pullChanges(db: AppDB): Promise<InspectionOut[]> {
  const state = (await getKV(db, "sync")) ?? EMPTY_SYNC_STATE;
  if (!state.cursor) {
    await bootstrap(db);
    return [];
  }
  const data = await fetchJSON<ChangesOut>(
    db,
    `/mobile/v1/changes?cursor=${encodeURIComponent(state.cursor)}`,
  );
  const tx = db.transaction(["inspections", "checklists"], "readwrite");
  let unknownVersion = false;
  let newInspection = false;
  // The checks of sampled dossiers come whole per changed inspection (docs/sync-protocol.md).
  const checks = new Map<string, DossierCheckOut[]>();
  for (const check of data.dossier_checks ?? []) {
    checks.set(check.inspection_id, [...(checks.get(check.inspection_id) ?? []), check]);
  }
  for (const inspection of data.inspections) {
    // The ledger's pre-filled values come with the bootstrap only: a detail keeps them.
    const known = await tx.objectStore("inspections").get(inspection.id);
    if (!known) newInspection = true;
    const withPrefill = known?.prefill !== undefined ? { ...inspection, prefill: known.prefill } : inspection;
    await tx
      .objectStore("inspections")
      .put(data.dossier_checks ? { ...withPrefill, dossier_checks: checks.get(inspection.id) ?? [] } : withPrefill);
    if (!(await tx.objectStore("checklists").get(inspection.checklist_version_id))) {
      unknownVersion = true;
    }
  }
  await tx.done;
  const latest = (await getKV(db, "sync")) ?? EMPTY_SYNC_STATE;
  await setKV(db, "sync", { ...latest, cursor: data.cursor });
  // A new assignment on a checklist this phone has never seen, or one that may carry a sealed
  // dossier sample (only the bootstrap brings samples): bootstrap brings them.
  if (unknownVersion || newInspection) await bootstrap(db);
  return data.inspections;
}

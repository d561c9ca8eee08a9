// Server types, generated from the OpenAPI schema into schema.d.ts (`npm run api-types`);
// a Python test fails when the committed file no longer matches the server.
import type { components } from "./schema";

type S = components["schemas"];
export type Me = S["MeOut"];
export type TokenPair = S["TokenPairOut"];
export type InspectionSummary = S["InspectionSummary"];
export type InspectionOut = S["InspectionOut"];
export type ChecklistVersionOut = S["ChecklistVersionOut"];
export type BootstrapOut = S["BootstrapOut"];
export type AssignmentOut = S["AssignmentOut"];
export type PrefillValue = S["PrefillValueOut"];
export type ChangesOut = S["ChangesOut"];
export type SyncIn = S["SyncIn"];
export type SyncOut = S["SyncOut"];
export type OpResult = S["OpResult"];
export type OpType = S["OpType"];
export type AnswerOut = S["AnswerOut"];
export type FindingOut = S["FindingOut"];
export type SignatureOut = S["SignatureOut"];
export type UnitBrief = S["UnitBrief"];
export type ActionOut = S["ActionOut"];
export type ActionDetailOut = S["ActionDetailOut"];
export type ActionStatus = S["ActionStatus"];

// Op payloads travel as free-form objects in the schema; their fields are in
// docs/sync-protocol.md and server/inspections/schemas.py.
export const FINDING_CATEGORIES = [
  "discipline",
  "facilities",
  "transparency",
  "dossier_handling",
  "e_government",
  "documents_archives",
  "leadership",
] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];
export const FINDING_SEVERITIES = ["critical", "major", "minor"] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];
export type SignerRole = "team_head" | "unit_representative";

// The sealed dossier sample an assignment carries (issue 14; docs/sync-protocol.md).
export type SampledDossier = S["SampledDossier"];
export type DossierCheckOut = S["DossierCheckOut"];
export type CheckValue = "match" | "mismatch" | "not_checked";
/** Every op type the phone sends. */
export type PhoneOpType = OpType;

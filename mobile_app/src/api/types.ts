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

// The sealed dossier sample an assignment carries (issue 14, docs/sync-protocol.md). Written by
// hand until the server's schema has it.
export type DossierChannel = "in_person" | "online" | "post";
export interface SystemValues {
  received_at: string | null;
  appointed_at: string | null;
  resolved_at: string | null;
  returned_at: string | null;
  component_files: number | null;
  result_file: boolean | null;
  fee: number | null;
  fee_paid_online: boolean | null;
}
export interface SampledDossier {
  dossier_code: string;
  procedure_code: string | null;
  procedure_name: string | null;
  channel: string | null;
  stratum: string;
  flags: string[];
  system: SystemValues;
}
export type CheckValue = "match" | "mismatch" | "not_checked";
/** Every op type the phone sends (`dossier_check` is new with the sample). */
export type PhoneOpType = OpType | "dossier_check";

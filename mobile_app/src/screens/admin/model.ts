// The admin screens' pure logic (no DOM, no network), tested in tests/admin.test.ts: the unit
// tree from the server's flat list, search in it, the form drafts and the fields a save changes,
// and the shapes of the server's answers that the generated types do not (yet) describe.
import type { components } from "../../api/schema";
import { DEFAULT_TIME_ZONE } from "../../i18n";

type S = components["schemas"];
export type Unit = S["UnitOut"];
export type UnitKind = S["UnitKind"];
export type UnitIn = S["UnitIn"];
export type UnitPatch = S["UnitPatch"];
export type User = S["UserOut"];
export type UserIn = S["UserIn"];
export type UserPatch = S["UserPatch"];
export type Role = S["Role"];
export type Language = S["Language"];
export type Outbox = S["OutboxOut"];
export type ChecklistTemplate = S["ChecklistTemplateOut"];
export type PublishOut = S["PublishOut"];

/** POST /api/v1/units/{id}/notification-test (server/notifications/schemas.py
 * NotificationTestOut); written here until `make app-types` brings it into schema.d.ts. */
export interface NotificationTestOut {
  event_key: string;
  notification_ids: string[];
}

export const UNIT_KINDS: UnitKind[] = ["province", "district", "commune", "ward", "town", "service_center", "department"];
export const ROLES: Role[] = ["inspector", "unit_head", "leader", "admin"];
export const LANGUAGES: Language[] = ["vi", "en"];
export { DEFAULT_TIME_ZONE };
export const PASSWORD_MIN = 10;

// --- the unit tree -------------------------------------------------------------------------------

export interface UnitNode {
  unit: Unit;
  children: UnitNode[];
}

/** The tree of a flat list (parents before children or not). A unit whose parent is not in the
 * list (the top of the admin's part of the tree) is a root; siblings are ordered by `label`.
 * A broken parent chain (a loop) never loses a unit: what no root reaches becomes a root. */
export function buildUnitTree(units: Unit[], label: (unit: Unit) => string, locale = "vi"): UnitNode[] {
  const nodes = new Map<string, UnitNode>();
  for (const unit of units) nodes.set(unit.id, { unit, children: [] });
  const roots: UnitNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.unit.parent_id ? nodes.get(node.unit.parent_id) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const reached = new Set<string>();
  const visit = (node: UnitNode) => {
    if (reached.has(node.unit.id)) return;
    reached.add(node.unit.id);
    node.children.forEach(visit);
  };
  roots.forEach(visit);
  for (const node of nodes.values()) {
    if (!reached.has(node.unit.id)) {
      // Part of a loop: cut it here and show it at the top.
      for (const other of nodes.values()) other.children = other.children.filter((child) => child !== node);
      roots.push(node);
      visit(node);
    }
  }
  const collator = new Intl.Collator(locale, { sensitivity: "base", numeric: true });
  const sort = (list: UnitNode[]) => {
    list.sort((a, b) => collator.compare(label(a.unit), label(b.unit)) || a.unit.code.localeCompare(b.unit.code));
    list.forEach((node) => sort(node.children));
  };
  sort(roots);
  return roots;
}

/** Text folded for search: lower case, no tone marks, đ as d ("Phương Định" → "phuong dinh"). */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase()
    .trim();
}

/** The nodes whose text matches every word of `query`, with their ancestors (so each match is
 * seen where it sits) and, below a match, all of its subtree. */
export function filterTree(nodes: UnitNode[], query: string, text: (unit: Unit) => string): UnitNode[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return nodes;
  const matches = (unit: Unit) => {
    const haystack = fold(text(unit));
    return words.every((word) => haystack.includes(word));
  };
  const keep = (list: UnitNode[]): UnitNode[] =>
    list.flatMap((node) => {
      if (matches(node.unit)) return [node];
      const children = keep(node.children);
      return children.length ? [{ unit: node.unit, children }] : [];
    });
  return keep(nodes);
}

/** The tree in reading order, each unit with its level (0 for a root): for selects. */
export function flattenTree(nodes: UnitNode[], level = 0): Array<{ unit: Unit; level: number }> {
  return nodes.flatMap((node) => [{ unit: node.unit, level }, ...flattenTree(node.children, level + 1)]);
}

/** The unit and everything below it: where it cannot be moved. */
export function subtreeIds(units: Unit[], id: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const unit of units) {
    if (!unit.parent_id) continue;
    children.set(unit.parent_id, [...(children.get(unit.parent_id) ?? []), unit.id]);
  }
  const found = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const next = stack.pop()!;
    if (found.has(next)) continue;
    found.add(next);
    stack.push(...(children.get(next) ?? []));
  }
  return found;
}

/** Ids of a unit's ancestors, nearest first (to open the tree down to a unit). */
export function ancestorIds(units: Unit[], id: string): string[] {
  const byId = new Map(units.map((unit) => [unit.id, unit]));
  const ancestors: string[] = [];
  let parent = byId.get(id)?.parent_id ?? null;
  while (parent && byId.has(parent) && !ancestors.includes(parent)) {
    ancestors.push(parent);
    parent = byId.get(parent)!.parent_id;
  }
  return ancestors;
}

// --- the unit form -------------------------------------------------------------------------------

/** The unit form as typed: numbers stay text until saved, so a half-typed value is kept. */
export interface UnitDraft {
  code: string;
  name_vi: string;
  name_en: string;
  kind: UnitKind;
  parent_id: string;
  language: Language;
  time_zone: string;
  latitude: string;
  longitude: string;
  geofence_radius_m: string;
  targets: string[];
}

export function emptyUnitDraft(parentId: string | null): UnitDraft {
  return {
    code: "",
    name_vi: "",
    name_en: "",
    kind: "commune",
    parent_id: parentId ?? "",
    language: "vi",
    time_zone: DEFAULT_TIME_ZONE,
    latitude: "",
    longitude: "",
    geofence_radius_m: "300",
    targets: [],
  };
}

export function unitDraftOf(unit: Unit): UnitDraft {
  return {
    code: unit.code,
    name_vi: unit.name_vi,
    name_en: unit.name_en,
    kind: unit.kind,
    parent_id: unit.parent_id ?? "",
    language: unit.language,
    time_zone: unit.time_zone,
    latitude: unit.latitude === null ? "" : String(unit.latitude),
    longitude: unit.longitude === null ? "" : String(unit.longitude),
    geofence_radius_m: String(unit.geofence_radius_m),
    targets: [...unit.notification_targets],
  };
}

/** A number field's value: null when empty, NaN when not a number (the form refuses it). */
export function numberOrNull(text: string): number | null {
  const trimmed = text.trim().replace(",", ".");
  if (trimmed === "") return null;
  return Number(trimmed);
}

export function cleanTargets(targets: string[]): string[] {
  return targets.map((target) => target.trim()).filter(Boolean);
}

/** Which fields of the draft cannot be sent, by field name (empty when it can). */
export function unitDraftProblems(draft: UnitDraft): Array<keyof UnitDraft> {
  const problems: Array<keyof UnitDraft> = [];
  for (const field of ["code", "name_vi", "name_en", "time_zone"] as const) {
    if (!draft[field].trim()) problems.push(field);
  }
  const latitude = numberOrNull(draft.latitude);
  const longitude = numberOrNull(draft.longitude);
  if (latitude !== null && !(Math.abs(latitude) <= 90)) problems.push("latitude");
  if (longitude !== null && !(Math.abs(longitude) <= 180)) problems.push("longitude");
  const radius = numberOrNull(draft.geofence_radius_m);
  if (radius === null || !Number.isInteger(radius) || radius < 10 || radius > 50_000) problems.push("geofence_radius_m");
  return problems;
}

export function unitIn(draft: UnitDraft): UnitIn {
  return {
    code: draft.code.trim(),
    name_vi: draft.name_vi.trim(),
    name_en: draft.name_en.trim(),
    kind: draft.kind,
    parent_id: draft.parent_id || null,
    language: draft.language,
    time_zone: draft.time_zone.trim(),
    latitude: numberOrNull(draft.latitude),
    longitude: numberOrNull(draft.longitude),
    geofence_radius_m: numberOrNull(draft.geofence_radius_m) ?? 300,
    notification_targets: cleanTargets(draft.targets),
  };
}

/** Only what the draft changes (the parent is moved on its own, not here). Targets go as the
 * whole list when any changed: masked ones are sent back as shown and the server keeps their
 * secrets. */
export function unitPatch(unit: Unit, draft: UnitDraft): UnitPatch {
  const next = unitIn(draft);
  const patch: UnitPatch = {};
  const keys = ["code", "name_vi", "name_en", "kind", "language", "time_zone", "latitude", "longitude", "geofence_radius_m"] as const;
  for (const key of keys) {
    if (next[key] !== unit[key]) (patch as Record<string, unknown>)[key] = next[key];
  }
  const targets = next.notification_targets ?? [];
  if (targets.length !== unit.notification_targets.length || targets.some((target, index) => target !== unit.notification_targets[index])) {
    patch.notification_targets = targets;
  }
  return patch;
}

/** A target as the API shows it, with its secrets replaced by asterisks. */
export function isMasked(target: string): boolean {
  return target.includes("***") || /:\*+@/.test(target);
}

// --- users ---------------------------------------------------------------------------------------

export interface UserDraft {
  full_name: string;
  email: string;
  role: Role;
  home_unit_id: string;
  language: Language;
}

export function userDraftOf(user: User): UserDraft {
  return {
    full_name: user.full_name,
    email: user.email ?? "",
    role: user.role,
    home_unit_id: user.home_unit_id,
    language: user.language,
  };
}

export function userPatch(user: User, draft: UserDraft): UserPatch {
  const patch: UserPatch = {};
  if (draft.full_name.trim() !== user.full_name) patch.full_name = draft.full_name.trim();
  const email = draft.email.trim() || null;
  if (email !== (user.email ?? null)) patch.email = email;
  if (draft.role !== user.role) patch.role = draft.role;
  if (draft.home_unit_id !== user.home_unit_id) patch.home_unit_id = draft.home_unit_id;
  if (draft.language !== user.language) patch.language = draft.language;
  return patch;
}

/** What the server accepts as a username (server/users/schemas.py): it lower-cases it first. */
export function usernameProblem(username: string): "short" | "characters" | null {
  const value = username.trim().toLowerCase();
  if (value.length < 3 || value.length > 100) return "short";
  return /^[a-z0-9._-]+$/.test(value) ? null : "characters";
}

export function pageCount(total: number, limit: number): number {
  return Math.max(1, Math.ceil(total / limit));
}

// --- notifications -------------------------------------------------------------------------------

/** The worker is done with it (for now): sent, or failed (retried later), or dead. */
export function isSettled(status: string): boolean {
  return status === "sent" || status === "failed" || status === "dead";
}

// --- checklists ----------------------------------------------------------------------------------

export interface ChecklistIssue {
  line: number;
  column: number;
  path: string;
  message: string;
}

/** The validator's list in a 422 body: `errors` (or `issues`, as first shipped), each with its
 * line and column. Entries that do not have them are left out; an empty list means "show the
 * detail text instead". */
export function checklistIssues(body: unknown): ChecklistIssue[] {
  if (!body || typeof body !== "object") return [];
  const record = body as Record<string, unknown>;
  const list = Array.isArray(record.errors) ? record.errors : Array.isArray(record.issues) ? record.issues : [];
  return list.flatMap((entry): ChecklistIssue[] => {
    if (!entry || typeof entry !== "object") return [];
    const item = entry as Record<string, unknown>;
    const line = Number(item.line);
    const column = Number(item.column ?? 1);
    if (!Number.isFinite(line) || typeof item.message !== "string") return [];
    return [
      {
        line,
        column: Number.isFinite(column) ? column : 1,
        path: typeof item.path === "string" ? item.path : "",
        message: item.message,
      },
    ];
  });
}

/** Character offsets of a 1-based line of `text` (for selecting it in the editor). */
export function lineRange(text: string, line: number): [number, number] {
  let start = 0;
  for (let current = 1; current < line; current += 1) {
    const next = text.indexOf("\n", start);
    if (next === -1) return [text.length, text.length];
    start = next + 1;
  }
  const end = text.indexOf("\n", start);
  return [start, end === -1 ? text.length : end];
}

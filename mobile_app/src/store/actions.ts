// Corrective actions on the phone: the server's copy (so a unit head can open an action and
// report the fix with no network) and the moves recorded here, as `action_transition` ops.
import type { ActionDetailOut, ActionOut, ActionStatus, Me } from "../api/types";
import type { AppDB, QueuedOp } from "./db";
import { newOp } from "./record";

export interface ActionView {
  action: ActionOut | ActionDetailOut;
  /** The status after the moves still waiting to be sent (what the user sees). */
  status: ActionStatus;
  pendingMoves: QueuedOp[];
  rejected: QueuedOp | undefined;
}

/** Whether to offer verifying or returning this fix. Nobody judges their own unit's fix (the server
 * refuses it with 403 too): not a unit head, and nobody homed at the responsible unit. */
export function mayReview(me: Pick<Me, "role" | "home_unit_id"> | undefined, action: ActionOut): boolean {
  return me !== undefined && me.role !== "unit_head" && me.home_unit_id !== action.responsible_unit_id;
}

export function isDetail(action: ActionOut | ActionDetailOut): action is ActionDetailOut {
  return "history" in action;
}

export async function cacheActions(db: AppDB, actions: Array<ActionOut | ActionDetailOut>): Promise<void> {
  const tx = db.transaction("actions", "readwrite");
  for (const action of actions) {
    const known = await tx.store.get(action.id);
    if (known && known.version > action.version) continue; // an older copy arrived late
    // A list row must not replace a detail fetched before (its history and photos).
    await tx.store.put(known && isDetail(known) && !isDetail(action) ? { ...known, ...action } : action);
  }
  await tx.done;
}

function subjectOf(actionId: string): string {
  return `action:${actionId}`;
}

export async function loadActionView(db: AppDB, id: string): Promise<ActionView | null> {
  const action = await db.get("actions", id);
  if (!action) return null;
  const ops = (await db.getAll("ops")).filter((op) => op.subject === subjectOf(id));
  const pendingMoves = ops.filter((op) => op.status === "pending");
  const rejected = ops.filter((op) => op.status === "rejected").pop();
  const last = pendingMoves[pendingMoves.length - 1];
  return {
    action,
    status: last ? ((last.payload.to as ActionStatus) ?? action.status) : confirmedStatus(action, ops),
    pendingMoves,
    rejected,
  };
}

/** The status after the moves the server has applied: its answer to a move carries the action's
 * new version, which may be newer than the copy fetched before (the refresh comes a moment later;
 * meanwhile the screen must not flip back to the old status). */
function confirmedStatus(action: ActionOut, ops: QueuedOp[]): ActionStatus {
  let status = action.status;
  let version = action.version;
  for (const op of ops) {
    const answer = op.status === "done" ? (op.result as { status?: unknown; version?: unknown } | null) : null;
    if (answer && typeof answer.version === "number" && answer.version > version && typeof answer.status === "string") {
      status = answer.status as ActionStatus;
      version = answer.version;
    }
  }
  return status;
}

export async function loadActionViews(db: AppDB): Promise<ActionView[]> {
  const views: ActionView[] = [];
  for (const action of await db.getAll("actions")) {
    const view = await loadActionView(db, action.id);
    if (view) views.push(view);
  }
  return views;
}

export interface TransitionChange {
  actionId: string;
  to: ActionStatus;
  expectedStatus: ActionStatus;
  comment: string | null;
  report: string | null;
  evidence: string[];
}

export async function recordTransition(db: AppDB, change: TransitionChange): Promise<void> {
  const payload: Record<string, unknown> = {
    action_id: change.actionId,
    to: change.to,
    expected_status: change.expectedStatus,
    evidence: change.evidence,
    device_time: new Date().toISOString(),
  };
  if (change.comment) payload.comment = change.comment;
  if (change.report) payload.report = change.report;
  const subject = subjectOf(change.actionId);
  const tx = db.transaction("ops", "readwrite");
  for (const op of await tx.store.getAll()) {
    if (op.subject === subject && op.status === "rejected") {
      await tx.store.put({ ...op, status: "superseded", settledAt: new Date().toISOString() });
    }
  }
  await tx.store.put(newOp("action_transition", payload, null, subject, change.evidence));
  await tx.done;
}

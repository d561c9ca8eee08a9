import { useEffect, useState } from "preact/hooks";
import type { ActionOut, ActionStatus, Me } from "../../api/types";
import { apiPage, HttpProblem, Offline } from "../../api/client";
import { formatDay, lang, t, type MessageKey } from "../../i18n";
import { appDB, getKV } from "../../store/db";
import { cacheActions, loadActionViews, mayReview, type ActionView } from "../../store/actions";
import { notifyChanged } from "../../sync/events";
import { useLive, useOnline } from "../../ui/hooks";
import { Link } from "../../ui/Link";

const WEEK_MS = 7 * 24 * 3600 * 1000;

export function ActionStatusBadge({ status }: { status: ActionStatus }) {
  return (
    <span class={`badge badge-action-${status}`} data-testid="action-status" data-status={status}>
      {t(`actionStatus_${status}` as MessageKey)}
    </span>
  );
}

type Group = "overdue" | "thisWeek" | "later" | "submitted" | "done";

function groupOf(view: ActionView, now: number): Group {
  if (view.status === "verified") return "done";
  if (view.status === "submitted") return "submitted";
  const due = Date.parse(view.action.due_at);
  if (view.action.overdue || due < now) return "overdue";
  return due - now <= WEEK_MS ? "thisWeek" : "later";
}

const GROUP_TITLES: Record<Group, MessageKey> = {
  overdue: "groupOverdue",
  thisWeek: "groupThisWeek",
  later: "groupLater",
  submitted: "groupSubmitted",
  done: "groupDone",
};

export function ActionRow({ view }: { view: ActionView }) {
  const action = view.action;
  return (
    <li class="card" data-testid="action-row" data-action={action.id}>
      <Link class="action-link" to={`/actions/${action.id}`}>
        <span class="action-title">{lang() === "en" ? action.title_en : action.title_vi}</span>
      </Link>
      <p class="row-between">
        <ActionStatusBadge status={view.status} />
        <span class={action.overdue && view.status !== "verified" ? "error small" : "muted small"}>
          {t("dueOn", { date: formatDay(action.due_at) })}
        </span>
      </p>
      {view.pendingMoves.length > 0 ? <p class="muted small">{t("statusLocalPending")}</p> : null}
    </li>
  );
}

/** Fetches the actions the server lets me see into the phone's store; the list shows the
 * store, so it works offline with the last copy. */
export function useActionsFromServer(query: string): { error: string | null; offline: boolean } {
  const online = useOnline();
  const [error, setError] = useState<string | null>(null);
  const [offline, setOffline] = useState(false);
  useEffect(() => {
    if (!online) {
      setOffline(true);
      return;
    }
    void (async () => {
      try {
        const page = await apiPage<ActionOut>(`/api/v1/actions?limit=500${query}`);
        await cacheActions(await appDB(), page.items);
        setOffline(false);
        setError(null);
        notifyChanged();
      } catch (problem) {
        if (problem instanceof Offline) setOffline(true);
        else setError(problem instanceof HttpProblem ? problem.detail : String(problem));
      }
    })();
  }, [online, query]);
  return { error, offline };
}

export function ActionsListScreen({ title = "actionsTitle", only }: { title?: MessageKey; only?: ActionStatus }) {
  const { error, offline } = useActionsFromServer(only ? `&status=${only}` : "");
  const views = useLive((db) => loadActionViews(db), []);
  const me = useLive((db) => getKV(db, "me"), []) as Me | undefined;
  const now = Date.now();
  // The review list holds only fixes this user may judge (not their own unit's).
  const shown = (views ?? []).filter(
    (view) => !only || (view.status === only && (only !== "submitted" || mayReview(me, view.action))),
  );
  const groups: Record<Group, ActionView[]> = { overdue: [], thisWeek: [], later: [], submitted: [], done: [] };
  for (const view of shown.sort((a, b) => a.action.due_at.localeCompare(b.action.due_at))) {
    groups[groupOf(view, now)].push(view);
  }
  return (
    <section aria-labelledby="actions-title">
      <h1 id="actions-title">{t(title)}</h1>
      {offline ? <p class="muted">{t("actionsOffline")}</p> : null}
      {error ? <p class="error">{t("actionsLoadFailed", { detail: error })}</p> : null}
      {views === undefined ? <p role="status">{t("loading")}</p> : null}
      {views && shown.length === 0 ? <p class="card">{t("actionsEmpty")}</p> : null}
      {(Object.keys(groups) as Group[])
        .filter((group) => groups[group].length > 0)
        .map((group) => (
          <section key={group} aria-labelledby={`group-${group}`} data-testid={`group-${group}`}>
            <h2 id={`group-${group}`}>{t(GROUP_TITLES[group], { count: groups[group].length })}</h2>
            <ul class="list">
              {groups[group].map((view) => (
                <ActionRow key={view.action.id} view={view} />
              ))}
            </ul>
          </section>
        ))}
    </section>
  );
}

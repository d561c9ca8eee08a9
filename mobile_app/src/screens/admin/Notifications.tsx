// /admin/notifications: the messages the worker could not deliver (failed: it will try again;
// dead: it gave up), with their last error and attempts; requeue one and watch it go out.
import { useMemo, useState } from "preact/hooks";
import { apiPage, apiSend } from "../../api/client";
import { t, type MessageKey } from "../../i18n";
import { Link } from "../../ui/Link";
import { ActionButton, ErrorNote, Loading, OutboxDetails, Pager, problemText, unitName, useRemote, useUnits, WatchedMessage } from "./common";
import type { Outbox, Unit } from "./model";

const PAGE_SIZE = 20;

const FILTERS = {
  problems: ["failed", "dead"],
  failed: ["failed"],
  dead: ["dead"],
} as const;
type Filter = keyof typeof FILTERS;

const EVENT_KEYS: Record<string, MessageKey> = {
  "action.assigned": "admEvent_action_assigned",
  "action.due_soon": "admEvent_action_due_soon",
  "action.overdue": "admEvent_action_overdue",
  "action.returned": "admEvent_action_returned",
  "action.verified": "admEvent_action_verified",
  "inspection.started": "admEvent_inspection_started",
  "inspection.minutes_ready": "admEvent_inspection_minutes_ready",
  "digest.daily": "admEvent_digest_daily",
  "audit.anchor": "admEvent_audit_anchor",
  "plan.committed": "admEvent_plan_committed",
  test: "admEvent_test",
};

function eventLabel(eventType: string): string {
  return EVENT_KEYS[eventType] ? t(EVENT_KEYS[eventType]) : eventType;
}

/** Who the message is for, with a link to where their targets are set (fix it, then requeue). */
function Recipient({ message, units }: { message: Outbox; units: Map<string, Unit> }) {
  const id = message.recipient_id;
  if (message.recipient_kind === "unit" && id) {
    const unit = units.get(id);
    return <Link to={`/admin/units/${id}`}>{unit ? `${unitName(unit)} (${unit.code})` : t("admRecipientUnitUnknown")}</Link>;
  }
  if (message.recipient_kind === "user" && id) return <Link to={`/admin/users/${id}`}>{t("admRecipientUser")}</Link>;
  if (message.recipient_kind === "oversight") return <>{t("admRecipientOversight")}</>;
  return <>{message.recipient_kind}</>;
}

function FailedMessage({ message, units }: { message: Outbox; units: Map<string, Unit> }) {
  const [requeued, setRequeued] = useState<Outbox | null>(null);
  const [error, setError] = useState<string | null>(null);
  const recipient = <Recipient message={message} units={units} />;
  return (
    <li class="card" data-testid="failed-message" data-id={message.id} data-event={message.event_type}>
      <h2 class="adm-message-title">{eventLabel(message.event_type)}</h2>
      {requeued ? (
        <>
          <p class="ok" role="status">
            {t("admRequeued")}
          </p>
          <WatchedMessage id={message.id} initial={requeued} recipient={recipient} />
        </>
      ) : (
        <OutboxDetails
          message={message}
          recipient={recipient}
          extra={
            <ActionButton
              testId="requeue"
              label={t("admRequeueLabel", { event: eventLabel(message.event_type), target: message.target })}
              onClick={async () => {
                setError(null);
                try {
                  setRequeued(await apiSend<Outbox>("POST", `/api/v1/notifications/${message.id}/requeue`));
                } catch (problem) {
                  setError(problemText(problem));
                }
              }}
            >
              {t("admRequeue")}
            </ActionButton>
          }
        />
      )}
      <ErrorNote text={error} />
    </li>
  );
}

export function NotificationsScreen() {
  const units = useUnits();
  const [filter, setFilter] = useState<Filter>("problems");
  const [offset, setOffset] = useState(0);
  const messages = useRemote(() => {
    const statuses = FILTERS[filter].map((status) => `status=${status}`).join("&");
    return apiPage<Outbox>(`/api/v1/notifications?${statuses}&limit=${PAGE_SIZE}&offset=${offset}`);
  }, [filter, offset]);
  const byId = useMemo(() => new Map((units.data ?? []).map((unit) => [unit.id, unit])), [units.data]);
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">{t("admNotificationsTitle")}</h1>
      <p class="muted">{t("admNotificationsExplain")}</p>
      <div class="adm-toolbar">
        <label class="field field-inline">
          <span>{t("admShow")}</span>
          <select
            value={filter}
            onChange={(event) => {
              setFilter((event.target as HTMLSelectElement).value as Filter);
              setOffset(0);
            }}
          >
            {(Object.keys(FILTERS) as Filter[]).map((key) => (
              <option key={key} value={key}>
                {t(`admFilter_${key}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="button" onClick={messages.reload} disabled={messages.loading}>
          {messages.loading && messages.data ? t("admRefreshing") : t("refresh")}
        </button>
      </div>
      <ErrorNote text={messages.error} />
      <Loading remote={messages} />
      {messages.data ? (
        <>
          <p class="muted small" role="status" data-testid="failed-count">
            {messages.data.total === 0 ? t("admNoFailed") : t("admFailedCount", { count: messages.data.total })}
          </p>
          <ul class="list adm-messages" data-testid="failed-messages">
            {messages.data.items.map((message) => (
              // Keyed by status too: after a refresh, a row the worker has changed starts afresh.
              <FailedMessage key={`${message.id}:${message.status}:${message.attempts}`} message={message} units={byId} />
            ))}
          </ul>
          <Pager offset={offset} limit={PAGE_SIZE} total={messages.data.total} onOffset={setOffset} />
        </>
      ) : null}
    </section>
  );
}

// Pieces every admin screen uses: loading a server list, showing the server's own words when it
// refuses something, a notification's status that follows the worker until it is done.
import type { ComponentChildren, InputHTMLAttributes } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { apiGet, HttpProblem, Offline } from "../../api/client";
import { formatDateTime, lang, t, type MessageKey } from "../../i18n";
import { SessionExpired } from "../../sync/auth";
import { isSettled, type Outbox, type Unit } from "./model";

const DEVICE_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function when(iso: string | null | undefined): string {
  return formatDateTime(iso, DEVICE_TIME_ZONE);
}

/** What went wrong, in words for the admin: the server's detail, or that there is no network. */
export function problemText(problem: unknown): string {
  if (problem instanceof HttpProblem) return problem.detail;
  if (problem instanceof Offline) return t("admOffline");
  if (problem instanceof SessionExpired) return t("admSessionExpired");
  return problem instanceof Error ? problem.message : String(problem);
}

export interface Remote<T> {
  data: T | undefined;
  error: string | null;
  /** A read is under way (the last data stays shown meanwhile). */
  loading: boolean;
  reload: () => void;
}

/** A server read, done again by `reload()` and whenever `deps` change. */
export function useRemote<T>(load: () => Promise<T>, deps: unknown[]): Remote<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let alive = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!alive) return;
        setData(() => value);
        setError(null);
        setLoading(false);
      },
      (problem) => {
        if (!alive) return;
        setError(problemText(problem));
        setLoading(false);
      },
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data, error, loading, reload };
}

/** The units the admin may manage (inactive ones too), for names and the unit pickers. */
export function useUnits(): Remote<Unit[]> {
  return useRemote(() => apiGet<Unit[]>("/api/v1/units?include_inactive=true"), []);
}

export function unitName(unit: Pick<Unit, "name_vi" | "name_en">): string {
  return lang() === "en" ? unit.name_en : unit.name_vi;
}

/** A refusal or failure, announced to screen readers when it appears. */
export function ErrorNote({ text, testId }: { text: string | null; testId?: string }) {
  if (!text) return null;
  return (
    <p class="error adm-error" role="alert" data-testid={testId ?? "admin-error"}>
      {text}
    </p>
  );
}

export function Notice({ text, testId }: { text: string | null; testId?: string }) {
  if (!text) return null;
  return (
    <p class="ok adm-notice" role="status" data-testid={testId ?? "admin-notice"}>
      {text}
    </p>
  );
}

/** "Loading…" while the first read of a list is under way. */
export function Loading({ remote }: { remote: Remote<unknown> }) {
  return remote.data === undefined && !remote.error ? <p role="status">{t("loading")}</p> : null;
}

/** A button that runs `action` once at a time and shows it is busy. */
export function ActionButton({
  onClick,
  children,
  primary,
  small,
  testId,
  disabled,
  label,
}: {
  onClick: () => Promise<void> | void;
  children: ComponentChildren;
  primary?: boolean;
  small?: boolean;
  testId?: string;
  disabled?: boolean;
  label?: string;
}) {
  const [busy, setBusy] = useState(false);
  const classes = ["button", primary ? "button-primary" : "", small ? "button-small" : ""].filter(Boolean).join(" ");
  return (
    <button
      type="button"
      class={classes}
      disabled={busy || disabled}
      aria-busy={busy}
      aria-label={label}
      data-testid={testId}
      onClick={async () => {
        setBusy(true);
        try {
          await onClick();
        } finally {
          setBusy(false);
        }
      }}
    >
      {children}
    </button>
  );
}

const STATUS_KEYS: Record<string, MessageKey> = {
  pending: "admStatus_pending",
  sending: "admStatus_sending",
  sent: "admStatus_sent",
  failed: "admStatus_failed",
  dead: "admStatus_dead",
};

export function OutboxStatus({ status }: { status: string }) {
  return (
    <span class={`badge adm-status adm-status-${status}`} data-testid="outbox-status" data-status={status}>
      {STATUS_KEYS[status] ? t(STATUS_KEYS[status]) : status}
    </span>
  );
}

/** What the server shows as the target of a message whose recipient had none. */
const NO_TARGET = "(no target)";

const POLL_MS = 1000;
const POLL_GIVE_UP_MS = 10 * 60 * 1000;

/** A notification as the server holds it now: read again every second until the worker has
 * sent it or it failed (then `done`); a transport failure is retried, a refusal stops. */
export function useOutboxMessage(id: string, initial?: Outbox): { message: Outbox | undefined; error: string | null; waiting: boolean } {
  const [message, setMessage] = useState<Outbox | undefined>(initial);
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState(!initial || !isSettled(initial.status));
  const started = useRef(Date.now());
  useEffect(() => {
    if (initial && isSettled(initial.status)) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await apiGet<Outbox>(`/api/v1/notifications/${id}`);
        if (!alive) return;
        setMessage(next);
        setError(null);
        if (isSettled(next.status)) {
          setWaiting(false);
          return;
        }
      } catch (problem) {
        if (!alive) return;
        setError(problemText(problem));
        if (problem instanceof HttpProblem) {
          setWaiting(false);
          return;
        }
      }
      if (Date.now() - started.current > POLL_GIVE_UP_MS) {
        setWaiting(false);
        return;
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  return { message, error, waiting };
}

/** One notification: where it goes, its status, attempts and last error; `extra` is shown
 * under it (e.g. the requeue button). */
export function OutboxDetails({ message, recipient, extra }: { message: Outbox; recipient?: ComponentChildren; extra?: ComponentChildren }) {
  return (
    <>
      <p class="row-between">
        <OutboxStatus status={message.status} />
        <span class="muted small">{t("admAttempts", { attempts: message.attempts, max: message.max_attempts })}</span>
      </p>
      <dl class="adm-facts">
        <dt>{t("admTarget")}</dt>
        <dd class="adm-code" data-testid="outbox-target">
          {message.target === NO_TARGET ? t("admNoTargetShort") : message.target}
        </dd>
        {recipient ? (
          <>
            <dt>{t("admRecipient")}</dt>
            <dd>{recipient}</dd>
          </>
        ) : null}
        <dt>{t("admCreatedAt")}</dt>
        <dd>{when(message.created_at)}</dd>
        {message.sent_at ? (
          <>
            <dt>{t("admSentAt")}</dt>
            <dd>{when(message.sent_at)}</dd>
          </>
        ) : null}
        {message.status === "failed" ? (
          <>
            <dt>{t("admNextAttempt")}</dt>
            <dd>{when(message.next_attempt_at)}</dd>
          </>
        ) : null}
        {message.reclaimed_after_lease > 0 ? (
          <>
            <dt>{t("admReclaimed")}</dt>
            <dd>{message.reclaimed_after_lease}</dd>
          </>
        ) : null}
      </dl>
      {message.last_error ? (
        <p class="adm-last-error" data-testid="outbox-error">
          <strong>{t("admLastError")}</strong> {message.last_error}
        </p>
      ) : null}
      {extra}
    </>
  );
}

/** A notification followed until the worker is done with it. */
export function WatchedMessage({ id, initial, recipient }: { id: string; initial?: Outbox; recipient?: ComponentChildren }) {
  const { message, error, waiting } = useOutboxMessage(id, initial);
  return (
    <div class="adm-watched" data-testid="watched-message" data-id={id} data-status={message?.status ?? "unknown"}>
      {message ? <OutboxDetails message={message} recipient={recipient} /> : null}
      {waiting ? (
        <p class="muted small" role="status">
          {t("admWaitingForWorker")}
        </p>
      ) : null}
      {message?.status === "sent" ? <p class="ok">{t("admTestArrived")}</p> : null}
      <ErrorNote text={error} />
    </div>
  );
}

/** A page of a long list: previous / next and where we are. */
export function Pager({
  offset,
  limit,
  total,
  onOffset,
}: {
  offset: number;
  limit: number;
  total: number;
  onOffset: (offset: number) => void;
}) {
  if (total <= limit) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav class="pager" aria-label={t("admPages")}>
      <button type="button" class="button button-small" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        {t("admPrevious")}
      </button>
      <span class="adm-pager-where" aria-live="polite">
        {t("admPageOf", { page, pages, total })}
      </span>
      <button type="button" class="button button-small" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        {t("admNext")}
      </button>
    </nav>
  );
}

/** A labelled select over the unit tree, indented by level. */
export function UnitSelect({
  label,
  value,
  options,
  onChange,
  disabledIds,
  allowNone,
  id,
  required,
}: {
  label: string;
  value: string;
  options: Array<{ unit: Unit; level: number }>;
  onChange: (value: string) => void;
  disabledIds?: Set<string>;
  allowNone?: string;
  id?: string;
  required?: boolean;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <select id={id} value={value} required={required} onChange={(event) => onChange((event.target as HTMLSelectElement).value)}>
        {allowNone !== undefined ? <option value="">{allowNone}</option> : <option value="" disabled>{t("admChooseUnit")}</option>}
        {options.map(({ unit, level }) => (
          <option key={unit.id} value={unit.id} disabled={disabledIds?.has(unit.id)}>
            {`${"\u2003".repeat(level)}${unitName(unit)} (${unit.code})${unit.active ? "" : ` — ${t("admInactive")}`}`}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A labelled input; its hint is tied to it (aria-describedby), not part of its name. */
export function InputField({
  label,
  hint,
  onValue,
  ...input
}: {
  label: string;
  hint?: string;
  onValue: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "onInput" | "label">) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        {...input}
        id={id}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onInput={(event) => onValue((event.target as HTMLInputElement).value)}
      />
      {hint ? (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

/** The texts of an activation card: the unit's or the user's wording. */
export interface ActivationTexts {
  deactivateTitle: MessageKey;
  inactiveTitle: MessageKey;
  deactivateExplain: MessageKey;
  inactiveExplain: MessageKey;
  deactivate: MessageKey;
  confirm: string;
  confirmYes: MessageKey;
  reactivated: MessageKey;
  deactivated: MessageKey;
}

/** Deactivate (after a confirmation) or reactivate a unit or a user. `save` sends the change;
 * the card shows what the server said when it refuses. */
export function ActivationCard({
  id,
  active,
  titleId,
  texts,
  save,
  confirmTestId,
}: {
  id: string;
  active: boolean;
  titleId: string;
  texts: ActivationTexts;
  save: (active: boolean) => Promise<void>;
  confirmTestId?: string;
}) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setConfirming(false);
    setError(null);
  }, [id, active]);
  useEffect(() => setNotice(null), [id]);
  const setActive = async (next: boolean) => {
    setError(null);
    try {
      await save(next);
      setNotice(t(next ? texts.reactivated : texts.deactivated));
    } catch (problem) {
      setError(problemText(problem));
    }
  };
  return (
    <section class="card" aria-labelledby={titleId}>
      <h3 id={titleId} class="card-title">
        {active ? t(texts.deactivateTitle) : t(texts.inactiveTitle)}
      </h3>
      <p class="muted small">{active ? t(texts.deactivateExplain) : t(texts.inactiveExplain)}</p>
      {!active ? (
        <ActionButton onClick={() => setActive(true)}>{t("admReactivate")}</ActionButton>
      ) : confirming ? (
        <div class="adm-actions" role="group" aria-label={texts.confirm}>
          <p class="warn">{texts.confirm}</p>
          <ActionButton onClick={() => setActive(false)} testId={confirmTestId}>
            {t(texts.confirmYes)}
          </ActionButton>
          <button type="button" class="button button-ghost" onClick={() => setConfirming(false)}>
            {t("cancel")}
          </button>
        </div>
      ) : (
        <button type="button" class="button" onClick={() => setConfirming(true)}>
          {t(texts.deactivate)}
        </button>
      )}
      <ErrorNote text={error} />
      <Notice text={notice} />
    </section>
  );
}

import { useEffect, useState } from "preact/hooks";
import type { ActionDetailOut, ActionStatus, Me } from "../../api/types";
import { apiGet, apiSend, HttpProblem, Offline } from "../../api/client";
import { DEFAULT_TIME_ZONE, formatDateTime, lang, t, type MessageKey } from "../../i18n";
import { cacheActions, isDetail, loadActionView, mayReview, recordTransition, type ActionView } from "../../store/actions";
import { appDB, getKV } from "../../store/db";
import { notifyChanged } from "../../sync/events";
import { changed } from "../../sync/scheduler";
import { EvidenceStrip } from "../../ui/Evidence";
import { PhotoButton, withPhoto } from "../../ui/PhotoButton";
import { useLive, useOnline } from "../../ui/hooks";
import { Link } from "../../ui/Link";
import { RejectionNote } from "../../ui/Rejection";
import { ActionStatusBadge } from "./ActionsList";

const HEAD_MOVES: Partial<Record<ActionStatus, { to: ActionStatus; label: MessageKey }>> = {
  open: { to: "acknowledged", label: "actionAcknowledge" },
  acknowledged: { to: "in_progress", label: "actionStart" },
  returned: { to: "in_progress", label: "actionRestart" },
};

function findingText(action: ActionDetailOut): string {
  const extra = action as ActionDetailOut & { finding_description?: string | null; finding_description_en?: string | null };
  if (lang() === "en") return extra.finding_description_en ?? extra.finding_description ?? action.title_en;
  return extra.finding_description ?? action.title_vi;
}

function beforePhotos(action: ActionDetailOut): string[] {
  return (action as ActionDetailOut & { finding_evidence?: string[] }).finding_evidence ?? [];
}

function ReportForm({ view, onDone }: { view: ActionView; onDone: () => void }) {
  const [report, setReport] = useState("");
  const [photos, setPhotos] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="card"
      aria-labelledby="report-title"
      onSubmit={async (event) => {
        event.preventDefault();
        if (!report.trim() || photos.length === 0) return setError(t("actionNeedsReport"));
        await recordTransition(await appDB(), {
          actionId: view.action.id,
          to: "submitted",
          expectedStatus: view.status,
          comment: null,
          report: report.trim(),
          evidence: photos,
        });
        changed();
        onDone();
      }}
    >
      <h2 id="report-title">{t("actionSubmit")}</h2>
      <label class="field">
        <span>{t("actionReport")}</span>
        <textarea
          rows={4}
          placeholder={t("actionReportHint")}
          value={report}
          onInput={(event) => setReport((event.target as HTMLTextAreaElement).value)}
        />
      </label>
      <EvidenceStrip hashes={photos} />
      <PhotoButton
        id="fix-photo"
        testId="photo-input-fix"
        onPhoto={(sha256) => setPhotos(withPhoto(sha256))}
      />
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <button class="button button-primary button-block" type="submit">
        {t("actionSubmit")}
      </button>
    </form>
  );
}

function ReviewForm({ view }: { view: ActionView }) {
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function move(to: ActionStatus) {
    if (to === "returned" && !comment.trim()) return setError(t("actionNeedsComment"));
    await recordTransition(await appDB(), {
      actionId: view.action.id,
      to,
      expectedStatus: view.status,
      comment: comment.trim() || null,
      report: null,
      evidence: [],
    });
    changed();
  }
  return (
    <section class="card" aria-labelledby="review-title">
      <h2 id="review-title">{t("navReviews")}</h2>
      <label class="field">
        <span>{t("actionReturnComment")}</span>
        <textarea rows={3} value={comment} onInput={(event) => setComment((event.target as HTMLTextAreaElement).value)} />
      </label>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="row-between">
        <button class="button" onClick={() => void move("returned")}>
          {t("actionReturn")}
        </button>
        <button class="button button-primary" onClick={() => void move("verified")}>
          {t("actionVerify")}
        </button>
      </div>
    </section>
  );
}

function CommentForm({ actionId, onSent }: { actionId: string; onSent: () => void }) {
  const online = useOnline();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="card"
      aria-labelledby="comment-title"
      onSubmit={async (event) => {
        event.preventDefault();
        if (!text.trim()) return;
        try {
          await apiSend("POST", `/api/v1/actions/${actionId}/comments`, { text: text.trim() });
          setText("");
          setError(null);
          onSent();
        } catch (problem) {
          setError(problem instanceof Offline ? t("actionCommentOffline") : problem instanceof HttpProblem ? problem.detail : String(problem));
        }
      }}
    >
      <h2 id="comment-title">{t("actionComment")}</h2>
      <label class="field">
        <span class="visually-hidden">{t("actionComment")}</span>
        <textarea rows={2} value={text} onInput={(event) => setText((event.target as HTMLTextAreaElement).value)} />
      </label>
      {!online ? <p class="muted small">{t("actionCommentOffline")}</p> : null}
      {error ? <p class="error">{error}</p> : null}
      <button class="button" type="submit" disabled={!online}>
        {t("actionCommentSend")}
      </button>
    </form>
  );
}

export function ActionDetailScreen({ id }: { id: string }) {
  const online = useOnline();
  const [missing, setMissing] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [tick, setTick] = useState(0);
  const view = useLive((db) => loadActionView(db, id), [id]);
  const me = useLive((db) => getKV(db, "me"), []) as Me | undefined;
  const pending = view?.pendingMoves.length ?? 0;

  useEffect(() => {
    if (!online || pending > 0) return; // the server's copy is fetched again once the moves are sent
    let current = true; // a slower, older answer must not overwrite what a newer move changed
    void (async () => {
      try {
        const detail = await apiGet<ActionDetailOut>(`/api/v1/actions/${id}`);
        if (!current) return;
        await cacheActions(await appDB(), [detail]);
        setMissing(false);
        notifyChanged();
      } catch (problem) {
        if (current && problem instanceof HttpProblem && problem.status === 404) setMissing(true);
      }
    })();
    return () => {
      current = false;
    };
  }, [id, online, pending, tick]);

  if (view === undefined) return <p role="status">{t("loading")}</p>;
  if (view === null) return missing ? <p class="card">{t("actionNotFound")}</p> : <p role="status">{t("loading")}</p>;
  const action = view.action;
  const detail = isDetail(action) ? action : null;
  const isHead = me?.role === "unit_head";
  const headMove = isHead ? HEAD_MOVES[view.status] : undefined;
  const lastReturn = detail?.history.filter((event) => event.to_status === "returned").pop();
  return (
    <>
      <header class="inspection-head">
        <h1>{lang() === "en" ? action.title_en : action.title_vi}</h1>
        <p>
          <ActionStatusBadge status={view.status} />{" "}
          <span class={action.overdue ? "error small" : "muted small"}>
            {t("dueOn", { date: formatDateTime(action.due_at, DEFAULT_TIME_ZONE) })}
            {action.overdue && view.status !== "verified" ? ` · ${t("overdueBadge")}` : ""}
          </span>
        </p>
        <p class="muted small">{t("actionSeverity", { severity: t(`severity_${action.severity}` as MessageKey) })}</p>
      </header>
      {view.pendingMoves.length > 0 ? (
        <p class="warn">{t("actionPendingMove", { status: t(`actionStatus_${view.status}` as MessageKey) })}</p>
      ) : null}
      <RejectionNote op={view.rejected} />
      {view.status === "returned" && lastReturn?.comment ? (
        <p class="error" data-testid="returned-reason">
          {t("actionReturnedReason", { comment: lastReturn.comment })}
        </p>
      ) : null}
      {detail ? (
        <>
          <section class="card" aria-labelledby="finding-title">
            <h2 id="finding-title">{t("actionFinding")}</h2>
            <p>{findingText(detail)}</p>
            {detail.report ? (
              <>
                <h3>{t("actionReport")}</h3>
                <p data-testid="fix-report">{detail.report}</p>
              </>
            ) : null}
            {/* Before and after side by side, so a reviewer compares them at a glance. */}
            <div class="compare">
              <div data-testid="before-photos">
                <h3>{t("actionBefore")}</h3>
                <EvidenceStrip hashes={beforePhotos(detail)} />
              </div>
              <div data-testid="after-photos">
                <h3>{t("actionAfter")}</h3>
                <EvidenceStrip hashes={detail.evidence} />
              </div>
            </div>
            <Link class="button button-small" to={`/inspections/${detail.inspection_id}`}>
              {t("openInspection")}
            </Link>
          </section>
        </>
      ) : null}
      {headMove ? (
        <button
          class="button button-primary button-block"
          onClick={async () => {
            await recordTransition(await appDB(), {
              actionId: id,
              to: headMove.to,
              expectedStatus: view.status,
              comment: null,
              report: null,
              evidence: [],
            });
            changed();
          }}
        >
          {t(headMove.label)}
        </button>
      ) : null}
      {/* Open until sent: a status refreshed meanwhile must not close (and empty) the form. */}
      {isHead && (view.status === "in_progress" || reporting) ? (
        reporting ? (
          <ReportForm view={view} onDone={() => setReporting(false)} />
        ) : (
          <button class="button button-primary button-block" onClick={() => setReporting(true)}>
            {t("actionSubmit")}
          </button>
        )
      ) : null}
      {view.status === "submitted" && mayReview(me, action) ? <ReviewForm view={view} /> : null}
      {view.status === "submitted" && !isHead && !mayReview(me, action) ? (
        <p class="muted" data-testid="own-unit-review">{t("actionOwnUnitReview")}</p>
      ) : null}
      {detail ? (
        <section class="card" aria-labelledby="history-title">
          <h2 id="history-title">{t("actionHistory")}</h2>
          <ol class="history">
            {detail.history.map((event, index) => (
              <li key={index}>
                <strong>{t(`event_${event.kind}` as MessageKey)}</strong>
                {event.to_status ? <> → {t(`actionStatus_${event.to_status}` as MessageKey)}</> : null}
                <span class="muted small">
                  {" "}
                  · {event.actor_label} · {formatDateTime(event.at, DEFAULT_TIME_ZONE)}
                </span>
                {event.comment ? <p>{event.comment}</p> : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
      <CommentForm actionId={id} onSent={() => setTick((value) => value + 1)} />
    </>
  );
}

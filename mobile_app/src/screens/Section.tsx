import { useEffect, useState } from "preact/hooks";
import { formatDateTime, lang, pick, t, type MessageKey } from "../i18n";
import {
  answerProblem,
  contentOf,
  preview,
  type ChecklistItem,
  type ChecklistContent,
  type EvidenceProblem,
} from "../rules/preview";
import {
  differsFromLedger,
  figureOf,
  isFromSample,
  itemPrefillOf,
  ledgerAnswer,
  ledgerFigure,
  prefillNoteProblem,
  sameAsLedger,
  type AnyPrefillValue,
} from "../rules/prefill";
import { appDB, type QueuedOp } from "../store/db";
import type { InspectionView, ViewAnswer } from "../store/inspection";
import { keepImage, updateAnswer, type AnswerFields } from "../store/record";
import { PhotoButton } from "../ui/PhotoButton";
import { changed } from "../sync/scheduler";
import { Link } from "../ui/Link";
import { RejectionNote } from "../ui/Rejection";
import { SignaturePad } from "../ui/SignaturePad";
import { measuredChecks, type DossierRow } from "../store/dossiers";
import { useKept } from "../ui/hooks";
import { memo } from "../ui/memo";
import { useSampleRows } from "./Dossiers";
import { InspectionHeader, useInspection } from "./Inspection";

const EMPTY: ViewAnswer = {
  value: null,
  numerator: null,
  denominator: null,
  note: null,
  evidence: [],
  local: true,
};

/** A change to an answer: the fields that change, or how they follow from the answer as it is
 * recorded at the moment of saving (for changes that build on it: a photo added, a step up). */
type Change = Partial<AnswerFields> | ((current: AnswerFields) => Partial<AnswerFields>);

export function Thumbnail({ sha256, onRemove, disabled }: { sha256: string; onRemove: () => void; disabled: boolean }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    void appDB()
      .then((db) => db.get("evidence", sha256))
      .then((stored) => {
        if (stored) {
          objectUrl = URL.createObjectURL(stored.blob);
          setUrl(objectUrl);
        }
      });
    return () => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [sha256]);
  return (
    <figure class="thumb" data-testid="photo-thumb" data-sha256={sha256}>
      {url ? <img src={url} alt={`${t("photos")} ${sha256.slice(0, 8)}`} /> : <span class="thumb-empty" />}
      <button type="button" class="button button-small button-ghost" disabled={disabled} onClick={onRemove}>
        {t("removePhoto")}
      </button>
    </figure>
  );
}

export function Choice({
  name,
  options,
  value,
  onPick,
  disabled,
}: {
  name: string;
  options: Array<{ key: string; label: string }>;
  value: string | number | null;
  onPick: (key: string) => void;
  disabled: boolean;
}) {
  return (
    <div class="choices" role="radiogroup" aria-label={name}>
      {options.map((option) => (
        <button
          type="button"
          key={option.key}
          role="radio"
          aria-checked={value === option.key}
          class={value === option.key ? "choice choice-on" : "choice"}
          disabled={disabled}
          data-value={option.key}
          onClick={() => onPick(option.key)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}

/** What the person is typing, kept across re-renders (a sync finishing in the background must
 * not wipe a half-typed field); it follows the saved value when that changes. */
/** The text in a field while it is being edited. What the user typed is never replaced under
 * their fingers: it shows until they commit it, and after that until the saved value changes
 * (their own save arriving, or a newer one); a value saved elsewhere shows when they are not
 * editing. Worked out while rendering, not in an effect, which on a slow phone runs a few frames
 * late and would wipe what was typed into a box that had only just opened. */
function useDraft(saved: string): [string, (next: string) => void, () => void] {
  const [edit, setEdit] = useState<{ text: string; from: string; committed: boolean } | null>(null);
  const shown = edit !== null && (!edit.committed || edit.from === saved) ? edit.text : saved;
  const type = (text: string) =>
    setEdit((before) => ({ text, from: before && !before.committed ? before.from : saved, committed: false }));
  const commit = () => setEdit((before) => (before ? { ...before, committed: true } : before));
  return [shown, type, commit];
}

export function DraftInput({
  saved,
  onCommit,
  multiline = false,
  ...rest
}: {
  saved: string;
  onCommit: (text: string) => void;
  multiline?: boolean;
  [attribute: string]: unknown;
}) {
  const [draft, type, committed] = useDraft(saved);
  const props = {
    ...rest,
    value: draft,
    onInput: (event: Event) => type((event.target as HTMLInputElement).value),
    onChange: (event: Event) => {
      committed();
      onCommit((event.target as HTMLInputElement).value);
    },
  };
  return multiline ? <textarea {...props} /> : <input {...props} />;
}

/** A count answer's number, or null while it is unanswered. */
function countOf(answer: AnswerFields): number | null {
  return typeof answer.value === "number" ? answer.value : null;
}

function parseInteger(text: string): number | null | "invalid" {
  if (text.trim() === "") return null;
  const number = Number(text);
  return Number.isInteger(number) && number >= 0 ? number : "invalid";
}

/** What every answer control gets: the item, its saved answer, and how to save or complain. */
interface ControlProps {
  item: ChecklistItem;
  answer: ViewAnswer;
  save: (change: Change) => void;
  disabled: boolean;
  setProblem: (message: string | null) => void;
}

function PercentControl({ answer, save, disabled, setProblem }: ControlProps) {
  const [numerator, setNumerator] = useState(answer.numerator === null ? "" : String(answer.numerator));
  const [denominator, setDenominator] = useState(answer.denominator === null ? "" : String(answer.denominator));
  const commit = (nextNumerator: string, nextDenominator: string) => {
    const top = parseInteger(nextNumerator);
    const bottom = parseInteger(nextDenominator);
    if (top === "invalid" || bottom === "invalid") {
      setProblem(t("invalidAnswer", { message: "0, 1, 2…" }));
      return;
    }
    if (top === null || bottom === null) return; // wait for the other field
    save({ numerator: top, denominator: bottom, value: null }); // save() checks the answer
  };
  const share =
    answer.numerator !== null && answer.denominator
      ? Math.round((answer.numerator / answer.denominator) * 1000) / 10
      : null;
  return (
    <div class="percent">
      <label class="field field-inline">
        <span>{t("numerator")}</span>
        <input
          type="number"
          inputMode="numeric"
          min={0}
          value={numerator}
          disabled={disabled}
          data-part="numerator"
          onInput={(event) => setNumerator((event.target as HTMLInputElement).value)}
          onChange={(event) => commit((event.target as HTMLInputElement).value, denominator)}
        />
      </label>
      <span aria-hidden="true">/</span>
      <label class="field field-inline">
        <span>{t("denominator")}</span>
        <input
          type="number"
          inputMode="numeric"
          min={0}
          value={denominator}
          disabled={disabled}
          data-part="denominator"
          onInput={(event) => setDenominator((event.target as HTMLInputElement).value)}
          onChange={(event) => commit(numerator, (event.target as HTMLInputElement).value)}
        />
      </label>
      {share !== null ? <span class="muted">{t("percentValue", { value: share })}</span> : null}
    </div>
  );
}

function AnswerControl({ item, answer, save, disabled, setProblem }: ControlProps) {
  const label = pick(item.text);
  switch (item.answer_type) {
    case "yes_no":
    case "yes_no_na": {
      const options = [
        { key: "yes", label: t("yes") },
        { key: "no", label: t("no") },
        ...(item.answer_type === "yes_no_na" ? [{ key: "na", label: t("na") }] : []),
      ];
      return <Choice name={label} options={options} value={answer.value} disabled={disabled} onPick={(value) => save({ value })} />;
    }
    case "choice":
      return (
        <Choice
          name={label}
          options={(item.options ?? []).map((option) => ({ key: option.key, label: pick(option.label) }))}
          value={answer.value}
          disabled={disabled}
          onPick={(value) => save({ value })}
        />
      );
    case "count": {
      const count = countOf(answer);
      return (
        <div class="stepper">
          <button
            type="button"
            class="button stepper-button"
            aria-label={t("decrease")}
            disabled={disabled || count === null || count <= 0}
            onClick={() => save((current) => ({ value: Math.max(0, (countOf(current) ?? 0) - 1) }))}
          >
            −
          </button>
          <label class="field field-inline">
            <span class="visually-hidden">{t("countLabel")}</span>
            <DraftInput
              type="number"
              inputMode="numeric"
              min={0}
              step={1}
              saved={count === null ? "" : String(count)}
              disabled={disabled}
              aria-label={`${t("countLabel")}: ${label}`}
              onCommit={(text) => {
                const parsed = parseInteger(text);
                if (parsed === "invalid") setProblem(t("invalidAnswer", { message: "0, 1, 2…" }));
                else save({ value: parsed });
              }}
            />
          </label>
          <button
            type="button"
            class="button stepper-button"
            aria-label={t("increase")}
            disabled={disabled}
            onClick={() => save((current) => ({ value: (countOf(current) ?? -1) + 1 }))}
          >
            +
          </button>
        </div>
      );
    }
    case "percent":
      // Keyed by the saved value, so a value saved elsewhere (taken from the ledger) shows.
      return (
        <PercentControl
          key={`${answer.numerator}/${answer.denominator}`}
          item={item}
          answer={answer}
          save={save}
          disabled={disabled}
          setProblem={setProblem}
        />
      );
    case "number":
      return (
        <label class="field">
          <span>{t("numberLabel")}</span>
          <DraftInput
            type="number"
            inputMode="decimal"
            step="any"
            saved={answer.value === null ? "" : String(answer.value)}
            disabled={disabled}
            onCommit={(raw) => {
              const text = raw.trim();
              const number = Number(text);
              if (text !== "" && !Number.isFinite(number)) setProblem(t("invalidAnswer", { message: text }));
              else save({ value: text === "" ? null : number });
            }}
          />
        </label>
      );
    case "text":
      return (
        <label class="field">
          <span>{t("textLabel")}</span>
          <DraftInput
            multiline
            rows={3}
            saved={(answer.value as string) ?? ""}
            disabled={disabled}
            onCommit={(text) => save({ value: text || null })}
          />
        </label>
      );
    case "date":
      return (
        <label class="field">
          <span>{t("dateLabel")}</span>
          <DraftInput
            type="date"
            saved={(answer.value as string) ?? ""}
            disabled={disabled}
            onCommit={(text) => save({ value: text || null })}
          />
        </label>
      );
    case "signature":
      return answer.value ? (
        <div>
          <Thumbnail sha256={String(answer.value)} disabled={disabled} onRemove={() => save({ value: null, evidence: [] })} />
        </div>
      ) : (
        <SignaturePad
          label={label}
          onChange={async (png) => {
            if (!png) return;
            const sha256 = await keepImage(await appDB(), png, "image/png");
            save({ value: sha256, evidence: [sha256] });
          }}
        />
      );
    case "photo":
      return null; // the photo strip below is the answer
    default:
      return null;
  }
}

/** The pre-filled value of an item (the ledger's, or the sample's checks'), with its source, and
 * the tap that takes it. */
function LedgerPrefill({
  itemKey,
  prefill,
  answer,
  timeZone,
  save,
  disabled,
}: {
  itemKey: string;
  prefill: AnyPrefillValue;
  answer: ViewAnswer;
  timeZone: string;
  save: (change: Change) => void;
  disabled: boolean;
}) {
  const source = isFromSample(prefill) ? "dossier_sample" : "dossier_ledger";
  const taken = answer.source === source && sameAsLedger(answer, prefill);
  return (
    <div class="prefill" data-testid={`prefill-${itemKey}`} data-source={source} data-taken={taken ? "yes" : "no"}>
      {isFromSample(prefill) ? (
        <p class="small">
          <strong>
            {t("samplePrefillFrom", {
              figure: figureOf(prefill),
              checked: prefill.source.checked,
              sampled: prefill.source.sampled,
            })}
          </strong>
          <br />
          <span class="muted">{t("samplePrefillLive")}</span>
        </p>
      ) : (
        <p class="small">
          <strong>{t("prefillFrom", { figure: ledgerFigure(prefill, t("prefillDossiers")) })}</strong>
          <br />
          <span class="muted">{t("prefillAsOf", { time: formatDateTime(prefill.source.as_of, timeZone) })}</span>
        </p>
      )}
      {taken ? (
        <p class="ok small">{t(isFromSample(prefill) ? "samplePrefillTaken" : "prefillTaken")}</p>
      ) : (
        <button
          type="button"
          class="button button-small"
          disabled={disabled}
          data-testid={`prefill-take-${itemKey}`}
          onClick={() => save({ ...ledgerAnswer(prefill), source })}
        >
          {t("prefillTake")}
        </button>
      )}
    </div>
  );
}

/** What one item's card shows, each part kept the same object while it is unchanged (see
 * `SectionItems`), so that an answer given to one item renders that item's card alone. */
interface ItemCardProps {
  inspectionId: string;
  timeZone: string;
  item: ChecklistItem;
  /** The answer recorded for the item (on the phone or the server), if any. */
  recorded: ViewAnswer | undefined;
  outcome: string;
  evidenceProblems: EvidenceProblem[] | undefined;
  prefill: AnyPrefillValue | undefined;
  rejected: QueuedOp | undefined;
  disabled: boolean;
  /** The language shown: a card draws its texts again when it changes. */
  lang: string;
}

/** Renders again only when one of its props is another object or value (Preact's shallow
 * comparison): its answer, outcome, problems, pre-fill or rejection, or the language. */
export const ItemCard = memo(function ItemCard({
  inspectionId,
  timeZone,
  item,
  recorded,
  outcome,
  evidenceProblems: ruleProblems,
  prefill,
  rejected,
  disabled,
}: ItemCardProps) {
  const answer = recorded ?? EMPTY;
  const [problem, setProblem] = useState<string | null>(null);
  const [noteOpen, setNoteOpen] = useState(Boolean(answer.note));
  // Another value than the ledger's (or the sample's checks') needs a note saying why.
  const differs = differsFromLedger(answer, prefill);
  const noteProblem = prefillNoteProblem(item.key, answer, prefill);
  const evidenceProblems = [...(ruleProblems ?? []), ...(noteProblem ? [noteProblem] : [])];
  const photoRule = item.evidence?.photo ?? "none";
  const noteRule = item.evidence?.note ?? "none";
  const maxPhotos = item.evidence?.max_photos ?? 10;
  const canAddPhotos = photoRule !== "none" || item.answer_type === "photo" || item.points > 0;

  async function save(change: Change) {
    setProblem(null);
    const update = await updateAnswer(
      await appDB(),
      { inspectionId, itemKey: item.key },
      answer,
      typeof change === "function" ? change : () => change,
      (next) =>
        answerProblem(item, {
          value: next.value,
          numerator: next.numerator,
          denominator: next.denominator,
          photo_count: next.evidence.length,
          note: next.note,
        }),
    );
    if (update.problem !== null) {
      setProblem(t("invalidAnswer", { message: update.problem }));
      return;
    }
    changed();
  }

  return (
    <article class={`card item item-${outcome}`} id={`item-${item.key}`} data-item={item.key} data-outcome={outcome} aria-labelledby={`label-${item.key}`}>
      <h3 id={`label-${item.key}`} class="item-title">
        <span class="item-key">{item.key}</span> {pick(item.text)}
        {item.required ? <span class="visually-hidden"> ({t("required")})</span> : null}
      </h3>
      <p class="item-meta">
        <span class={`outcome outcome-${outcome}`} data-testid="outcome">
          {t(`outcome_${outcome}` as MessageKey)}
        </span>
        {item.points > 0 ? <span class="muted small"> · {item.points} đ</span> : null}
        {answer.local && recorded ? <span class="muted small"> · {t("savedLocally")}</span> : null}
      </p>
      {item.guidance ? (
        <details class="guidance">
          <summary>{t("guidance")}</summary>
          <p>{pick(item.guidance)}</p>
        </details>
      ) : null}
      {prefill ? (
        <LedgerPrefill
          itemKey={item.key}
          prefill={prefill}
          answer={answer}
          timeZone={timeZone}
          save={save}
          disabled={disabled}
        />
      ) : null}
      <AnswerControl item={item} answer={answer} save={save} disabled={disabled} setProblem={setProblem} />
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      <RejectionNote op={rejected} />
      {canAddPhotos ? (
        <div class="photos">
          <p class="muted small">
            {photoRule !== "none"
              ? t(`photoRule_${photoRule}` as MessageKey, { min: item.evidence?.min_photos ?? 1 })
              : t("photos")}
          </p>
          <div class="thumbs">
            {answer.evidence
              .filter((sha256) => item.answer_type !== "signature" || sha256 !== answer.value)
              .map((sha256) => (
                <Thumbnail
                  key={sha256}
                  sha256={sha256}
                  disabled={disabled}
                  onRemove={() =>
                    void save((current) => ({ evidence: current.evidence.filter((other) => other !== sha256) }))
                  }
                />
              ))}
          </div>
          {answer.evidence.length < maxPhotos ? (
            <>
              <PhotoButton
                id={`photo-${item.key}`}
                testId={`photo-input-${item.key}`}
                disabled={disabled}
                onPhoto={(sha256) =>
                  save((current) =>
                    current.evidence.includes(sha256) ? {} : { evidence: [...current.evidence, sha256] },
                  )
                }
              />
            </>
          ) : (
            <p class="muted small">{t("photoLimit", { max: maxPhotos })}</p>
          )}
        </div>
      ) : null}
      <div class="note">
        {noteOpen || noteRule !== "none" || differs ? (
          <label class="field">
            <span>
              {differs
                ? `${t("note")} — ${t(prefill && isFromSample(prefill) ? "samplePrefillDiffers" : "prefillDiffers")}`
                : noteRule !== "none"
                  ? `${t("note")} — ${t("noteRequired")}`
                  : t("note")}
            </span>
            <DraftInput
              multiline
              rows={2}
              placeholder={t("noteHint")}
              saved={answer.note ?? ""}
              disabled={disabled}
              data-testid={`note-${item.key}`}
              onCommit={(text) => void save({ note: text })}
            />
          </label>
        ) : (
          <button type="button" class="button button-small button-ghost" disabled={disabled} onClick={() => setNoteOpen(true)}>
            + {t("note")}
          </button>
        )}
      </div>
      {evidenceProblems.length > 0 ? (
        <p class="warn small" data-testid="evidence-problem">
          {evidenceProblems.map((entry) => t(`evidenceProblem_${entry.kind}` as MessageKey)).join(" · ")}
        </p>
      ) : null}
    </article>
  );
});

export function SectionScreen({ id, sectionKey }: { id: string; sectionKey: string }) {
  const view = useInspection(id);
  const rows = useSampleRows(view);
  if (view === undefined) return <p role="status">{t("loading")}</p>;
  if (view === null || !view.checklist) return <p class="card">{t("notFoundInspection")}</p>;
  const content = contentOf(view.checklist);
  const index = content.sections.findIndex((section) => section.key === sectionKey);
  if (index < 0) return <p class="card">{t("notFound")}</p>;
  return <SectionItems view={view} content={content} index={index} rows={rows} />;
}

/** Each item's part of the preview, by item key. */
function problemsByItem(problems: EvidenceProblem[]): Record<string, EvidenceProblem[]> {
  const byItem: Record<string, EvidenceProblem[]> = {};
  for (const problem of problems) (byItem[problem.itemKey] ??= []).push(problem);
  return byItem;
}

function SectionItems({
  view,
  content,
  index,
  rows,
}: {
  view: InspectionView;
  content: ChecklistContent;
  index: number;
  rows: DossierRow[] | null | undefined;
}) {
  const id = view.inspection.id;
  const section = content.sections[index];
  const result = preview(content, view.answers);
  // The sample's figures follow the checks as they are recorded (the rows are live).
  const sample = measuredChecks(rows);
  // Worked out afresh at every render, kept the same objects where unchanged: each card gets its
  // own part, and an answer to one item leaves the other cards' props as they were.
  const prefills = useKept(itemPrefillOf(view.inspection, content, sample.sampled, sample.checks));
  const problems = useKept(problemsByItem(result.evidenceProblems));
  const disabled = view.status !== "in_progress";
  const base = `/inspections/${id}`;
  const previous = content.sections[index - 1];
  const next = content.sections[index + 1];
  return (
    <>
      <InspectionHeader view={view} />
      <h2>
        {section.key}. {pick(section.title)}
      </h2>
      {section.guidance ? <p class="muted small">{pick(section.guidance)}</p> : null}
      {section.items
        .filter((item) => result.visible.has(item.key))
        .map((item) => (
          <ItemCard
            key={`${item.key}`}
            inspectionId={id}
            timeZone={view.inspection.unit.time_zone}
            item={item}
            recorded={view.answers[item.key]}
            outcome={result.outcome[item.key] ?? "unanswered"}
            evidenceProblems={problems[item.key]}
            prefill={prefills[item.key]}
            rejected={view.rejected[`item:${item.key}`]}
            disabled={disabled}
            lang={lang()}
          />
        ))}
      <nav class="pager" aria-label={t("sectionsTitle")}>
        {previous ? (
          <Link class="button" to={`${base}/sections/${previous.key}`}>
            ← {t("previousSection")}
          </Link>
        ) : (
          <span />
        )}
        <Link class="button" to={base}>
          {t("toOverview")}
        </Link>
        {next ? (
          <Link class="button button-primary" to={`${base}/sections/${next.key}`}>
            {t("nextSection")} →
          </Link>
        ) : (
          <Link class="button button-primary" to={`${base}/review`}>
            {t("reviewButton")} →
          </Link>
        )}
      </nav>
    </>
  );
}

// The checklist document the phone receives (`ChecklistVersionOut.content`: the canonical JSON of
// `checklists.format.ChecklistTemplate`, every default spelled out, keys as in Python), the answers
// the phone records, and the result of scoring them (`checklists.scoring.ScoreResult`).
//
// Field names are the Python ones, unchanged, so a result computed on the phone and one computed by
// the server have the same shape and can be compared or swapped without a mapping.

export interface LocalizedText {
  vi: string;
  en: string;
}

export type Severity = "critical" | "major" | "minor";

export type Category =
  | "discipline"
  | "facilities"
  | "transparency"
  | "dossier_handling"
  | "e_government"
  | "documents_archives"
  | "leadership";

export type ScoredAnswerType = "yes_no_na" | "yes_no" | "choice" | "count" | "percent";
export type UnscoredAnswerType = "number" | "text" | "date" | "photo" | "signature";
export type AnswerType = ScoredAnswerType | UnscoredAnswerType;

/** When a photo (or a note) is needed: never, when the item is not fully met, or always. */
export type EvidenceRule = "none" | "on_fail" | "always";

export interface Evidence {
  photo: EvidenceRule;
  min_photos: number;
  max_photos: number;
  note: EvidenceRule;
}

interface ItemBase {
  key: string;
  text: LocalizedText;
  guidance: LocalizedText | null;
  legal_basis: string[];
  evidence: Evidence;
  show_if: string | null;
  required: boolean;
}

/** Items that can pass, be partly met or fail; a failure becomes a finding. */
/** Where an item's value is offered from: the unit's dossier ledger, or the sealed dossier
 * sample's checks recorded in the inspection. */
export interface Prefill {
  source: "dossier_ledger" | "dossier_sample";
  measure: string;
}

interface ScoredItemBase extends ItemBase {
  answer_type: ScoredAnswerType;
  points: number;
  severity: Severity;
  category: Category;
  default_action: LocalizedText | null;
  /** Absent in templates without it (the canonical form leaves it out). */
  prefill?: Prefill | null;
}

export interface YesNoNaItem extends ScoredItemBase {
  answer_type: "yes_no_na";
}

export interface YesNoItem extends ScoredItemBase {
  answer_type: "yes_no";
}

export interface ChoiceOption {
  key: string;
  label: LocalizedText;
  points: number;
}

export interface ChoiceItem extends ScoredItemBase {
  answer_type: "choice";
  options: ChoiceOption[];
}

/** Violations counted: full points at or below `full_at`, linearly down to none at `zero_at`. */
export interface CountItem extends ScoredItemBase {
  answer_type: "count";
  scoring: { full_at: number; zero_at: number };
}

export type Direction = "higher_is_better" | "lower_is_better";

/** numerator / denominator in percent: none at `floor`, all at `target`, linear between. */
export interface PercentItem extends ScoredItemBase {
  answer_type: "percent";
  scoring: { direction: Direction; target: number; floor: number };
}

/** Recorded facts: never pass or fail. */
interface UnscoredItemBase extends ItemBase {
  answer_type: UnscoredAnswerType;
  points: 0;
  category: Category | null;
}

export interface NumberItem extends UnscoredItemBase {
  answer_type: "number";
}

export interface TextItem extends UnscoredItemBase {
  answer_type: "text";
}

export interface DateItem extends UnscoredItemBase {
  answer_type: "date";
}

export interface PhotoItem extends UnscoredItemBase {
  answer_type: "photo";
}

export interface SignatureItem extends UnscoredItemBase {
  answer_type: "signature";
}

export type ScoredItem = YesNoNaItem | YesNoItem | ChoiceItem | CountItem | PercentItem;
export type UnscoredItem = NumberItem | TextItem | DateItem | PhotoItem | SignatureItem;
export type ChecklistItem = ScoredItem | UnscoredItem;

export interface Section {
  key: string;
  title: LocalizedText;
  guidance: LocalizedText | null;
  points: number;
  items: ChecklistItem[];
}

/** A legal document items cite, in force from `applies_from` to `applies_to` (ISO dates). */
export interface LegalBasis {
  code: string;
  title: LocalizedText;
  applies_from: string | null;
  applies_to: string | null;
}

/** A band covers scores from `min_score` (inclusive) up to the next band's `min_score`. */
export interface RatingBand {
  key: string;
  label: LocalizedText;
  min_score: number;
}

export interface ActionDueDays {
  critical: number;
  major: number;
  minor: number;
}

/** One checklist version: `ChecklistVersionOut.content`. */
export interface ChecklistContent {
  key: string;
  version: number;
  title: LocalizedText;
  description: LocalizedText | null;
  legal_bases: LegalBasis[];
  rating_bands: RatingBand[];
  action_due_days: ActionDueDays;
  total_points: number;
  sections: Section[];
}

/**
 * What an inspector recorded for one item. `value` holds "yes" / "no" / "na", a choice key, a
 * count, a number, a text, an ISO date or a signature reference; percent items use `numerator` and
 * `denominator` instead; photo items are answered by their photos. An answer with nothing in it
 * counts as unanswered.
 */
export interface Answer {
  value?: string | number | null;
  numerator?: number | null;
  denominator?: number | null;
  photo_count: number;
  note?: string | null;
}

/** Answers keyed by item key. */
export type Answers = Readonly<Record<string, Answer>>;

export type Outcome =
  | "pass"
  | "partial"
  | "fail"
  | "not_applicable"
  | "hidden"
  | "unanswered"
  | "recorded";

export interface ItemResult {
  key: string;
  section_key: string;
  outcome: Outcome;
  /** Points earned, rounded to 2 decimals (half up). */
  earned: number;
  /** Points in the denominator: 0 when n/a, hidden, unscored, or optional and unanswered. */
  possible: number;
}

export interface SectionResult {
  key: string;
  earned: number;
  possible: number;
  /** Out of 100, rounded to 2 decimals; null when nothing in the section could be scored. */
  score: number | null;
}

export type EvidenceRuleBroken =
  | "photo_always"
  | "photo_on_fail"
  | "max_photos"
  | "note_always"
  | "note_on_fail";

export interface EvidenceViolation {
  item_key: string;
  rule: EvidenceRuleBroken;
  needed: number;
  got: number;
}

/** A shortcoming found by the checklist: an item that failed or was only partly met. */
export interface Finding {
  item_key: string;
  section_key: string;
  outcome: Outcome;
  severity: Severity;
  category: Category;
  text: LocalizedText;
  default_action: LocalizedText | null;
  due_days: number;
  legal_basis: string[];
  note: string | null;
}

export interface ScoreResult {
  items: ItemResult[];
  sections: SectionResult[];
  earned: number;
  possible: number;
  /** Out of 100, rounded to 2 decimals (half up); null when nothing could be scored. */
  total: number | null;
  /** The band the total alone reaches. */
  score_band: string | null;
  /** The rating band, after the critical-failure cap. */
  band: string | null;
  band_capped: boolean;
  critical_failures: string[];
  missing_required: string[];
  evidence_violations: EvidenceViolation[];
  findings: Finding[];
}

export interface AnswerProblem {
  item_key: string;
  message: string;
}

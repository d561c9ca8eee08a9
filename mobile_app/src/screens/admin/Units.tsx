// /admin/units: the unit tree, a unit's form (names, kind, language, time zone, location and
// geofence, notification targets), moving it, deactivating it, and a test message to its targets
// followed until the worker has sent it.
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiSend } from "../../api/client";
import { lang, t, type MessageKey } from "../../i18n";
import { Link } from "../../ui/Link";
import { navigate } from "../../ui/router";
import {
  ActionButton,
  ActivationCard,
  ErrorNote,
  InputField,
  Loading,
  Notice,
  problemText,
  UnitSelect,
  unitName,
  useUnits,
  WatchedMessage,
} from "./common";
import {
  ancestorIds,
  buildUnitTree,
  cleanTargets,
  emptyUnitDraft,
  filterTree,
  flattenTree,
  isMasked,
  LANGUAGES,
  subtreeIds,
  UNIT_KINDS,
  unitDraftOf,
  unitDraftProblems,
  unitIn,
  unitPatch,
  type NotificationTestOut,
  type Unit,
  type UnitDraft,
  type UnitNode,
} from "./model";

const TIME_ZONES = ["Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Jakarta", "UTC"];

const FIELD_LABELS: Record<keyof UnitDraft, MessageKey> = {
  code: "admUnitCode",
  name_vi: "admUnitNameVi",
  name_en: "admUnitNameEn",
  kind: "admUnitKind",
  parent_id: "admUnitParent",
  language: "admLanguage",
  time_zone: "admTimeZone",
  latitude: "admLatitude",
  longitude: "admLongitude",
  geofence_radius_m: "admGeofence",
  targets: "admTargets",
};

export function kindLabel(kind: Unit["kind"]): string {
  return t(`admKind_${kind}` as MessageKey);
}

function TreeNode({
  node,
  selected,
  open,
  toggle,
}: {
  node: UnitNode;
  selected?: string;
  open: (id: string) => boolean;
  toggle: (id: string) => void;
}) {
  const { unit, children } = node;
  const expanded = children.length > 0 && open(unit.id);
  const name = unitName(unit);
  return (
    <li class="adm-tree-item" data-testid="unit-node" data-code={unit.code}>
      <div class={unit.id === selected ? "adm-tree-row adm-tree-selected" : "adm-tree-row"}>
        {children.length > 0 ? (
          <button
            type="button"
            class="adm-tree-toggle"
            aria-expanded={expanded}
            aria-label={t(expanded ? "admCollapse" : "admExpand", { name })}
            onClick={() => toggle(unit.id)}
          >
            <span aria-hidden="true">{expanded ? "▾" : "▸"}</span>
          </button>
        ) : (
          <span class="adm-tree-spacer" aria-hidden="true" />
        )}
        <Link class="adm-tree-link" to={`/admin/units/${unit.id}`}>
          <span class="adm-tree-name" aria-current={unit.id === selected ? "page" : undefined}>
            {name}
          </span>
          <span class="muted small">
            {unit.code} · {kindLabel(unit.kind)}
            {unit.active ? "" : ` · ${t("admInactive")}`}
          </span>
        </Link>
      </div>
      {expanded ? (
        <ul class="adm-tree" role="list">
          {children.map((child) => (
            <TreeNode key={child.unit.id} node={child} selected={selected} open={open} toggle={toggle} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function UnitTree({ units, selected }: { units: Unit[]; selected?: string }) {
  const [query, setQuery] = useState("");
  const [showInactive, setShowInactive] = useState(false);
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const shown = showInactive ? units : units.filter((unit) => unit.active || unit.id === selected);
  const tree = buildUnitTree(shown, unitName, lang());
  const visible = filterTree(tree, query, (unit) => `${unit.name_vi} ${unit.name_en} ${unit.code}`);
  const selectedAncestors = useMemo(() => new Set(selected ? ancestorIds(units, selected) : []), [units, selected]);
  const searching = query.trim() !== "";
  const depthOf = useMemo(() => new Map(units.map((unit) => [unit.id, unit.depth])), [units]);
  const minDepth = units.reduce((least, unit) => Math.min(least, unit.depth), Infinity);
  const open = (id: string) =>
    searching || (toggled[id] ?? (selectedAncestors.has(id) || (depthOf.get(id) ?? 0) - minDepth < 1));
  return (
    <div class="card adm-tree-card">
      <label class="field">
        <span>{t("admSearchUnits")}</span>
        <input type="search" value={query} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} />
      </label>
      <label class="check">
        <input type="checkbox" checked={showInactive} onChange={(event) => setShowInactive((event.target as HTMLInputElement).checked)} />
        <span>{t("admShowInactive")}</span>
      </label>
      {visible.length === 0 ? <p class="muted">{t("admNoUnitsMatch")}</p> : null}
      <ul class="adm-tree adm-tree-root" role="list" aria-label={t("admUnitTree")} data-testid="unit-tree">
        {visible.map((node) => (
          <TreeNode
            key={node.unit.id}
            node={node}
            selected={selected}
            open={open}
            toggle={(id) => setToggled((current) => ({ ...current, [id]: !open(id) }))}
          />
        ))}
      </ul>
    </div>
  );
}

function TargetsEditor({ targets, onChange }: { targets: string[]; onChange: (targets: string[]) => void }) {
  return (
    <fieldset class="field adm-targets" data-testid="targets">
      <legend>{t("admTargets")}</legend>
      <p class="muted small">{t("admTargetsHint")}</p>
      {targets.length === 0 ? <p class="muted small">{t("admNoTargets")}</p> : null}
      {targets.map((target, index) => (
        <div class="adm-target-row" key={index}>
          <label class="field field-inline adm-grow">
            <span class="visually-hidden">{t("admTargetN", { n: index + 1 })}</span>
            <input
              type="text"
              inputMode="url"
              autocapitalize="none"
              autocomplete="off"
              spellcheck={false}
              placeholder="json://host:port/path"
              value={target}
              data-testid={`target-${index}`}
              onInput={(event) => onChange(targets.map((old, at) => (at === index ? (event.target as HTMLInputElement).value : old)))}
            />
          </label>
          <button
            type="button"
            class="button button-small button-ghost"
            aria-label={t("admRemoveTargetN", { n: index + 1 })}
            onClick={() => onChange(targets.filter((_, at) => at !== index))}
          >
            {t("admRemove")}
          </button>
          {isMasked(target) ? <small class="muted adm-full">{t("admMaskedKept")}</small> : null}
        </div>
      ))}
      <button type="button" class="button button-small" onClick={() => onChange([...targets, ""])}>
        {t("admAddTarget")}
      </button>
    </fieldset>
  );
}

function UnitFields({
  draft,
  set,
  parentOptions,
  withParent,
}: {
  draft: UnitDraft;
  set: (change: Partial<UnitDraft>) => void;
  parentOptions?: Array<{ unit: Unit; level: number }>;
  withParent: boolean;
}) {
  return (
    <>
      <div class="adm-grid">
        <InputField
          label={t("admUnitCode")}
          value={draft.code}
          onValue={(code) => set({ code })}
          required
          maxLength={50}
          autocapitalize="characters"
          spellcheck={false}
        />
        <label class="field">
          <span>{t("admUnitKind")}</span>
          <select value={draft.kind} onChange={(event) => set({ kind: (event.target as HTMLSelectElement).value as UnitDraft["kind"] })}>
            {UNIT_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kindLabel(kind)}
              </option>
            ))}
          </select>
        </label>
        <InputField label={t("admUnitNameVi")} value={draft.name_vi} onValue={(name_vi) => set({ name_vi })} required maxLength={255} lang="vi" />
        <InputField label={t("admUnitNameEn")} value={draft.name_en} onValue={(name_en) => set({ name_en })} required maxLength={255} lang="en" />
        {withParent && parentOptions ? (
          <UnitSelect
            label={t("admUnitParent")}
            value={draft.parent_id}
            options={parentOptions}
            allowNone={t("admTopOfTree")}
            onChange={(parent_id) => set({ parent_id })}
          />
        ) : null}
        <label class="field">
          <span>{t("admLanguage")}</span>
          <select value={draft.language} onChange={(event) => set({ language: (event.target as HTMLSelectElement).value as UnitDraft["language"] })}>
            {LANGUAGES.map((code) => (
              <option key={code} value={code}>
                {t(`admLang_${code}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <InputField
          label={t("admTimeZone")}
          value={draft.time_zone}
          onValue={(time_zone) => set({ time_zone })}
          list="adm-time-zones"
          required
          spellcheck={false}
          autocapitalize="none"
        />
        <datalist id="adm-time-zones">
          {TIME_ZONES.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </div>
      <fieldset class="field adm-location">
        <legend>{t("admLocation")}</legend>
        <p class="muted small">{t("admLocationHint")}</p>
        <div class="adm-grid adm-grid-3">
          <InputField
            label={t("admLatitude")}
            value={draft.latitude}
            onValue={(latitude) => set({ latitude })}
            type="number"
            step="any"
            min={-90}
            max={90}
            inputMode="decimal"
          />
          <InputField
            label={t("admLongitude")}
            value={draft.longitude}
            onValue={(longitude) => set({ longitude })}
            type="number"
            step="any"
            min={-180}
            max={180}
            inputMode="decimal"
          />
          <InputField
            label={t("admGeofence")}
            value={draft.geofence_radius_m}
            onValue={(geofence_radius_m) => set({ geofence_radius_m })}
            type="number"
            step={1}
            min={10}
            max={50000}
            required
            inputMode="numeric"
          />
        </div>
      </fieldset>
      <TargetsEditor targets={draft.targets} onChange={(targets) => set({ targets })} />
    </>
  );
}

function problemsText(draft: UnitDraft): string | null {
  const problems = unitDraftProblems(draft);
  if (problems.length === 0) return null;
  return t("admFixFields", { fields: problems.map((field) => t(FIELD_LABELS[field])).join(", ") });
}

function CreateUnit({ parentId, units, onCreated }: { parentId: string | null; units: Unit[]; onCreated: (unit: Unit) => void }) {
  const [draft, setDraft] = useState<UnitDraft>(() => emptyUnitDraft(parentId));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setDraft((current) => ({ ...current, parent_id: parentId ?? "" })), [parentId]);
  const options = useMemo(() => flattenTree(buildUnitTree(units.filter((unit) => unit.active), unitName, lang())), [units]);
  const parent = units.find((unit) => unit.id === draft.parent_id);
  return (
    <form
      class="card"
      noValidate
      aria-labelledby="unit-new-title"
      data-testid="unit-create"
      onSubmit={async (event) => {
        event.preventDefault();
        const problems = problemsText(draft);
        if (problems) return setError(problems);
        setBusy(true);
        setError(null);
        try {
          const created = await apiSend<Unit>("POST", "/api/v1/units", unitIn(draft));
          onCreated(created);
        } catch (problem) {
          setError(problemText(problem));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="unit-new-title" class="card-title">
        {parent ? t("admNewUnitUnder", { name: unitName(parent) }) : t("admNewUnit")}
      </h2>
      <UnitFields draft={draft} set={(change) => setDraft({ ...draft, ...change })} parentOptions={options} withParent />
      <ErrorNote text={error} />
      <div class="adm-actions">
        <button class="button button-primary" type="submit" disabled={busy}>
          {busy ? t("admSaving") : t("admCreateUnit")}
        </button>
        <Link class="button button-ghost" to={parentId ? `/admin/units/${parentId}` : "/admin/units"}>
          {t("cancel")}
        </Link>
      </div>
    </form>
  );
}

function TestMessage({ unit, unsaved }: { unit: Unit; unsaved: boolean }) {
  const [sent, setSent] = useState<NotificationTestOut[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSent([]);
    setError(null);
  }, [unit.id]);
  const noTargets = unit.notification_targets.length === 0;
  return (
    <section class="card" aria-labelledby="unit-test-title" data-testid="unit-test">
      <h3 id="unit-test-title" class="card-title">
        {t("admTestTitle")}
      </h3>
      <p class="muted small">{t("admTestExplain")}</p>
      {noTargets ? <p class="warn">{t("admTestNoTargets")}</p> : null}
      {unsaved && !noTargets ? <p class="warn">{t("admTestUnsaved")}</p> : null}
      <ActionButton
        disabled={noTargets}
        testId="send-test"
        onClick={async () => {
          setError(null);
          try {
            const result = await apiSend<NotificationTestOut>("POST", `/api/v1/units/${unit.id}/notification-test`);
            setSent((current) => [result, ...current]);
          } catch (problem) {
            setError(problemText(problem));
          }
        }}
      >
        {t("admSendTest")}
      </ActionButton>
      <ErrorNote text={error} />
      {sent.map((test) => (
        <ul class="list-plain adm-test-results" key={test.event_key} aria-label={t("admTestResults")}>
          {test.notification_ids.map((id) => (
            <li key={id}>
              <WatchedMessage id={id} />
            </li>
          ))}
        </ul>
      ))}
    </section>
  );
}

function MoveUnit({ unit, units, onSaved }: { unit: Unit; units: Unit[]; onSaved: (unit: Unit) => void }) {
  const [parentId, setParentId] = useState(unit.parent_id ?? "");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setParentId(unit.parent_id ?? "");
    setError(null);
  }, [unit.id, unit.parent_id]);
  useEffect(() => setNotice(null), [unit.id]);
  const options = useMemo(() => flattenTree(buildUnitTree(units, unitName, lang())), [units]);
  // Below itself would make a loop: offered but not selectable (the server refuses it too).
  const inside = useMemo(() => subtreeIds(units, unit.id), [units, unit.id]);
  return (
    <section class="card" aria-labelledby="unit-move-title" data-testid="unit-move">
      <h3 id="unit-move-title" class="card-title">
        {t("admMoveTitle")}
      </h3>
      <UnitSelect label={t("admMoveUnder")} value={parentId} options={options} disabledIds={inside} onChange={setParentId} />
      <ActionButton
        disabled={!parentId || parentId === unit.parent_id}
        onClick={async () => {
          setError(null);
          setNotice(null);
          try {
            onSaved(await apiSend<Unit>("PATCH", `/api/v1/units/${unit.id}`, { parent_id: parentId }));
            setNotice(t("admMoved"));
          } catch (problem) {
            setError(problemText(problem));
          }
        }}
      >
        {t("admMove")}
      </ActionButton>
      <ErrorNote text={error} />
      <Notice text={notice} />
    </section>
  );
}

function ActiveSwitch({ unit, onSaved }: { unit: Unit; onSaved: (unit: Unit) => void }) {
  return (
    <ActivationCard
      id={unit.id}
      active={unit.active}
      titleId="unit-active-title"
      confirmTestId="confirm-deactivate"
      texts={{
        deactivateTitle: "admDeactivateTitle",
        inactiveTitle: "admInactiveTitle",
        deactivateExplain: "admDeactivateExplain",
        inactiveExplain: "admInactiveExplain",
        deactivate: "admDeactivate",
        confirm: t("admDeactivateConfirm", { name: unitName(unit) }),
        confirmYes: "admDeactivateYes",
        reactivated: "admReactivated",
        deactivated: "admDeactivated",
      }}
      save={async (active) => onSaved(await apiSend<Unit>("PATCH", `/api/v1/units/${unit.id}`, { active }))}
    />
  );
}

function EditUnit({ unit, units, onSaved }: { unit: Unit; units: Unit[]; onSaved: (unit: Unit) => void }) {
  const [draft, setDraft] = useState<UnitDraft>(() => unitDraftOf(unit));
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setDraft(unitDraftOf(unit));
  }, [unit.id, unit.updated_at]);
  useEffect(() => {
    setNotice(null);
    setError(null);
  }, [unit.id]);
  const patch = unitPatch(unit, draft);
  const dirty = Object.keys(patch).length > 0;
  const targetsChanged = "notification_targets" in patch;
  const parent = units.find((other) => other.id === unit.parent_id);
  return (
    <div data-testid="unit-editor" data-code={unit.code}>
      <div class="card">
        <h2 id="unit-title" class="card-title">
          {unitName(unit)}
        </h2>
        <p class="muted">
          {unit.code} · {kindLabel(unit.kind)}
          {parent ? ` · ${t("admUnder", { name: unitName(parent) })}` : ""}
          {unit.active ? "" : ` · ${t("admInactive")}`}
        </p>
        <Link class="button button-small" to={`/admin/units/${unit.id}/new`}>
          {t("admAddChild")}
        </Link>
      </div>
      <form
        class="card"
        noValidate
        aria-labelledby="unit-form-title"
        onSubmit={async (event) => {
          event.preventDefault();
          setNotice(null);
          const problems = problemsText(draft);
          if (problems) return setError(problems);
          if (!dirty) return setNotice(t("admNothingChanged"));
          setBusy(true);
          setError(null);
          try {
            onSaved(await apiSend<Unit>("PATCH", `/api/v1/units/${unit.id}`, patch));
            setNotice(t("admSaved"));
          } catch (problem) {
            setError(problemText(problem));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h3 id="unit-form-title" class="card-title">
          {t("admUnitDetails")}
        </h3>
        <UnitFields draft={draft} set={(change) => setDraft({ ...draft, ...change })} withParent={false} />
        <ErrorNote text={error} />
        <Notice text={notice} />
        <div class="adm-actions">
          <button class="button button-primary" type="submit" disabled={busy}>
            {busy ? t("admSaving") : t("save")}
          </button>
          {dirty ? (
            <button type="button" class="button button-ghost" onClick={() => setDraft(unitDraftOf(unit))}>
              {t("admUndo")}
            </button>
          ) : null}
        </div>
      </form>
      <TestMessage unit={unit} unsaved={targetsChanged && cleanTargets(draft.targets).length > 0} />
      <MoveUnit unit={unit} units={units} onSaved={onSaved} />
      <ActiveSwitch unit={unit} onSaved={onSaved} />
    </div>
  );
}

/** `selected`: a unit's id; `creating`: a new unit under that parent (null: no parent chosen). */
export function UnitsScreen({ selected, creating }: { selected?: string; creating?: { parentId: string | null } }) {
  const units = useUnits();
  const list = units.data;
  const unit = selected && list ? list.find((candidate) => candidate.id === selected) : undefined;
  const detail = Boolean(selected || creating);
  const defaultParent = creating?.parentId ?? (list ? (buildUnitTree(list, unitName)[0]?.unit.id ?? null) : null);
  return (
    <section aria-labelledby="units-title">
      <div class="row-between">
        <h1 id="units-title">{t("admUnitsTitle")}</h1>
        <Link class="button button-small" to="/admin/units/new">
          {t("admNewUnit")}
        </Link>
      </div>
      <ErrorNote text={units.error} />
      <Loading remote={units} />
      {list ? (
        <div class={detail ? "adm-split adm-split-detail" : "adm-split"}>
          <div class="adm-pane-list">
            <UnitTree units={list} selected={selected} />
          </div>
          <div class="adm-pane-detail">
            {detail ? (
              <Link class="adm-back" to="/admin/units">
                {t("admBackToUnits")}
              </Link>
            ) : null}
            {creating ? (
              <CreateUnit
                parentId={defaultParent}
                units={list}
                onCreated={(created) => {
                  units.reload();
                  navigate(`/admin/units/${created.id}`);
                }}
              />
            ) : unit ? (
              <EditUnit unit={unit} units={list} onSaved={() => units.reload()} />
            ) : selected && units.loading ? (
              <p role="status">{t("loading")}</p>
            ) : selected ? (
              <p class="card">{t("admUnitNotFound")}</p>
            ) : (
              <p class="card muted adm-desk-only">{t("admPickUnit")}</p>
            )}
          </div>
        </div>
      ) : null}
    </section>
  );
}

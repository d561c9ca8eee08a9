// /admin/users: the users of the admin's part of the tree, a page at a time; a new user; a
// user's role, home unit and language; a new password; deactivation.
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiGet, apiPage, apiSend } from "../../api/client";
import { lang, t, type MessageKey } from "../../i18n";
import { Link } from "../../ui/Link";
import { navigate } from "../../ui/router";
import { ActivationCard, ErrorNote, InputField, Loading, Notice, Pager, problemText, UnitSelect, unitName, useRemote, useUnits } from "./common";
import {
  buildUnitTree,
  flattenTree,
  LANGUAGES,
  PASSWORD_MIN,
  ROLES,
  userDraftOf,
  usernameProblem,
  userPatch,
  type Language,
  type Role,
  type Unit,
  type User,
  type UserDraft,
  type UserIn,
} from "./model";

const PAGE_SIZE = 25;

function roleLabel(role: Role): string {
  return t(`admRole_${role}` as MessageKey);
}

function RoleSelect({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <label class="field">
      <span>{t("admRole")}</span>
      <select value={value} onChange={(event) => onChange((event.target as HTMLSelectElement).value as Role)}>
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {roleLabel(role)}
          </option>
        ))}
      </select>
    </label>
  );
}

function LanguageSelect({ value, onChange }: { value: Language; onChange: (language: Language) => void }) {
  return (
    <label class="field">
      <span>{t("admLanguage")}</span>
      <select value={value} onChange={(event) => onChange((event.target as HTMLSelectElement).value as Language)}>
        {LANGUAGES.map((code) => (
          <option key={code} value={code}>
            {t(`admLang_${code}` as MessageKey)}
          </option>
        ))}
      </select>
    </label>
  );
}

function unitOptions(units: Unit[]) {
  return flattenTree(buildUnitTree(units, unitName, lang()));
}

function activeOptions(units: Unit[], keep?: string) {
  return unitOptions(units.filter((unit) => unit.active || unit.id === keep));
}

function CreateUser({ units, onCreated }: { units: Unit[]; onCreated: (user: User) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [draft, setDraft] = useState<UserDraft>({ full_name: "", email: "", role: "inspector", home_unit_id: "", language: "vi" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const options = useMemo(() => activeOptions(units), [units]);
  const set = (change: Partial<UserDraft>) => setDraft({ ...draft, ...change });
  return (
    <form
      class="card"
      noValidate
      aria-labelledby="user-new-title"
      data-testid="user-create"
      onSubmit={async (event) => {
        event.preventDefault();
        const nameProblem = usernameProblem(username);
        if (nameProblem) return setError(t(nameProblem === "short" ? "admUsernameShort" : "admUsernameCharacters"));
        if (password.length < PASSWORD_MIN) return setError(t("admPasswordShort", { min: PASSWORD_MIN }));
        if (!draft.full_name.trim()) return setError(t("admFullNameNeeded"));
        if (!draft.home_unit_id) return setError(t("admChooseHomeUnit"));
        setBusy(true);
        setError(null);
        const body: UserIn = {
          username: username.trim().toLowerCase(),
          full_name: draft.full_name.trim(),
          email: draft.email.trim() || null,
          role: draft.role,
          home_unit_id: draft.home_unit_id,
          language: draft.language,
          password,
        };
        try {
          onCreated(await apiSend<User>("POST", "/api/v1/users", body));
        } catch (problem) {
          setError(problemText(problem));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="user-new-title" class="card-title">
        {t("admNewUser")}
      </h2>
      <div class="adm-grid">
        <InputField label={t("username")} value={username} onValue={setUsername} required autocomplete="off" hint={t("admUsernameHint")} />
        <InputField label={t("admFullName")} value={draft.full_name} onValue={(full_name) => set({ full_name })} required autocomplete="off" />
        <InputField label={t("admEmail")} value={draft.email} onValue={(email) => set({ email })} type="email" autocomplete="off" />
        <RoleSelect value={draft.role} onChange={(role) => set({ role })} />
        <UnitSelect label={t("admHomeUnit")} value={draft.home_unit_id} options={options} required onChange={(home_unit_id) => set({ home_unit_id })} />
        <LanguageSelect value={draft.language} onChange={(language) => set({ language })} />
        <InputField
          label={t("password")}
          value={password}
          onValue={setPassword}
          type="password"
          required
          minLength={PASSWORD_MIN}
          autocomplete="new-password"
          hint={t("admPasswordHint", { min: PASSWORD_MIN })}
        />
      </div>
      <ErrorNote text={error} />
      <div class="adm-actions">
        <button class="button button-primary" type="submit" disabled={busy}>
          {busy ? t("admSaving") : t("admCreateUser")}
        </button>
        <Link class="button button-ghost" to="/admin/users">
          {t("cancel")}
        </Link>
      </div>
    </form>
  );
}

function ResetPassword({ user, onSaved }: { user: User; onSaved: () => void }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setPassword("");
    setError(null);
    setNotice(null);
  }, [user.id]);
  return (
    <form
      class="card"
      noValidate
      aria-labelledby="user-password-title"
      onSubmit={async (event) => {
        event.preventDefault();
        setNotice(null);
        if (password.length < PASSWORD_MIN) return setError(t("admPasswordShort", { min: PASSWORD_MIN }));
        setError(null);
        try {
          await apiSend<User>("PATCH", `/api/v1/users/${user.id}`, { password });
          setPassword("");
          setNotice(t("admPasswordReset"));
          onSaved();
        } catch (problem) {
          setError(problemText(problem));
        }
      }}
    >
      <h3 id="user-password-title" class="card-title">
        {t("admResetPassword")}
      </h3>
      <p class="muted small">{t("admResetPasswordExplain")}</p>
      <InputField
        label={t("admNewPassword")}
        value={password}
        onValue={setPassword}
        type="password"
        required
        minLength={PASSWORD_MIN}
        autocomplete="new-password"
        hint={t("admPasswordHint", { min: PASSWORD_MIN })}
      />
      <ErrorNote text={error} />
      <Notice text={notice} />
      <button class="button" type="submit">
        {t("admResetPassword")}
      </button>
    </form>
  );
}

function UserActive({ user, onSaved }: { user: User; onSaved: () => void }) {
  return (
    <ActivationCard
      id={user.id}
      active={user.active}
      titleId="user-active-title"
      texts={{
        deactivateTitle: "admUserDeactivateTitle",
        inactiveTitle: "admUserInactiveTitle",
        deactivateExplain: "admUserDeactivateExplain",
        inactiveExplain: "admUserInactiveExplain",
        deactivate: "admUserDeactivate",
        confirm: t("admUserDeactivateConfirm", { name: user.full_name }),
        confirmYes: "admUserDeactivateYes",
        reactivated: "admUserReactivated",
        deactivated: "admUserDeactivated",
      }}
      save={async (active) => {
        await apiSend<User>("PATCH", `/api/v1/users/${user.id}`, { active });
        onSaved();
      }}
    />
  );
}

function EditUser({ id, units, onChanged }: { id: string; units: Unit[]; onChanged: () => void }) {
  const remote = useRemote(() => apiGet<User>(`/api/v1/users/${id}`), [id]);
  const user = remote.data && remote.data.id === id ? remote.data : undefined;
  const [draft, setDraft] = useState<UserDraft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setDraft(user ? userDraftOf(user) : null), [user]);
  useEffect(() => {
    setNotice(null);
    setError(null);
  }, [id]);
  const options = useMemo(() => activeOptions(units, user?.home_unit_id), [units, user?.home_unit_id]);
  if (!user || !draft) {
    return remote.error ? <ErrorNote text={remote.error} /> : <p role="status">{t("loading")}</p>;
  }
  const changed = () => {
    remote.reload();
    onChanged();
  };
  const patch = userPatch(user, draft);
  const set = (change: Partial<UserDraft>) => setDraft({ ...draft, ...change });
  const home = units.find((unit) => unit.id === user.home_unit_id);
  return (
    <div data-testid="user-editor" data-username={user.username}>
      <form
        class="card"
        noValidate
        aria-labelledby="user-title"
        onSubmit={async (event) => {
          event.preventDefault();
          setNotice(null);
          if (!draft.full_name.trim()) return setError(t("admFullNameNeeded"));
          if (Object.keys(patch).length === 0) return setNotice(t("admNothingChanged"));
          setBusy(true);
          setError(null);
          try {
            await apiSend<User>("PATCH", `/api/v1/users/${user.id}`, patch);
            setNotice(t("admSaved"));
            changed();
          } catch (problem) {
            setError(problemText(problem));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2 id="user-title" class="card-title">
          {user.full_name}
        </h2>
        <p class="muted">
          {user.username} · {roleLabel(user.role)}
          {home ? ` · ${unitName(home)}` : ""}
          {user.active ? "" : ` · ${t("admInactive")}`}
        </p>
        <div class="adm-grid">
          <InputField label={t("admFullName")} value={draft.full_name} onValue={(full_name) => set({ full_name })} required autocomplete="off" />
          <InputField label={t("admEmail")} value={draft.email} onValue={(email) => set({ email })} type="email" autocomplete="off" />
          <RoleSelect value={draft.role} onChange={(role) => set({ role })} />
          <UnitSelect label={t("admHomeUnit")} value={draft.home_unit_id} options={options} required onChange={(home_unit_id) => set({ home_unit_id })} />
          <LanguageSelect value={draft.language} onChange={(language) => set({ language })} />
        </div>
        <ErrorNote text={error} />
        <Notice text={notice} />
        <div class="adm-actions">
          <button class="button button-primary" type="submit" disabled={busy}>
            {busy ? t("admSaving") : t("save")}
          </button>
        </div>
      </form>
      <ResetPassword user={user} onSaved={changed} />
      <UserActive user={user} onSaved={changed} />
    </div>
  );
}

function UserRow({ user, units, selected }: { user: User; units: Map<string, Unit>; selected?: string }) {
  const home = units.get(user.home_unit_id);
  return (
    <li class={user.id === selected ? "card adm-row adm-row-selected" : "card adm-row"} data-testid="user-row" data-username={user.username}>
      <Link class="adm-row-link" to={`/admin/users/${user.id}`}>
        <span class="adm-row-title">{user.full_name}</span>
        <span class="muted small">{user.username}</span>
      </Link>
      <p class="adm-row-meta">
        <span class={`badge adm-role adm-role-${user.role}`}>{roleLabel(user.role)}</span>
        {home ? <span class="small">{unitName(home)}</span> : null}
        {user.active ? null : <span class="badge adm-inactive">{t("admInactive")}</span>}
      </p>
    </li>
  );
}

export function UsersScreen({ selected, creating }: { selected?: string; creating?: boolean }) {
  const units = useUnits();
  const [role, setRole] = useState<Role | "">("");
  const [offset, setOffset] = useState(0);
  const users = useRemote(
    () => apiPage<User>(`/api/v1/users?limit=${PAGE_SIZE}&offset=${offset}${role ? `&role=${role}` : ""}`),
    [role, offset],
  );
  const byId = useMemo(() => new Map((units.data ?? []).map((unit) => [unit.id, unit])), [units.data]);
  const detail = Boolean(selected || creating);
  return (
    <section aria-labelledby="users-title">
      <div class="row-between">
        <h1 id="users-title">{t("admUsersTitle")}</h1>
        <Link class="button button-small" to="/admin/users/new">
          {t("admNewUser")}
        </Link>
      </div>
      <ErrorNote text={units.error ?? users.error} />
      <div class={detail ? "adm-split adm-split-detail" : "adm-split"}>
        <div class="adm-pane-list">
          <label class="field">
            <span>{t("admFilterRole")}</span>
            <select
              value={role}
              onChange={(event) => {
                setRole((event.target as HTMLSelectElement).value as Role | "");
                setOffset(0);
              }}
            >
              <option value="">{t("admAllRoles")}</option>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {roleLabel(value)}
                </option>
              ))}
            </select>
          </label>
          <Loading remote={users} />
          {users.data ? (
            <>
              <p class="muted small" role="status">
                {t("admUsersCount", { count: users.data.total })}
              </p>
              <ul class="list adm-rows" data-testid="user-list">
                {users.data.items.map((user) => (
                  <UserRow key={user.id} user={user} units={byId} selected={selected} />
                ))}
              </ul>
              <Pager offset={offset} limit={PAGE_SIZE} total={users.data.total} onOffset={setOffset} />
            </>
          ) : null}
        </div>
        <div class="adm-pane-detail">
          {detail ? (
            <Link class="adm-back" to="/admin/users">
              {t("admBackToUsers")}
            </Link>
          ) : null}
          {!units.data ? (
            detail ? <Loading remote={units} /> : null
          ) : creating ? (
            <CreateUser
              units={units.data}
              onCreated={(user) => {
                users.reload();
                navigate(`/admin/users/${user.id}`);
              }}
            />
          ) : selected ? (
            <EditUser id={selected} units={units.data} onChanged={users.reload} />
          ) : (
            <p class="card muted adm-desk-only">{t("admPickUser")}</p>
          )}
        </div>
      </div>
    </section>
  );
}

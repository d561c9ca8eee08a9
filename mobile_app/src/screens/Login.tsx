import { useState } from "preact/hooks";
import { lang, setLang, t } from "../i18n";
import { appDB } from "../store/db";
import { HttpProblem, login, Offline, OtherUserPending } from "../sync/auth";
import { bootstrap } from "../sync/http";
import { changed } from "../sync/scheduler";

export function LoginScreen() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const db = await appDB();
      await login(db, username.trim(), password, navigator.userAgent.slice(0, 180));
      await bootstrap(db);
      changed();
    } catch (problem) {
      if (problem instanceof Offline) setError(t("loginOffline"));
      else if (problem instanceof OtherUserPending) {
        setError(t("loginOtherUser", { count: problem.count, username: problem.username }));
      } else if (problem instanceof HttpProblem) setError(t("loginFailed", { detail: problem.detail }));
      else setError(String(problem));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="page page-narrow">
      <div class="login-head">
        <h1>{t("appName")}</h1>
        <p class="muted">{t("appTagline")}</p>
      </div>
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h2 id="login-title">{t("loginTitle")}</h2>
        <label class="field">
          <span>{t("username")}</span>
          <input
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            value={username}
            onInput={(event) => setUsername((event.target as HTMLInputElement).value)}
            required
          />
        </label>
        <label class="field">
          <span>{t("password")}</span>
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(event) => setPassword((event.target as HTMLInputElement).value)}
            required
          />
        </label>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button class="button button-primary button-block" type="submit" disabled={busy}>
          {busy ? t("loggingIn") : t("loginButton")}
        </button>
      </form>
      <button
        class="button button-ghost"
        lang={lang() === "vi" ? "en" : "vi"}
        onClick={() => setLang(lang() === "vi" ? "en" : "vi")}
      >
        {t("switchToOther")}
      </button>
    </main>
  );
}

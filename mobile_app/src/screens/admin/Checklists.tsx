// /admin/checklists: the published templates and their versions; publish a YAML file, and when
// the validator refuses it, every problem with its line and column, one tap from that line.
import { useRef, useState } from "preact/hooks";
import { apiGet, apiSendRaw } from "../../api/client";
import { lang, t } from "../../i18n";
import { problemDetail } from "../../sync/auth";
import { ErrorNote, Loading, Notice, problemText, useRemote, when } from "./common";
import { checklistIssues, lineRange, type ChecklistIssue, type ChecklistTemplate, type PublishOut } from "./model";

const MAX_BYTES = 512_000;

function Templates({ templates }: { templates: ChecklistTemplate[] }) {
  if (templates.length === 0) return <p class="card">{t("admNoChecklists")}</p>;
  return (
    <ul class="list" data-testid="checklist-templates">
      {templates.map((template) => {
        const versions = [...template.versions].sort((a, b) => b.version - a.version);
        const latest = versions[0];
        return (
          <li class="card" key={template.template_key} data-testid="checklist-template" data-key={template.template_key}>
            <h3 class="card-title">{latest ? (lang() === "en" ? latest.title_en : latest.title_vi) : template.template_key}</h3>
            <p class="muted small adm-code">{template.template_key}</p>
            <table class="table adm-table">
              <caption class="visually-hidden">{t("admVersionsOf", { key: template.template_key })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("admVersion")}</th>
                  <th scope="col">{t("admPublishedAt")}</th>
                  <th scope="col">{t("admPublishedBy")}</th>
                  <th scope="col" class="adm-wide-only">
                    {t("admSha256")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {versions.map((version) => (
                  <tr key={version.id} data-testid="checklist-version" data-version={version.version}>
                    <td>{t("admVersionN", { version: version.version })}</td>
                    <td>{when(version.published_at)}</td>
                    <td>{version.published_by}</td>
                    <td class="adm-wide-only adm-code" title={version.content_sha256}>
                      {version.content_sha256.slice(0, 12)}…
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </li>
        );
      })}
    </ul>
  );
}

function Publish({ onPublished }: { onPublished: () => void }) {
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [issues, setIssues] = useState<ChecklistIssue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);

  const goToLine = (issue: ChecklistIssue) => {
    const area = editor.current;
    if (!area) return;
    const [start, end] = lineRange(area.value, issue.line);
    area.focus();
    area.setSelectionRange(Math.min(start + Math.max(0, issue.column - 1), end), end);
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
    area.scrollTop = Math.max(0, (issue.line - 3) * lineHeight);
  };

  return (
    <form
      class="card"
      noValidate
      aria-labelledby="publish-title"
      data-testid="checklist-publish"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        setNotice(null);
        setIssues([]);
        if (!text.trim()) return setError(t("admChecklistEmpty"));
        if (new Blob([text]).size > MAX_BYTES) return setError(t("admChecklistTooLarge", { kb: MAX_BYTES / 1000 }));
        setBusy(true);
        try {
          const response = await apiSendRaw("POST", "/api/v1/checklists", text, "application/yaml; charset=utf-8");
          if (response.ok) {
            const result = (await response.json()) as PublishOut;
            const values = { key: result.version.template_key, version: result.version.version };
            setNotice(t(result.outcome === "unchanged" ? "admChecklistUnchanged" : "admChecklistPublished", values));
            onPublished();
            return;
          }
          if (response.status === 422) {
            const body: unknown = await response.clone().json().catch(() => null);
            const found = checklistIssues(body);
            if (found.length) {
              setIssues(found);
              setError(t("admChecklistIssues", { count: found.length }));
              return;
            }
          }
          setError(await problemDetail(response));
        } catch (problem) {
          setError(problemText(problem));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="publish-title" class="card-title">
        {t("admPublishTitle")}
      </h2>
      <p class="muted small">{t("admPublishExplain")}</p>
      <div class="field">
        <input
          id="checklist-file"
          class="visually-hidden adm-file"
          type="file"
          accept=".yaml,.yml,text/yaml,application/yaml,text/plain"
          data-testid="checklist-file"
          onChange={async (event) => {
            const input = event.target as HTMLInputElement;
            const file = input.files?.[0];
            input.value = "";
            if (!file) return;
            if (file.size > MAX_BYTES) {
              setError(t("admChecklistTooLarge", { kb: MAX_BYTES / 1000 }));
              return;
            }
            setText(await file.text());
            setFileName(file.name);
            setIssues([]);
            setError(null);
            setNotice(null);
          }}
        />
        {/* The label is the button: the browser's own file control speaks the browser's language. */}
        <label for="checklist-file" class="button adm-file-button">
          {t("admChecklistFile")}
        </label>
      </div>
      {fileName ? (
        <p class="muted small" role="status">
          {t("admChecklistLoaded", { name: fileName })}
        </p>
      ) : null}
      <label class="field">
        <span>{t("admChecklistText")}</span>
        <textarea
          ref={editor}
          class="adm-yaml"
          rows={14}
          spellcheck={false}
          autocapitalize="none"
          wrap="off"
          value={text}
          data-testid="checklist-text"
          onInput={(event) => setText((event.target as HTMLTextAreaElement).value)}
        />
      </label>
      <ErrorNote text={error} testId="checklist-error" />
      {issues.length ? (
        <ol class="adm-issues" data-testid="checklist-issues" aria-label={t("admChecklistIssuesList")}>
          {issues.map((issue, index) => (
            <li key={index} data-testid="checklist-issue" data-line={issue.line} data-column={issue.column}>
              <button type="button" class="button button-small button-ghost adm-issue-where" onClick={() => goToLine(issue)}>
                {t("admLineColumn", { line: issue.line, column: issue.column })}
              </button>
              <span class="adm-issue-text">
                {issue.path ? <code class="adm-code">{issue.path}</code> : null} {issue.message}
              </span>
            </li>
          ))}
        </ol>
      ) : null}
      <Notice text={notice} testId="checklist-notice" />
      <button class="button button-primary" type="submit" disabled={busy}>
        {busy ? t("admPublishing") : t("admPublish")}
      </button>
    </form>
  );
}

export function ChecklistsScreen() {
  const templates = useRemote(() => apiGet<ChecklistTemplate[]>("/api/v1/checklists"), []);
  return (
    <section aria-labelledby="checklists-title">
      <h1 id="checklists-title">{t("admChecklistsTitle")}</h1>
      <div class="adm-split adm-split-even">
        <div>
          <Publish onPublished={templates.reload} />
        </div>
        <div>
          <h2>{t("admPublished")}</h2>
          <ErrorNote text={templates.error} />
          <Loading remote={templates} />
          {templates.data ? <Templates templates={templates.data} /> : null}
        </div>
      </div>
    </section>
  );
}

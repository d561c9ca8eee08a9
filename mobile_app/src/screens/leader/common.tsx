// What the leader's screens share: online reads with the server's error detail, the units of
// my part of the tree, my own profile, and files fetched with the token.
import { useEffect, useState } from "preact/hooks";
import type { components } from "../../api/schema";
import type { Me } from "../../api/types";
import { apiGet, HttpProblem, Offline } from "../../api/client";
import { catalogues, DEFAULT_TIME_ZONE, lang, pick, t, type MessageKey } from "../../i18n";
import { appDB, getKV } from "../../store/db";
import { authorizedFetch, problemDetail } from "../../sync/auth";

type S = components["schemas"];
export type UnitOut = S["UnitOut"];
export type UnitRef = S["UnitRef"];

export { DEFAULT_TIME_ZONE };

/** The text to show for a failed call: the server's own detail, or why there was no answer. */
export function problemText(problem: unknown): string {
  if (problem instanceof HttpProblem) return problem.detail;
  if (problem instanceof Offline) return t("leaderOffline");
  return problem instanceof Error ? problem.message : String(problem);
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  reload: () => void;
}

/** GET `path` (null: not yet) and keep the answer; a new path loads again. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let alive = true;
    // Never show the answer to another question while this one loads.
    setData(undefined);
    setError(null);
    apiGet<T>(path)
      .then((value) => alive && setData(() => value))
      .catch((problem) => alive && setError(problemText(problem)));
    return () => {
      alive = false;
    };
  }, [path, tick]);
  return { data, error, reload: () => setTick((value) => value + 1) };
}

let unitsRequest: Promise<UnitOut[]> | null = null;

/** The units I may see, ordered as a tree; asked once per visit of the leader's screens. */
export function useUnits(): Loaded<UnitOut[]> {
  const [data, setData] = useState<UnitOut[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    unitsRequest ??= apiGet<UnitOut[]>("/api/v1/units");
    unitsRequest
      .then((units) => alive && setData(units))
      .catch((problem) => {
        unitsRequest = null;
        if (alive) setError(problemText(problem));
      });
    return () => {
      alive = false;
    };
  }, [tick]);
  return {
    data,
    error,
    reload: () => {
      unitsRequest = null;
      setTick((value) => value + 1);
    },
  };
}

export function useMe(): Me | null | undefined {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    void appDB()
      .then((db) => getKV(db, "me"))
      .then((value) => setMe(value ?? null));
  }, []);
  return me;
}

export function unitName(unit: { name_vi: string; name_en: string } | null | undefined): string {
  return unit ? pick({ vi: unit.name_vi, en: unit.name_en }) : "—";
}

/** Units as options of a select, indented by their depth below the shallowest. */
export function unitOptions(units: UnitOut[]): Array<{ id: string; label: string }> {
  const top = Math.min(...units.map((unit) => unit.depth));
  return units.map((unit) => ({
    id: unit.id,
    label: `${"\u00a0\u00a0".repeat(Math.max(0, unit.depth - top))}${unitName(unit)} (${unit.code})`,
  }));
}

/** A message when the catalogue has one for `key`, else `fallback` (a value the server sent
 * that this version of the app does not know yet). */
export function labelOr(key: string, fallback: string): string {
  return key in catalogues[lang()] ? t(key as MessageKey) : fallback;
}

export function ErrorNote({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p class="error" role="alert" data-testid="leader-error">
      {text}
    </p>
  );
}

export function Loading() {
  return <p role="status">{t("loading")}</p>;
}

/** A file the server sends only with the token, fetched and handed to the browser: opened in a
 * new tab (PDF) or saved (exports). Returns the object URL for a fallback link. */
export async function fetchFile(path: string, mode: "open" | "download", fallbackName: string): Promise<{ url: string; name: string }> {
  const response = await authorizedFetch(await appDB(), path);
  if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
  const blob = await response.blob();
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  if (mode === "open") {
    window.open(url, "_blank", "noopener");
  } else {
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
  }
  return { url, name };
}

export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A period's two dates ("from", "to"); `onDate` gets the part changed and the value typed
 * (empty when cleared: the caller decides whether that is allowed). */
export function PeriodDates({
  period,
  onDate,
  testIdPrefix,
}: {
  period: { from: string; to: string };
  onDate: (part: "from" | "to", value: string) => void;
  testIdPrefix?: string;
}) {
  return (
    <div class="leader-dates">
      {(["from", "to"] as const).map((part) => (
        <label class="field" key={part}>
          <span>{t(part === "from" ? "periodFrom" : "periodTo")}</span>
          <input
            type="date"
            data-testid={testIdPrefix ? `${testIdPrefix}-${part}` : undefined}
            value={period[part]}
            onChange={(event) => onDate(part, (event.target as HTMLInputElement).value)}
          />
        </label>
      ))}
    </div>
  );
}

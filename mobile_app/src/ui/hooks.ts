import { useEffect, useState } from "preact/hooks";
import { onLangChange } from "../i18n";
import { onChanged } from "../sync/events";
import { appDB, type AppDB } from "../store/db";

/** The result of an IndexedDB read, read again whenever something changes (in any tab). */
export function useLive<T>(read: (db: AppDB) => Promise<T>, deps: unknown[]): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    const load = () =>
      void appDB()
        .then(read)
        .then((next) => alive && setValue(() => next));
    load();
    const stop = onChanged(load);
    return () => {
      alive = false;
      stop();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return value;
}

/** Re-render when the language changes. */
export function useLang(): void {
  const [, setTick] = useState(0);
  useEffect(() => onLangChange(() => setTick((tick) => tick + 1)), []);
}

export function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, []);
  return online;
}

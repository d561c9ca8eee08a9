import { useEffect, useState } from "preact/hooks";
import { onLangChange } from "../i18n";
import { onChanged } from "../sync/events";
import { appDB, type AppDB } from "../store/db";

/** The result of an IndexedDB read, read again whenever something changes (in any tab). */
export function useLive<T>(read: (db: AppDB) => Promise<T>, deps: unknown[]): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    // Reads started one after the other can finish in the other order: a read shows only if none
    // started after it has shown, or a screen could go back to what it held before a change.
    let started = 0;
    let shown = 0;
    const load = () => {
      const mine = ++started;
      void appDB()
        .then(read)
        .then((next) => {
          if (!alive || mine < shown) return;
          shown = mine;
          setValue(() => next);
        });
    };
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

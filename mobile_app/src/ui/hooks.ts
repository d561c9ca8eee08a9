import { useEffect, useRef, useState } from "preact/hooks";
import { onLangChange } from "../i18n";
import { onChanged } from "../sync/events";
import { appDB, type AppDB } from "../store/db";
import { keepUnchanged } from "./keep";

/** The result of an IndexedDB read, read again whenever something changes (in any tab). What a
 * read finds unchanged keeps the objects shown before (`keepUnchanged`): a read that finds
 * nothing new re-renders nothing, and one that finds one answer changed hands the other items'
 * cards the very answers they hold. */
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
          setValue((before) => keepUnchanged(before, next));
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

/** `value`, keeping the objects of the one this returned at the last render wherever they are
 * equal (`keepUnchanged`): for what a render works out afresh each time from live data. */
export function useKept<T>(value: T): T {
  const kept = useRef(value);
  kept.current = keepUnchanged(kept.current, value);
  return kept.current;
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

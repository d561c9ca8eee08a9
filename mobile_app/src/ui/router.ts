// A router of a few lines: paths under /app/, history.pushState, and a re-render on change.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/app";
const listeners = new Set<() => void>();

export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
  return path || "/";
}

export function navigate(path: string, replace = false): void {
  const url = `${BASE}${path}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((listener) => listener());
  const hash = path.split("#")[1];
  // After the new screen has rendered: to the item a link named, or to the top.
  setTimeout(() => {
    const target = hash ? document.getElementById(hash) : null;
    if (target) {
      target.scrollIntoView({ block: "start" });
      target.querySelector<HTMLElement>("button, input, textarea, select")?.focus({ preventScroll: true });
    } else window.scrollTo(0, 0);
  }, 30);
}

if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => listeners.forEach((listener) => listener()));
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const listener = () => setPath(currentPath());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return path;
}

/** `/inspections/:id/sections/:key` against a path → the parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < want.length; index += 1) {
    if (want[index].startsWith(":")) params[want[index].slice(1)] = decodeURIComponent(have[index]);
    else if (want[index] !== have[index]) return null;
  }
  return params;
}

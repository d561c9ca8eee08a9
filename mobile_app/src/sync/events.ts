// "Something changed in IndexedDB": screens re-read what they show. A BroadcastChannel carries
// it to the other tabs, so two open tabs never show different pending counts for long.
type Listener = () => void;
const listeners = new Set<Listener>();
const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("spotcheck");
channel?.addEventListener("message", () => listeners.forEach((listener) => listener()));

export function onChanged(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyChanged(): void {
  listeners.forEach((listener) => listener());
  channel?.postMessage("changed");
}

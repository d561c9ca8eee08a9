// Web Locks are shared by every tab and the service worker of the origin: one pusher, one
// refresher at a time. Where a browser lacks them, a promise chain serialises this context.
const chains = new Map<string, Promise<unknown>>();

export async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks?.request) {
    return locks.request(name, { mode: "exclusive" }, work) as Promise<T>;
  }
  const previous = chains.get(name) ?? Promise.resolve();
  const next = previous.then(work, work);
  chains.set(
    name,
    next.catch(() => undefined),
  );
  return next;
}

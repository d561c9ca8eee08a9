/// <reference lib="webworker" />
// The service worker: the app shell is precached so the app opens with no network (also after
// a reboot), every navigation under /app/ gets the shell, and Background Sync pushes the queue
// when the network returns even if the app is closed. API calls are never cached here: what
// the phone knows is in IndexedDB, written by the app.
import { createHandlerBoundToURL, precacheAndRoute, cleanupOutdatedCaches } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { openAppDB } from "./store/db";
import { pushOnce } from "./sync/engine";
import { httpTransport } from "./sync/http";

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL("/app/index.html"), { allowlist: [/^\/app\//] }));

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

interface SyncEvent extends ExtendableEvent {
  tag: string;
}

self.addEventListener("sync", ((event: SyncEvent) => {
  if (event.tag !== "spotcheck-push") return;
  event.waitUntil(
    (async () => {
      const db = await openAppDB();
      try {
        const report = await pushOnce(db, httpTransport(db));
        for (const client of await self.clients.matchAll()) {
          client.postMessage({ type: "spotcheck-pushed", outcome: report.outcome });
        }
        // Throwing asks the browser to fire the sync again later.
        if (report.outcome === "offline" || report.outcome === "failed") throw new Error(report.outcome);
      } finally {
        db.close();
      }
    })(),
  );
}) as EventListener);

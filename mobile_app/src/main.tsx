import { render } from "preact";
import { App } from "./app";
import { lang } from "./i18n";
import { startScheduler } from "./sync/scheduler";
import "./styles.css";

document.documentElement.lang = lang();
const root = document.getElementById("root")!;
root.textContent = ""; // the "loading" placeholder of index.html
render(<App />, root);
document.documentElement.dataset.ready = "true";
startScheduler();

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  // The worker caches the shell so the app opens with no network, also after a reboot.
  void navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}

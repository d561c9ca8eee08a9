"""The browser fixtures work: a live demo server, phones that keep their storage across a reboot and
lose the network in airplane mode, screenshots, and an accessibility check that can fail."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import (
    CHROME_UI_FEATURES_OFF,
    AxeViolations,
    LiveServer,
    PhoneFactory,
    Screenshots,
)

# The phone's own fixture (its profile, its storage across a reboot, airplane mode) works the same
# whatever database the live server has behind it: those tests run in one pass, the PostgreSQL
# one, where fewer browser modules run. Only the live server itself is checked on both engines.
phone_fixture_test = pytest.mark.postgres_only


def test_live_server_serves_the_demo_on_its_own_database(live_server: LiveServer) -> None:
    assert live_server.api("GET", "/health").json() == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
    }

    token = live_server.login("admin")
    inspection_id = live_server.demo_open_inspection["id"]
    inspection = live_server.api("GET", f"/api/v1/inspections/{inspection_id}", token=token)
    assert inspection.status_code == 200, inspection.text
    assert inspection.json()["unit"]["code"] == "TN-PD"

    verified = live_server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr


@phone_fixture_test
def test_a_phone_opens_the_schema_where_the_open_plan_is(
    live_server: LiveServer, phone_context: PhoneFactory
) -> None:
    page = phone_context().page

    response = page.goto("/schema", wait_until="domcontentloaded")

    assert response is not None and response.ok
    assert "Spotcheck API" in page.title()
    seen = page.evaluate(
        """() => new Promise((resolve, reject) => navigator.geolocation.getCurrentPosition(
            (position) => resolve({
                latitude: position.coords.latitude, longitude: position.coords.longitude,
                language: navigator.language, width: innerWidth, touch: navigator.maxTouchPoints,
                utcOffsetMinutes: -new Date().getTimezoneOffset(),
            }),
            (error) => reject(new Error(error.message)),
        ))"""
    )
    unit = live_server.demo_open_inspection["unit"]
    assert seen.pop("touch") > 0
    assert seen == {
        "latitude": unit["latitude"],
        "longitude": unit["longitude"],
        "language": "vi-VN",
        "width": 390,
        "utcOffsetMinutes": 7 * 60,
    }


def test_axe_check_reports_a_missing_alt_as_critical(
    browser: Browser, axe_check: Callable[[Page], AxeViolations]
) -> None:
    page = browser.new_page()
    page.set_content(
        "<main><h1>x</h1><img src=x><p style='color:#bbb;background:#fff'>chữ nhạt</p></main>"
    )

    violations = axe_check(page)

    assert violations.rules().get("image-alt") == "critical", violations.report()
    assert "img" in violations.report()
    # A serious rule runs too (only the rules that cannot reach serious are left out).
    assert violations.rules().get("color-contrast") == "serious", violations.report()

    page.set_content(
        "<html lang=vi><head><title>x</title></head>"
        "<body><main><h1>x</h1><img src=x alt='Ảnh'></main></body></html>"
    )
    assert not axe_check(page), axe_check(page).report()
    page.close()


def test_chromium_keeps_playwrights_features_off_and_draws_no_omnibox_pages(
    browser: Browser,
) -> None:
    """CHROMIUM_ARGS' --disable-features replaces Playwright's own (Chromium keeps the last one):
    every feature Playwright's command line turns off must still be off, with the omnibox's."""
    page = browser.new_page()
    page.goto("chrome://version/?show-variations-cmd")
    rows = dict(
        line.split("\t", 1) for line in page.inner_text("body").splitlines() if "\t" in line
    )
    given = [
        set(value.split(","))
        for value in re.findall(r"--disable-features=(\S+)", rows["Command Line"])
    ]
    effective = re.search(r'--disable-features="([^"]*)"', rows["Command-line Variations"])
    assert len(given) == 2 and effective, rows  # Playwright's, then CHROMIUM_ARGS'
    assert given[0] | set(CHROME_UI_FEATURES_OFF) <= set(effective.group(1).split(","))
    session = browser.new_browser_cdp_session()
    targets = [target["url"] for target in session.send("Target.getTargets")["targetInfos"]]
    assert not [url for url in targets if "top-chrome" in url], targets
    session.detach()
    page.close()


def test_screenshots_are_numbered_per_test(browser: Browser, shot: Screenshots) -> None:
    page = browser.new_page()
    page.set_content("<h1>Đăng nhập</h1>")

    first = shot(page, "login")
    second = shot(page, "after login")

    assert first.parent.name == "test_screenshots_are_numbered_per_test"
    assert (first.name, second.name) == ("01-login.png", "02-after-login.png")
    assert first.read_bytes().startswith(b"\x89PNG")
    page.close()


@phone_fixture_test
def test_a_phone_keeps_its_storage_across_a_reopen(phone_context: PhoneFactory) -> None:
    phone = phone_context(reboots=True)
    phone.page.goto("/health")
    phone.page.evaluate(
        """async () => {
            await new Promise((resolve, reject) => {
                const opening = indexedDB.open("smoke", 1);
                opening.onupgradeneeded = () => opening.result.createObjectStore("kv");
                opening.onerror = () => reject(opening.error);
                opening.onsuccess = () => {
                    const writing = opening.result.transaction("kv", "readwrite");
                    writing.objectStore("kv").put("đã lưu", "answer");
                    writing.oncomplete = () => { opening.result.close(); resolve(); };
                    writing.onerror = () => reject(writing.error);
                };
            });
            const cache = await caches.open("smoke");
            await cache.put("/smoke", new Response("cached"));
        }"""
    )

    page = phone.reopen()
    page.goto("/health")

    kept = page.evaluate(
        """async () => {
            const stored = await new Promise((resolve, reject) => {
                const opening = indexedDB.open("smoke", 1);
                opening.onerror = () => reject(opening.error);
                opening.onsuccess = () => {
                    const reading = opening.result.transaction("kv").objectStore("kv").get("answer");
                    reading.onsuccess = () => resolve(reading.result);
                    reading.onerror = () => reject(reading.error);
                };
            });
            const cached = await (await caches.open("smoke")).match("/smoke");
            return [stored, cached && await cached.text()];
        }"""
    )
    assert kept == ["đã lưu", "cached"]


@phone_fixture_test
def test_airplane_mode_fails_fetches_and_outlasts_a_reopen(phone_context: PhoneFactory) -> None:
    phone = phone_context(reboots=True)
    page = phone.page
    page.goto("/health")
    fetch_health = """() => fetch("/health", {cache: "no-store"}).then(
        (response) => response.status, (error) => error.name)"""

    phone.set_offline(True)
    assert page.evaluate(fetch_health) == "TypeError"
    assert page.evaluate("() => navigator.onLine") is False

    page = phone.reopen()
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto("/health")

    phone.set_offline(False)
    page.goto("/health")
    assert page.evaluate(fetch_health) == 200


# A page that installs a service worker which caches the page and fetches /probe from the network.
OFFLINE_SITE = {
    "index.html": "<!doctype html><title>sw</title><h1>trang</h1>"
    "<script>navigator.serviceWorker.register('/sw.js')</script>",
    "sw.js": """
        self.addEventListener("install", (event) => {
            event.waitUntil(caches.open("site").then((cache) => cache.add("/index.html")));
            self.skipWaiting();
        });
        self.addEventListener("activate", (event) => event.waitUntil(clients.claim()));
        self.addEventListener("fetch", (event) => {
            if (new URL(event.request.url).pathname === "/probe") {
                event.respondWith(fetch(event.request).then(
                    () => new Response("network"), () => new Response("no network")));
            } else {
                event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
            }
        });""",
    "probe": "ok",
}
PROBE = "() => fetch('/probe').then((response) => response.text())"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_site(directory: Path, files: dict[str, str]) -> Iterator[str]:
    for name, text in files.items():
        (directory / name).write_text(text)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@phone_fixture_test
def test_airplane_mode_cuts_off_a_service_worker_started_after_a_reopen(
    phone_context: PhoneFactory, tmp_path: Path
) -> None:
    with static_site(tmp_path, OFFLINE_SITE) as site:
        phone = phone_context(reboots=True)
        page = phone.page
        page.goto(f"{site}/index.html")
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert page.evaluate(PROBE) == "network"

        phone.set_offline(True)
        assert page.evaluate(PROBE) == "no network"

        page = phone.reopen()
        page.goto(f"{site}/index.html")  # from the service worker's cache
        assert page.inner_text("h1") == "trang"
        assert page.evaluate(PROBE) == "no network"

        phone.set_offline(False)
        assert page.evaluate(PROBE) == "network"

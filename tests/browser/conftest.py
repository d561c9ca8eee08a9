"""Fixtures for browser tests: a live server on its own demo database, headless Chromium, phone
profiles that survive a reboot, numbered screenshots and an axe accessibility check.

Write browser tests as plain `def` tests. Playwright's sync API drives its own event loop and
refuses to run inside the one anyio gives `async def` tests. Every test in this folder is marked
`browser`, so `pytest -m "not browser"` leaves them out.

    def test_inspector_sees_the_open_plan(live_server, phone_context, shot, axe_check):
        phone = phone_context(reboots=True)  # at the open plan's unit, online; can reboot
        page = phone.page
        page.goto("/app/")  # relative to live_server.url
        shot(page, "login")  # tests/browser/artifacts/<test>/01-login.png
        violations = axe_check(page)
        assert not violations, violations.report()
        phone.set_offline(True)  # airplane mode; stays on across reopen()
        page = phone.reopen()  # a reboot: same IndexedDB, caches and service worker
        token = live_server.login("admin")
        inspection = live_server.api("GET", f"/api/v1/inspections/{id}", token=token).json()
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from server.demo import DEMO_USERS
from tests import engines
from tests import live_server as live_server_process
from tests.conftest import ROOT, engine_name, run_cli
from tests.live_server import ServerProcess

CHROMIUM = Path(os.environ.get("SPOTCHECK_TEST_CHROMIUM", "/usr/bin/chromium"))
# No sandbox: the tests run as root in containers. The rest keeps Chromium from calling home, so a
# test never waits on (or is changed by) the network outside 127.0.0.1.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Chromium draws its own window around every page even headless, and Chromium 156 builds that
# window's address-bar popups as web pages (chrome://omnibox-popup.top-chrome/, two per window),
# each in a renderer of its own: about 0.55 core-seconds for every context or phone a test opens,
# a third of the browser tests' renderer CPU, for a popup no test ever shows. Chromium keeps only
# the last --disable-features it is given, so this one repeats the features Playwright turns off
# (Playwright 1.65's list); test_smoke checks that every one of those stays off.
CHROME_UI_FEATURES_OFF = [
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "WebUIOmniboxFullPopup",
    "PreloadTopChromeWebUI",
]
PLAYWRIGHT_FEATURES_OFF = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
]
CHROMIUM_ARGS.append(
    "--disable-features=" + ",".join(PLAYWRIGHT_FEATURES_OFF + CHROME_UI_FEATURES_OFF)
)
INSTALL_CHROMIUM = (
    "apt-get install -y --no-install-recommends chromium (Debian), or point "
    "SPOTCHECK_TEST_CHROMIUM at another Chromium"
)
AXE_SCRIPT = ROOT / "mobile_app" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DEMO_INSPECTOR = "kiemtra1"
DEMO_PASSWORDS = {user.username: user.password for user in DEMO_USERS}
STARTUP_TIMINGS = pytest.StashKey[dict[str, float]]()
T = TypeVar("T")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    timings = config.stash.get(STARTUP_TIMINGS, None)
    if timings:
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
        terminalreporter.write_line(f"live server ({engine_name()}) came up in: {steps}")


# --- the live server ----------------------------------------------------------------------------


@dataclass
class LiveServer:
    """`spotcheck serve` in a subprocess, on a database of its own loaded with the demo."""

    server: ServerProcess
    database_url: str
    startup_seconds: dict[str, float] = field(default_factory=dict)

    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def env(self) -> dict[str, str]:
        """The SPOTCHECK_* variables the server runs with: `run_cli(..., env=live_server.env)`."""
        return self.server.env

    @property
    def app_url(self) -> str:
        return f"{self.url}/app/"

    def api(
        self, method: str, path: str, token: str | None = None, json: Any = None
    ) -> httpx.Response:
        """One call to the server's HTTP API, as a desk client would make it."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return self._client.request(method, path, headers=headers, json=json)
        except httpx.TransportError:
            self.fail_if_dead()
            raise

    def login(self, username: str, password: str | None = None) -> str:
        """An access token; demo users need no password (`login("admin")`)."""
        response = self.api(
            "POST",
            "/api/v1/auth/login",
            json={
                "username": username,
                "password": password or DEMO_PASSWORDS[username],
                "device_name": "browser-tests",
            },
        )
        assert response.status_code == 200, f"login as {username}: {response.text}"
        return str(response.json()["access_token"])

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`spotcheck …` against the server's database, e.g. `cli("audit", "verify")`."""
        return run_cli(*args, env=self.env, stdin=stdin)

    @cached_property
    def demo_open_inspection(self) -> dict[str, Any]:
        """The inspection of the demo's open plan (Phương Định), assigned to kiemtra1, as the
        inspector's list showed it the first time it was asked for."""
        token = self.login(DEMO_INSPECTOR)
        response = self.api("GET", "/api/v1/inspections", token=token)
        assert response.status_code == 200, response.text
        open_ones = [
            inspection
            for inspection in response.json()
            if inspection["unit"]["code"] == "TN-PD" and inspection["signed_at"] is None
        ]
        assert len(open_ones) == 1, f"expected one open demo inspection: {response.json()}"
        return cast(dict[str, Any], open_ones[0])

    def stderr_tail(self, characters: int = 6000) -> str:
        return self.server.stderr_tail(characters)

    def fail_if_dead(self) -> None:
        self.server.fail_if_dead()


def _run_outside_playwright(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: in this one, Playwright's loop may be running."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="package")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The real server on a fresh database of its own (not the suite's, whose tables are emptied
    between tests): a new SQLite file, or on the PostgreSQL pass a new PostgreSQL database, dropped
    at the end. Migrated and loaded with the demo before it serves. One for all of tests/browser,
    stopped when its last test is done, so a crash is reported there and not at the end of the run."""
    timings: dict[str, float] = {}
    workdir = tmp_path_factory.mktemp("live-server")
    started = time.perf_counter()
    if engine_name() == "postgres":
        database_url = _run_outside_playwright(engines.create())
        timings["create database"] = time.perf_counter() - started
    else:
        database_url = f"sqlite:///{workdir / 'spotcheck.sqlite3'}"
    try:
        # The server's own process migrates and loads the demo before it serves: a process for
        # them would import the server once more.
        serving = time.perf_counter()
        with live_server_process.serving(
            database_url, workdir, first=("migrate", "+", "demo")
        ) as process:
            timings["migrate + demo + serve"] = time.perf_counter() - serving
            timings["total"] = time.perf_counter() - started
            request.config.stash[STARTUP_TIMINGS] = timings
            server = LiveServer(server=process, database_url=database_url, startup_seconds=timings)
            try:
                yield server
                server.fail_if_dead()
            finally:
                server._client.close()
    finally:
        if engine_name() == "postgres":
            _run_outside_playwright(engines.drop(database_url))


# --- Chromium -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chromium:
    executable: Path
    major_version: str


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    """Debian's Chromium; `playwright install` cannot download browsers here. Missing, it skips
    the browser tests, except under CI=true, where it fails them."""
    if not os.access(CHROMIUM, os.X_OK):
        _fail_in_ci_else_skip(f"Chromium is not installed at {CHROMIUM}: {INSTALL_CHROMIUM}.")
    result = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    version = re.search(r"(\d+)\.\d+\.\d+\.\d+", result.stdout)
    if result.returncode != 0 or version is None:
        _fail_in_ci_else_skip(f"`{CHROMIUM} --version` failed: {result.stdout}{result.stderr}")
        raise AssertionError("unreachable")
    return Chromium(executable=CHROMIUM, major_version=version.group(1))


def _fail_in_ci_else_skip(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package", name="playwright")
def _playwright() -> Iterator[Playwright]:
    """Package scope, not session: while the sync driver is alive its event loop counts as running
    in this thread, and every `async def` test after it would fail ("Cannot run the event loop
    while another loop is running"). It stops when the last test of tests/browser is done."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, chromium: Chromium) -> Iterator[Browser]:
    """Headless Chromium for pages that need no phone profile (`browser.new_page()`)."""
    launched = playwright.chromium.launch(
        executable_path=chromium.executable, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


# --- phones -------------------------------------------------------------------------------------


def phone_options(chromium: Chromium) -> dict[str, Any]:
    """A mid-range Android phone in Vietnam, as Chrome on it reports itself."""
    return {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{chromium.major_version}.0.0.0 Mobile Safari/537.36"
        ),
        "locale": "vi-VN",
        "timezone_id": "Asia/Ho_Chi_Minh",
        "permissions": ["geolocation"],
        "service_workers": "allow",
    }


def _cut_off_service_worker(route: Route) -> None:
    """Playwright's offline emulation misses service workers registered before a reopen: their
    fetches still reach the network, whether airplane mode was on at launch or switched on later.
    So their requests are failed here, as the network would fail them (microsoft/playwright#2311;
    seen with Playwright 1.65.2 and Chromium 156; test_smoke checks it)."""
    if route.request.service_worker is not None:
        route.abort("internetdisconnected")
    else:
        route.fallback()


class Phone:
    """One phone. With `reboots=True` it is a Chromium profile on disk, a browser of its own, so
    IndexedDB, Cache Storage and the service worker survive `reopen()` the way they survive a
    phone's reboot. Without, it is a context of the shared browser: the same profile options,
    storage and service worker for as long as it lives, and no Chromium to launch (a launch costs
    one to two and a half seconds on the test machine, a context a few hundredths). Airplane mode
    and location are the phone's, not the browser's: they carry over a reopen too."""

    def __init__(
        self,
        *,
        browser_type: BrowserType,
        browser: Browser | None,
        user_data_dir: Path,
        launch_options: dict[str, Any],
        options: dict[str, Any],
        latitude: float,
        longitude: float,
    ) -> None:
        self.user_data_dir = user_data_dir
        self.offline = False
        self.latitude, self.longitude = latitude, longitude
        self._browser_type = browser_type
        self._browser = browser
        self._launch_options = launch_options
        self._options = options
        self._context: BrowserContext | None = None
        self._launch()

    @property
    def reboots(self) -> bool:
        return self._browser is None

    def _launch(self) -> None:
        options = {
            **self._options,
            "geolocation": {"latitude": self.latitude, "longitude": self.longitude},
            "offline": self.offline,
        }
        if self._browser is None:
            self._context = self._browser_type.launch_persistent_context(
                self.user_data_dir, **self._launch_options, **options
            )
        else:
            self._context = self._browser.new_context(**options)
        if self.offline:
            self._context.route("**/*", _cut_off_service_worker)

    @property
    def context(self) -> BrowserContext:
        if self._context is None:
            raise RuntimeError("this phone is closed; reopen() it first")
        return self._context

    @property
    def page(self) -> Page:
        """The open tab (a fresh profile starts with one blank tab)."""
        pages = self.context.pages
        return pages[0] if pages else self.context.new_page()

    def new_page(self) -> Page:
        return self.context.new_page()

    def set_offline(self, offline: bool) -> None:
        """Airplane mode on or off, for the pages and the service worker alike. While it is on,
        Chromium's HTTP cache is off too (Playwright's routing), so what still works offline is
        what the app stored itself."""
        if offline == self.offline:
            return
        self.offline = offline
        self.context.set_offline(offline)
        if offline:
            self.context.route("**/*", _cut_off_service_worker)
        else:
            self.context.unroute("**/*", _cut_off_service_worker)

    def set_location(self, latitude: float, longitude: float) -> None:
        self.latitude, self.longitude = latitude, longitude
        self.context.set_geolocation({"latitude": latitude, "longitude": longitude})

    def reopen(self) -> Page:
        """Close the browser and start it again on the same profile; returns the new blank tab.
        Pages from before are gone: navigate the returned one. Only for a phone made with
        `phone_context(reboots=True)`."""
        if not self.reboots:
            raise RuntimeError("this phone has no profile on disk: make it with reboots=True")
        self.close()
        self._launch()
        return self.page

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None


PhoneFactory = Callable[..., Phone]


@pytest.fixture
def phone_context(
    playwright: Playwright,
    chromium: Chromium,
    browser: Browser,
    live_server: LiveServer,
    tmp_path: Path,
) -> Iterator[PhoneFactory]:
    """`phone_context(latitude=None, longitude=None, reboots=False, **options) -> Phone`: a new
    phone, standing at the demo open plan's unit unless told where; `options` override the
    phone's context options (e.g. `locale="en-US"`). Relative URLs go to the live server. Only a
    phone made with `reboots=True` can be `reopen()`ed: it is a browser of its own on a profile
    on disk, slower to start; the others are contexts of the shared browser."""
    phones: list[Phone] = []

    def new_phone(
        latitude: float | None = None,
        longitude: float | None = None,
        reboots: bool = False,
        **options: Any,
    ) -> Phone:
        if latitude is None or longitude is None:
            unit = live_server.demo_open_inspection["unit"]
            latitude, longitude = unit["latitude"], unit["longitude"]
        phone = Phone(
            browser_type=playwright.chromium,
            browser=None if reboots else browser,
            user_data_dir=tmp_path / f"phone-{len(phones) + 1}",
            launch_options={
                "executable_path": chromium.executable,
                "headless": True,
                "args": CHROMIUM_ARGS,
            },
            options={"base_url": live_server.url, **phone_options(chromium), **options},
            latitude=latitude,
            longitude=longitude,
        )
        phones.append(phone)
        return phone

    yield new_phone
    for phone in phones:
        phone.close()


class Sessions:
    """Who logged in through the login screen, kept for the next phone of the same user in this
    run: cookies, local storage and IndexedDB (where the app keeps its session) as Playwright's
    storage state. A phone made with `phone_context(**sessions.options("lanhdao.tinh"))` opens
    the app already logged in, the way a second phone would after a login on the first; the
    login screen itself is still used at least once per user (the first phone), and by every
    test run alone. For users who only read and act through the API (leaders, admins): an
    inspector's phone is a device of its own, with its own queue, and always logs in itself.
    Kept for the browser package only (one pass, a few minutes): the access token lasts 15."""

    def __init__(self) -> None:
        self._states: dict[str, Any] = {}

    def __contains__(self, username: str) -> bool:
        return username in self._states

    def options(self, username: str) -> dict[str, Any]:
        """Context options for a phone already logged in as `username` ({} until one did)."""
        return {"storage_state": self._states[username]} if username in self._states else {}

    def keep(self, username: str, page: Page) -> None:
        """After a login through the screen on `page`, keep its session for the next phone."""
        self._states[username] = page.context.storage_state(indexed_db=True)


@pytest.fixture(scope="package")
def sessions() -> Sessions:
    return Sessions()


# --- evidence: screenshots and accessibility ----------------------------------------------------


class Screenshots:
    """`shot(page, "login")` saves what the screen shows as artifacts/<test>/01-login.png and
    returns it: the viewport, where the test's last step left it (Playwright scrolls to what it
    clicks or fills), the way the phone's user sees it.

    The viewport, not the whole page: nothing is asserted on a screenshot (the checks are on the
    page itself), and a whole leader's overview is 4,500 CSS pixels tall, which took 0.3 to 0.45 s
    to encode against 0.05 s for the screen (load average 15 on two cores). One image pixel per CSS
    pixel (`scale="css"`), not per device pixel: a phone's profile has a device scale factor of 3,
    and the layout and the texts a screenshot is kept for show at 1×."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.taken = 0

    def __call__(self, page: Page, step: str) -> Path:
        self.taken += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.taken:02d}-{_file_name(step)}.png"
        page.screenshot(path=path, scale="css")
        return path


def _file_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-") or "step"


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    # Per engine: the two passes of `make test` run at the same time.
    directory = ARTIFACTS / engine_name() / _file_name(request.node.name)
    shutil.rmtree(directory, ignore_errors=True)  # last run's pictures would mix with these
    return Screenshots(directory)


@pytest.fixture
def shot(screenshots: Screenshots) -> Screenshots:
    """The same as `screenshots`, under the short name tests read well with."""
    return screenshots


@dataclass(frozen=True)
class AxeViolation:
    rule: str
    impact: str
    help: str
    help_url: str
    nodes: list[str]

    def __str__(self) -> str:
        lines = [f"{self.impact} {self.rule}: {self.help} ({self.help_url})"]
        lines += [f"    {node}" for node in self.nodes]
        return "\n".join(lines)


class AxeViolations(list[AxeViolation]):
    def report(self) -> str:
        return "\n".join(str(violation) for violation in self)

    def rules(self) -> dict[str, str]:
        """Rule id → impact, for assertions on which rules failed."""
        return {violation.rule: violation.impact for violation in self}


def _node_description(node: dict[str, Any]) -> str:
    # A target is a CSS selector, or a list of them when the node is inside frames or shadow roots.
    target = " >> ".join(
        " ".join(part) if isinstance(part, list) else str(part) for part in node["target"]
    )
    html = " ".join(str(node.get("html", "")).split())
    return f"{target}   {html[:160]}"


# The page's violations, or null while axe is not on it (after each navigation). Only the
# violations come back: the passes, the incomplete and the inapplicable rules (about 60 KB on the
# leader's overview) were serialised and sent across for nothing. The rules whose impact is minor
# or moderate do not run: axe gives every violation of a rule that has an impact that impact (its
# _finalizeRuleResult), so they can never report the serious or critical violations that are all
# the check looks at. A fifth of a run's CPU (0.19 → 0.15 s on a checklist section, first run after
# a load). Should a later axe keep its rules elsewhere, all of them run, as before.
AXE_RUN = """() => {
    if (typeof window.axe !== "object") return null;
    const rules = {};
    for (const rule of (axe._audit && axe._audit.rules) || []) {
        if (rule.impact === "minor" || rule.impact === "moderate") rules[rule.id] = {enabled: false};
    }
    return axe.run(document, {resultTypes: ["violations"], rules}).then((results) => results.violations);
}"""


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"axe-core is not installed ({AXE_SCRIPT} is missing): run `npm ci` in mobile_app/.",
            pytrace=False,
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page) -> AxeViolations:
    """Serious and critical axe-core violations on the page as it is now."""
    violations = page.evaluate(AXE_RUN)
    if violations is None:
        # axe itself, then the run, in one call. Evaluated through the DevTools protocol: the
        # app's CSP (script-src 'self') rightly blocks the inline <script> that add_script_tag
        # would insert.
        violations = page.evaluate(f"{_axe_source()}\n;({AXE_RUN})()")
    return AxeViolations(
        AxeViolation(
            rule=violation["id"],
            impact=violation["impact"],
            help=violation["help"],
            help_url=violation["helpUrl"],
            nodes=[_node_description(node) for node in violation["nodes"]],
        )
        for violation in violations
        if violation["impact"] in ("serious", "critical")
    )


@pytest.fixture
def axe_check() -> Callable[[Page], AxeViolations]:
    """`axe_check(page)`: the page's serious and critical violations; empty means it passed.
    Assert with `assert not violations, violations.report()` to see each rule and node."""
    return axe_violations

"""The phone app's budget, measured in Chromium on a throttled phone profile.

- first load: the gzipped JS + CSS that index.html pulls in (the budget is 150 KB), and what the
  browser really transferred for them;
- time to interactive: from navigation to the first usable screen (the app's
  `spotcheck-interactive` mark), cold cache, with 4× CPU slowdown and a 1.6 Mbps / 150 ms network,
  against a baseline in the same run: a bare HTML page from the same server on the same profile
  (what the network and the browser cost before any app code);
- the offline start: a returning inspector opening the app with no network (service worker and
  IndexedDB), same profile.

Traffic goes to a server this benchmark starts on 127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "mobile_app" / "dist"
CHROMIUM = Path(os.environ.get("SPOTCHECK_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BUDGET_KB = 150
TTI_BUDGET_S = 3.0
SAMPLES = 5
CPU_SLOWDOWN = 4
NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
BASELINE_PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>baseline</title></head>
<body><p>Spotcheck</p><script>performance.mark("spotcheck-interactive")</script></body></html>
"""


def first_load_files() -> list[Path]:
    """The scripts and stylesheets index.html loads before the app can run."""
    html = (DIST / "index.html").read_text(encoding="utf-8")
    names = re.findall(r'(?:src|href)="/app/(assets/[^"]+\.(?:js|css))"', html)
    return [DIST / name for name in names]


def gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(
    workdir: Path, app_dir: Path
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    import httpx

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SPOTCHECK_ENVIRONMENT": "test",
        "SPOTCHECK_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "SPOTCHECK_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "SPOTCHECK_MEDIA_DIR": str(workdir / "media"),
        "SPOTCHECK_PUBLIC_BASE_URL": url,
        "SPOTCHECK_APP_DIR": str(app_dir),
    }
    for command in (["migrate"], ["demo"]):
        subprocess.run(
            [sys.executable, "-m", "server.cli", *command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url, env
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the benchmark server did not come up within 60 s")


def _throttled_page(browser: Any, throttle: bool = True) -> tuple[Any, Any, Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    page = context.new_page()
    session = context.new_cdp_session(page)
    if throttle:
        session.send("Network.enable")
        session.send("Network.emulateNetworkConditions", NETWORK)
        session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page, session


def _interactive_seconds(page: Any) -> float:
    page.wait_for_function(
        "performance.getEntriesByName('spotcheck-interactive').length > 0", timeout=60_000
    )
    mark = page.evaluate("performance.getEntriesByName('spotcheck-interactive')[0].startTime")
    return float(mark) / 1000


def _transferred_kb(page: Any) -> float:
    entries = page.evaluate(
        "performance.getEntriesByType('resource').filter(e => /\\.(js|css)$/.test(e.name))"
        ".map(e => e.transferSize)"
    )
    return round(sum(entries) / 1024, 1)


def bench_app() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not (DIST / "index.html").exists():
        raise RuntimeError("mobile_app/dist is missing: run `make app` first")
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    files = first_load_files()
    first_load = {path.name: round(gzip_kb(path), 1) for path in files}
    first_load_total = round(sum(first_load.values()), 1)

    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        app_dir = workdir / "dist"
        shutil.copytree(DIST, app_dir)
        (app_dir / "baseline.html").write_text(BASELINE_PAGE, encoding="utf-8")
        process, url, _env = _start_server(workdir, app_dir)
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                app_samples: list[float] = []
                baseline_samples: list[float] = []
                transferred: list[float] = []
                for _ in range(SAMPLES):  # interleaved, so both see the same machine
                    context, page, _ = _throttled_page(browser)
                    page.goto(f"{url}/app/", wait_until="commit")
                    app_samples.append(_interactive_seconds(page))
                    page.wait_for_load_state("load")
                    transferred.append(_transferred_kb(page))
                    context.close()
                    context, page, _ = _throttled_page(browser)
                    page.goto(f"{url}/app/baseline.html", wait_until="commit")
                    baseline_samples.append(_interactive_seconds(page))
                    context.close()

                offline_samples = _offline_starts(browser, url)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=15)

    app_median = statistics.median(app_samples)
    baseline_median = statistics.median(baseline_samples)
    return {
        "name": "app",
        "what": (
            "phone app first load (gzipped JS+CSS) and time to interactive on a throttled "
            f"profile (CPU ×{CPU_SLOWDOWN}, 1.6 Mbps / 150 ms), cold cache, vs a bare HTML page "
            "from the same server on the same profile"
        ),
        "first_load_kb_gzip": first_load_total,
        "first_load_files_kb_gzip": first_load,
        "first_load_kb_transferred_median": statistics.median(transferred),
        "first_load_budget_kb": BUDGET_KB,
        "within_first_load_budget": first_load_total <= BUDGET_KB,
        "project_median_s": round(app_median, 3),
        "baseline_median_s": round(baseline_median, 3),
        "ratio_project_over_baseline": round(app_median / baseline_median, 3),
        "interactive_budget_s": TTI_BUDGET_S,
        "within_interactive_budget": app_median < TTI_BUDGET_S,
        "interactive_samples_s": [round(sample, 3) for sample in app_samples],
        "offline_start_median_s": round(statistics.median(offline_samples), 3),
        "offline_start_samples_s": [round(sample, 3) for sample in offline_samples],
        "samples": SAMPLES,
    }


def _offline_starts(browser: Any, url: str) -> list[float]:
    """A returning inspector: logged in once online, then the app opened with no network."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    page.goto(f"{url}/app/")
    page.get_by_label("Tên đăng nhập").fill("kiemtra1")
    page.get_by_label("Mật khẩu").fill("inspector-demo-2026")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Cuộc kiểm tra được giao").wait_for()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    page.close()
    context.set_offline(True)
    samples = []
    for _ in range(SAMPLES):
        page = context.new_page()
        session = context.new_cdp_session(page)
        session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(f"{url}/app/", wait_until="commit")
        samples.append(_interactive_seconds(page))
        page.get_by_role("heading", name="Cuộc kiểm tra được giao").wait_for()
        page.close()
    context.close()
    return samples

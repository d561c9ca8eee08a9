"""The dossier-ledger screens on a phone, against a live server with the demo: the district's
leader uploads a small ledger of Cát Thành written by the project's own writer; the connection
is cut mid-upload (a clear message, nothing saved, a retry); the file comes back refused with the
bad row's line and column; the fixed file imports with its counts, and sending it again says it
was already imported; the unit's ledger view, reached from the leader's unit screen, shows the
indicators and flagged dossiers the API gives for the same period. Cát Thành's own head then
reads the same view from the navigation, with no import anywhere.

Cát Thành has no demo ledger (the demo's are Phương Định's and Việt Hùng's), so the counts are
this test's own."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect

from server.dossiers.generator import generate_ledger
from server.dossiers.mapping import shipped_layout
from server.dossiers.writing import write_csv

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.postgres_only

LEADER = "lanhdao.trucninh"
LEADER_PASSWORD = "leader-demo-2026"
HEAD = "truong.catthanh"
HEAD_PASSWORD = "unithead-demo-2026"
UNIT_CODE = "TN-CT"
LAYOUT = "one-stop-export"
DOSSIERS = 40


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def ledger_files() -> tuple[bytes, bytes, int, str, str]:
    """The fixed CSV, the same with one impossible date, the bad row's line and column letter,
    and the header of that column: written with the project's own writer."""
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    ledger = generate_ledger(
        1414,
        unit_code=UNIT_CODE,
        period_start=today - timedelta(days=70),
        period_end=today - timedelta(days=10),
        count=DOSSIERS,
    )
    text = io.StringIO(newline="")
    write_csv(shipped_layout(LAYOUT), ledger.records, text)
    good = text.getvalue()
    rows = list(csv.reader(io.StringIO(good, newline="")))
    header = rows[0]
    received = header.index("Ngày tiếp nhận")
    bad_index = 5  # the fifth dossier: line 6 of the file, under the header on line 1
    rows[bad_index][received] = "31/02/2026"
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return (
        good.encode("utf-8"),
        out.getvalue().encode("utf-8"),
        bad_index + 1,
        column_letter(received),
        header[received],
    )


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/app/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("link", name="Sổ hồ sơ")).to_be_visible()


def checked(page: Page, shot: Callable[[Page, str], Any], axe_check: Any, step: str) -> None:
    shot(page, step)
    violations = axe_check(page)
    assert not violations, f"{step}:\n{violations.report()}"


def choose_file(page: Page, name: str, data: bytes) -> None:
    page.get_by_test_id("ledger-file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )


def last_90_days() -> dict[str, str]:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    return {
        "period_start": (today - timedelta(days=89)).isoformat(),
        "period_end": today.isoformat(),
    }


def vi_count(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def assert_ledger_view_matches_the_api(page: Page, live_server: Any, unit_id: str) -> None:
    token = live_server.login("admin")
    base = f"/api/v1/units/{unit_id}/dossier-ledgers"
    indicators = live_server.api(
        "GET", f"{base}/indicators?{urlencode(last_90_days())}", token=token
    ).json()
    flagged = live_server.api(
        "GET", f"{base}/flagged?{urlencode(last_90_days())}&limit=500", token=token
    )
    assert flagged.status_code == 200, flagged.text
    assert indicators["dossiers"] == DOSSIERS
    expect(page.get_by_test_id("ind-dossiers")).to_have_text(vi_count(DOSSIERS))
    expect(page.get_by_test_id("ind-backlog")).to_have_text(vi_count(indicators["backlog"]))
    for name in ("online", "on_time", "flagged"):
        share = indicators[name]
        shown = page.get_by_test_id(f"ind-{name}").inner_text()
        assert shown.endswith(f"({share['numerator']}/{vi_count(share['denominator'])})"), shown
    total = int(flagged.headers["x-total-count"])
    assert total > 0, "the generated ledger plants problems; some dossier must be flagged"
    expect(page.get_by_role("heading", name=f"Hồ sơ có dấu hiệu vi phạm ({total})")).to_be_visible()
    first = flagged.json()[0]
    card = page.locator(f'[data-testid="flagged-dossier"][data-code="{first["dossier_code"]}"]')
    expect(card).to_be_visible()
    rules = {
        rule["rule"]: rule
        for rule in live_server.api("GET", "/api/v1/dossier-ledger-rules", token=token).json()
    }
    flag = first["flags"][0]
    named = card.locator(f'[data-testid="ledger-flag"][data-rule="{flag["rule"]}"]')
    expect(named).to_contain_text(rules[flag["rule"]]["title_vi"])
    expect(named).to_contain_text(flag["detail_vi"])
    if flag["legal_basis"]:
        expect(named).to_contain_text(f"Căn cứ: {flag['legal_basis']}")


def test_a_leader_imports_a_ledger_and_its_unit_head_reads_it(
    live_server, phone_context, shot, axe_check
) -> None:
    good, bad, bad_line, bad_column, bad_header = ledger_files()
    admin = live_server.login("admin")
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=admin).json()}
    unit_id = units[UNIT_CODE]["id"]
    imports_path = f"/api/v1/units/{unit_id}/dossier-ledgers"

    phone = phone_context()
    page = phone.page
    log_in(page, LEADER, LEADER_PASSWORD)
    page.get_by_role("link", name="Sổ hồ sơ").click()
    expect(page.get_by_role("heading", name="Sổ theo dõi hồ sơ", level=1)).to_be_visible()
    checked(page, shot, axe_check, "leader-ledger-hub")
    page.get_by_role("link", name="Nhập sổ hồ sơ").click()
    expect(page.get_by_role("heading", name="Nhập sổ theo dõi hồ sơ")).to_be_visible()
    expect(page.get_by_test_id("ledger-help")).to_contain_text("Mẫu số 06")
    page.get_by_test_id("ledger-unit").select_option(unit_id)
    expect(page.get_by_test_id("ledger-layout")).to_have_value(LAYOUT)
    choose_file(page, "so-ho-so-cat-thanh.csv", bad)
    checked(page, shot, axe_check, "import-form")

    # The connection drops while the file is on its way: a clear message, and nothing saved.
    def cut(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route(f"**{imports_path}", cut)
    page.get_by_test_id("ledger-upload").click()
    expect(page.get_by_test_id("ledger-network-cut")).to_contain_text("Mất kết nối")
    shot(page, "network-cut")
    page.unroute(f"**{imports_path}", cut)
    listed = live_server.api("GET", imports_path, token=admin)
    assert listed.headers["x-total-count"] == "0"

    # Sent again: refused, with the bad row's line and column.
    page.get_by_test_id("ledger-retry").click()
    refused = page.get_by_test_id("ledger-refused")
    expect(refused).to_be_visible()
    expect(refused.get_by_test_id("ledger-issue")).to_have_count(1)
    issue = refused.get_by_test_id("ledger-issue").first
    expect(issue).to_have_attribute("data-line", str(bad_line))
    expect(issue).to_contain_text(f"Dòng {bad_line}, cột {bad_column} ({bad_header})")
    expect(issue).to_contain_text("«31/02/2026»")
    # What was wrong and what is accepted, as the server words it in Vietnamese.
    expect(issue).to_contain_text("không phải là ngày có thật (ghi ngày trước tháng: dd/MM/yyyy)")
    checked(page, shot, axe_check, "refused-with-line-and-column")
    assert live_server.api("GET", imports_path, token=admin).headers["x-total-count"] == "0"

    # The fixed file imports, with its counts; on a slow uplink the upload shows its progress.
    choose_file(page, "so-ho-so-cat-thanh.csv", good)
    expect(page.get_by_test_id("ledger-refused")).to_have_count(0)
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    slow = {"offline": False, "latency": 0, "downloadThroughput": -1}
    devtools.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": len(good) / 3})
    page.get_by_test_id("ledger-upload").click()
    progress = page.get_by_test_id("ledger-progress")
    expect(progress).to_contain_text("Đang tải lên…")
    expect(page.get_by_test_id("ledger-upload")).to_be_disabled()
    shot(page, "uploading")
    devtools.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": -1})
    result = page.get_by_test_id("ledger-result")
    expect(result).to_have_attribute("data-already", "false", timeout=60_000)
    expect(page.get_by_test_id("ledger-rows")).to_have_text(str(DOSSIERS))
    expect(page.get_by_test_id("ledger-created")).to_have_text(str(DOSSIERS))
    expect(page.get_by_test_id("ledger-updated")).to_have_text("0")
    expect(page.get_by_test_id("ledger-unchanged")).to_have_text("0")
    stored = live_server.api("GET", imports_path, token=admin).json()
    assert len(stored) == 1 and stored[0]["row_count"] == DOSSIERS
    start, end = (
        datetime.fromisoformat(stored[0][key]).strftime("%d/%m/%Y")
        for key in ("period_start", "period_end")
    )
    expect(page.get_by_test_id("ledger-period")).to_have_text(f"{start} – {end}")
    checked(page, shot, axe_check, "imported")

    # The same file again: the first import answers, and nothing more is stored.
    page.get_by_test_id("ledger-upload").click()
    expect(result).to_have_attribute("data-already", "true")
    expect(result).to_contain_text("Tệp này đã được nhập")
    shot(page, "already-imported")
    assert live_server.api("GET", imports_path, token=admin).headers["x-total-count"] == "1"

    # The unit's ledger, from the result and from the leader's unit screen.
    result.get_by_role("link", name="Xem sổ hồ sơ của đơn vị").click()
    expect(page.get_by_role("heading", name="Thị trấn Cát Thành", level=1)).to_be_visible()
    assert_ledger_view_matches_the_api(page, live_server, unit_id)
    expect(page.get_by_test_id("ledger-import")).to_have_count(1)
    checked(page, shot, axe_check, "leader-ledger-view")
    first_rule = page.get_by_test_id("ledger-flag").first.get_attribute("data-rule")
    page.get_by_test_id("ledger-rule").select_option(first_rule)
    # Every card shown carries the rule, once the filtered page has replaced the unfiltered one
    # (an expectation that waits: counting the cards at once raced the reload).
    expect(page.get_by_test_id("flagged-dossier").first).to_be_visible()
    expect(
        page.locator(f'[data-testid="flagged-dossier"]:not(:has([data-rule="{first_rule}"]))')
    ).to_have_count(0)
    flags_per_card = page.get_by_test_id("flagged-dossier")
    for index in range(flags_per_card.count()):
        expect(flags_per_card.nth(index).locator(f'[data-rule="{first_rule}"]')).to_have_count(1)
    shot(page, "filtered-by-rule")
    # The smallest phone the app is made for, and a desk: nothing runs off the side.
    for width, height in ((360, 640), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        expect(page.get_by_test_id("flagged-dossier").first).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        shot(page, f"ledger-view-{width}px")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/app/units/{unit_id}")
    page.get_by_role("link", name="Xem sổ hồ sơ").click()
    expect(page).to_have_url(f"{live_server.url}/app/units/{unit_id}/dossiers")
    expect(page.get_by_test_id("ind-dossiers")).to_have_text(vi_count(DOSSIERS))

    # The unit's own head: the same view from the navigation, and no import.
    head_phone = phone_context()
    head = head_phone.page
    log_in(head, HEAD, HEAD_PASSWORD)
    head.get_by_role("link", name="Sổ hồ sơ").click()
    expect(head.get_by_role("heading", name="Thị trấn Cát Thành", level=1)).to_be_visible()
    assert_ledger_view_matches_the_api(head, live_server, unit_id)
    expect(head.get_by_role("link", name="Nhập sổ hồ sơ")).to_have_count(0)
    checked(head, shot, axe_check, "unit-head-ledger-view")
    head.goto("/app/dossiers/import")
    expect(head.get_by_test_id("ledger-upload")).to_have_count(0)
    expect(head.get_by_text("Không tìm thấy", exact=False)).to_be_visible()

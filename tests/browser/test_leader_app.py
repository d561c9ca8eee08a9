"""The leader's screens in the app, against a live server with the demo: the overview's every
figure equal to `GET /api/v1/reports/summary` for the same period and subtree (the default
quarter, then another period from the picker), the summary PDF and an export, the drill-down
from the ranking to a unit and to one of its inspections, the dossier indicators of the previous
quarter (test_sample_plan has the draw's); a risk-weighted draw whose candidates'
weights show before sealing and whose commitment shows after; the reveal refused inside the
window; the demo's past plan revealed and verified as a match. On a phone and on a desk, with a
screenshot and an axe check of every screen.

The draw and the past plan are done by the province's leader: the Trực Ninh leader sees only
users homed in Trực Ninh (the demo's inspectors work at the provincial department), and the
past plan covers Nam Trực, outside Trực Ninh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import flows
from tests.browser.conftest import PhoneFactory, Sessions

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget. This one runs on
# SQLite: with the API fuzzer, the admin's and the unit head's modules on PostgreSQL, the two
# passes, which run at once, then take about as long as each other.
pytestmark = pytest.mark.sqlite_only


DISTRICT_LEADER = "lanhdao.trucninh"
PROVINCE_LEADER = "lanhdao.tinh"
PASSWORD = "leader-demo-2026"
DESK = {
    "viewport": {"width": 1280, "height": 900},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}
PAST_PLAN = "Kiểm tra đột xuất thị trấn Nam Giang (đã kết thúc)"
OVERVIEW = "/app/"
SUMMING_UP = 15_000  # ms for a summary of another period to come back and show


def log_in(page: Page, username: str) -> None:
    page.goto("/app/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Tổng quan", level=1)).to_be_visible()


def leader_page(
    phone_context: PhoneFactory,
    sessions: Sessions,
    username: str,
    screen: str = OVERVIEW,
    **options: Any,
) -> Page:
    """A new phone (or desk, with `options`) of `username` on `screen` (the overview unless
    told): logged in through the login screen the first time in this run, on the session kept
    from then after. Another screen is opened by its address, without the overview first: the
    province's overview is the longest screen of the app, and a test about plans has nothing to
    read on it. The caller waits for what it reads on that screen."""
    page = phone_context(**sessions.options(username), **options).page
    if username not in sessions:
        log_in(page, username)
        sessions.keep(username, page)
        if screen != OVERVIEW:
            page.goto(screen)
    elif screen == OVERVIEW:
        page.goto(OVERVIEW)
        expect(page.get_by_role("heading", name="Tổng quan", level=1)).to_be_visible()
    else:
        page.goto(screen)
    return page


def checked(page: Page, shot: Callable[[Page, str], Any], axe_check: Any, step: str) -> None:
    shot(page, step)
    violations = axe_check(page)
    assert not violations, f"{step}:\n{violations.report()}"


def vi_number(value: float | None, digits: int = 2) -> str:
    """A number as the app writes it in Vietnamese (Intl vi-VN, at most `digits` decimals)."""
    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0")
    grouped = f"{int(whole):,}".replace(",", ".")
    return ("-" if rounded < 0 else "") + grouped + ("," + fraction if fraction else "")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def this_quarter() -> tuple[str, str]:
    start = today().replace(month=(today().month - 1) // 3 * 3 + 1, day=1)
    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    return start.isoformat(), end.isoformat()


def previous_quarter() -> tuple[str, str]:
    end = date.fromisoformat(this_quarter()[0]) - timedelta(days=1)
    return end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1).isoformat(), end.isoformat()


def shown_summary(page: Page) -> dict[str, str]:
    scope = page.get_by_test_id("summary-scope")
    expect(scope).to_be_visible()
    return {
        "unit_id": scope.get_attribute("data-unit") or "",
        "period_from": scope.get_attribute("data-from") or "",
        "period_to": scope.get_attribute("data-to") or "",
    }


# Each row's attribute, and the attribute or the text of the one descendant with a test id, read
# in one call for all the rows: one Playwright call per row and field took a round trip each, three
# overviews of a few dozen rows long. A field's descendant must be there once, as Playwright's
# strict locators require (a "0 of rank" or "2 of rank" in its place fails the comparison).
READ_ROWS = """(rows, fields) => rows.map((row) => fields.map(([testId, attribute]) => {
    const found = testId ? row.querySelectorAll(`[data-testid="${testId}"]`) : [row];
    if (found.length !== 1) return `${found.length} of ${testId}`;
    return attribute ? found[0].getAttribute(attribute) : found[0].innerText.trim();
}))"""


def read_rows(rows: Locator, *fields: tuple[str | None, str | None]) -> list[list[str | None]]:
    """For each row, each field: `(test id or None for the row itself, attribute or None for the
    text)`."""
    return cast(list[list[str | None]], rows.evaluate_all(READ_ROWS, [list(f) for f in fields]))


def assert_dashboard_matches_the_summary(
    page: Page, live_server: Any, token: str
) -> dict[str, Any]:
    """Every figure on the overview against the summary endpoint for the same selection."""
    selection = shown_summary(page)
    response = live_server.api(
        "GET", f"/api/v1/reports/summary?{urlencode(selection)}", token=token
    )
    assert response.status_code == 200, response.text
    summary = response.json()

    def figure(name: str) -> str:
        return page.get_by_test_id(f"fig-{name}").inner_text().strip()

    assert figure("done") == vi_number(summary["inspections"]["done"])
    assert figure("scored") == vi_number(summary["inspections"]["scored"])
    assert figure("average") == vi_number(summary["average_score"])
    assert figure("previous-average") == vi_number(summary["previous_average_score"])
    actions = summary["actions"]
    assert figure("actions-open") == vi_number(actions["open"])
    assert figure("actions-overdue") == vi_number(actions["overdue"])
    assert figure("actions-on-time") == vi_number(actions["verified_on_time"])
    assert page.get_by_test_id("actions-total").get_attribute("data-value") == str(actions["total"])
    for tone, count in (
        ("on-time", actions["verified_on_time"]),
        ("late", actions["verified_late"]),
        ("open", actions["open"] - actions["overdue"]),
        ("overdue", actions["overdue"]),
    ):
        assert page.get_by_test_id(f"actions-{tone}").get_attribute("data-value") == str(count)

    bands = read_rows(page.get_by_test_id("band-row"), (None, "data-band"), ("band-count", None))
    assert bands == [[band["key"] or "none", vi_number(band["count"])] for band in summary["bands"]]

    findings = summary["findings"]
    assert page.get_by_test_id("findings-total").get_attribute("data-value") == str(
        findings["total"]
    )
    for severity in ("critical", "major", "minor"):
        row = page.locator(f'[data-testid="finding-severity"][data-severity="{severity}"]')
        count = findings["by_severity"].get(severity, 0)
        assert row.get_by_test_id("finding-count").inner_text().strip() == vi_number(count)
    categories = read_rows(
        page.get_by_test_id("finding-category"), (None, "data-category"), ("finding-count", None)
    )
    assert dict(categories) == {
        key: vi_number(count) for key, count in findings["by_category"].items()
    }

    ranked = summary["ranking"]["ranked"]
    rows = read_rows(
        page.get_by_test_id("rank-row"),
        (None, "data-unit"),
        ("rank", "data-value"),
        ("rank-score", None),
        ("rank-change", "data-value"),
    )
    assert [row[0] for row in rows] == [r["unit"]["id"] for r in ranked]
    assert [row[1] for row in rows] == [str(r["rank"]) for r in ranked]
    assert [row[2] for row in rows] == [vi_number(r["average_score"]) for r in ranked]
    assert [row[3] for row in rows] == [
        "" if r["rank_change"] is None else str(r["rank_change"]) for r in ranked
    ]
    insufficient = read_rows(page.get_by_test_id("insufficient-row"), (None, "data-unit"))
    assert [row[0] for row in insufficient] == [
        r["unit"]["id"] for r in summary["ranking"]["insufficient_data"]
    ]

    results = summary["section_results"]
    cells = page.get_by_test_id("heat-cell")
    expected_cells = {}
    for row in [results["overall"], *results["rows"]]:
        for cell in row["cells"]:
            unit = row["unit"]["id"] if row["unit"] else "all"
            expected_cells[(unit, cell["section_key"])] = cell["average_score"]
    # Read in one call: the heatmap has a cell per unit and section, and three calls per cell
    # (two attributes, the text) took most of a second each time the overview was compared.
    shown_cells = {
        (unit, section): text
        for unit, section, text in cells.evaluate_all(
            "cells => cells.map((cell) => [cell.getAttribute('data-unit'),"
            " cell.getAttribute('data-section'), cell.innerText])"
        )
    }
    assert shown_cells == {
        key: "—" if score is None else vi_number(score, 0) for key, score in expected_cells.items()
    }
    return summary


def assert_dossier_indicators_match_the_summary(page: Page, live_server: Any, token: str) -> None:
    """The overview's dossier indicator table against the summary endpoint's
    `dossier_indicators` for the same selection: a row per unit with a ledger, then the total."""
    expect(page.get_by_test_id("dossier-indicators")).to_be_visible()
    summary = live_server.api(
        "GET", f"/api/v1/reports/summary?{urlencode(shown_summary(page))}", token=token
    ).json()
    section = summary["dossier_indicators"]
    assert section and len(section["units"]) >= 2
    rows = page.get_by_test_id("indicator-row")
    assert [row.get_attribute("data-unit") for row in rows.all()] == [
        *[entry["unit"]["id"] for entry in section["units"]],
        "total",
    ]
    for row, entry in zip(rows.all(), [*section["units"], section["totals"]], strict=True):
        cells = {
            cell.get_attribute("data-column"): cell.get_attribute("data-value")
            for cell in row.get_by_test_id("indicator-cell").all()
        }
        now = entry["current"]
        assert cells["dossiers"] == str(now["dossiers"])
        assert cells["backlog"] == str(now["backlog"])
        for name in ("online", "on_time", "flagged"):
            value = now[name]["value"]
            assert cells[name] == ("" if value is None else str(value).removesuffix(".0"))


def test_the_leader_reads_the_overview_and_drills_down_to_an_inspection(
    live_server, phone_context, sessions, shot, axe_check
) -> None:
    token = live_server.login(DISTRICT_LEADER)
    me = live_server.api("GET", "/api/v1/me", token=token).json()
    page = leader_page(phone_context, sessions, DISTRICT_LEADER)

    # The default: this quarter, my own district.
    expect(page.get_by_test_id("fig-done")).to_be_visible()
    assert shown_summary(page) == dict(
        zip(("unit_id", "period_from", "period_to"), (me["home_unit_id"], *this_quarter()))
    )
    assert_dashboard_matches_the_summary(page, live_server, token)
    checked(page, shot, axe_check, "dashboard-quarter")

    # Another period from the picker: the figures follow. The last 90 days hold the demo's
    # visits whatever the date.
    page.get_by_label("Kỳ báo cáo").select_option("last90")
    scope = page.get_by_test_id("summary-scope")
    # The scope shows once the server has summed up the new period: seconds at a load of 20.
    expect(scope).to_have_attribute(
        "data-from", (today() - timedelta(days=89)).isoformat(), timeout=SUMMING_UP
    )
    expect(scope).to_have_attribute("data-to", today().isoformat())
    summary = assert_dashboard_matches_the_summary(page, live_server, token)
    assert summary["inspections"]["done"] > 0 and summary["ranking"]["ranked"]

    # The summary PDF and an export, fetched with the token.
    page.get_by_role("button", name="Mở báo cáo tổng hợp (PDF)").click()
    expect(page.get_by_test_id("summary-pdf-file")).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải CSV: Phát hiện").click()
    assert download.value.suggested_filename.endswith(".csv")
    expect(page.get_by_test_id("leader-error")).to_have_count(0)

    # Drill down: the first unit of the ranking, then one of its inspections.
    first = summary["ranking"]["ranked"][0]
    page.get_by_test_id("rank-row").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=first["unit"]["name_vi"], level=1)).to_be_visible()
    visits = live_server.api(
        "GET",
        "/api/v1/inspections?"
        + urlencode(
            {
                "unit_id": first["unit"]["id"],
                "period_from": summary["period"]["period_from"],
                "period_to": summary["period"]["period_to"],
            }
        ),
        token=token,
    ).json()
    expect(page.get_by_test_id("unit-inspection")).to_have_count(len(visits))
    # The ranking counts the visits carried out (started, not cancelled); the unit's list also
    # shows one still to come, which the demo's random draw sometimes leaves in the period.
    carried_out = [v for v in visits if v["started_at"] and v["status"] != "cancelled"]
    assert len(carried_out) == first["inspections"]
    checked(page, shot, axe_check, "unit")
    page.get_by_test_id("unit-inspection").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Kết quả kiểm tra")).to_be_visible()
    expect(page.get_by_role("heading", name=first["unit"]["name_vi"], level=1)).to_be_visible()
    checked(page, shot, axe_check, "inspection")

    # Back twice: the overview comes back with the period that was chosen.
    page.go_back()
    page.go_back()
    expect(page.get_by_label("Kỳ báo cáo")).to_have_value("last90")
    assert shown_summary(page)["period_from"] == summary["period"]["period_from"]

    # The previous quarter, on the same phone: its dossier indicators (the demo has ledgers for
    # Phương Định and Việt Hùng over the last full quarter) as the summary gives them. Checked
    # here rather than on a phone of its own: a new phone and its first overview cost about
    # three seconds of CPU, and this is the same leader on the same screen.
    page.get_by_label("Kỳ báo cáo").select_option("previousQuarter")
    expect(scope).to_have_attribute("data-from", previous_quarter()[0], timeout=SUMMING_UP)
    expect(scope).to_have_attribute("data-to", previous_quarter()[1])
    assert_dossier_indicators_match_the_summary(page, live_server, token)
    checked(page, shot, axe_check, "dashboard-dossier-indicators")

    desk = leader_page(phone_context, sessions, DISTRICT_LEADER, **DESK)
    expect(desk.get_by_test_id("fig-done")).to_be_visible()
    assert_dashboard_matches_the_summary(desk, live_server, token)
    checked(desk, shot, axe_check, "dashboard-desk")


def test_a_leader_draws_a_plan_seeing_the_weights_then_reveals_and_verifies_a_past_one(
    live_server, phone_context, sessions, shot, axe_check
) -> None:
    token = live_server.login(PROVINCE_LEADER)
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=token).json()}
    users = {u["username"]: u for u in live_server.api("GET", "/api/v1/users", token=token).json()}
    # Nam Trực and kiemtra2: away from the units and the inspector the other browser tests use.
    scope, head = units["NT"], users["kiemtra2"]
    page = leader_page(phone_context, sessions, PROVINCE_LEADER)
    page.get_by_role("link", name="Kế hoạch", exact=True).click()
    expect(page.get_by_role("heading", name="Kế hoạch kiểm tra")).to_be_visible()
    expect(page.get_by_test_id("plan-row").first).to_be_visible()
    checked(page, shot, axe_check, "plans")

    page.get_by_role("link", name="Lập kế hoạch mới").click()
    page.get_by_label("Tên kế hoạch").fill("Bốc thăm thử – Nam Trực")
    page.get_by_label("Địa bàn (chọn đơn vị trong phạm vi này)").select_option(scope["id"])
    page.get_by_label("Trưởng đoàn").select_option(head["id"])
    expect(page.get_by_label("Số đơn vị bốc thăm")).to_have_value("1")

    # Before sealing: every candidate with the weight the server's preview gives it.
    preview = flows.draw_preview(
        live_server,
        token,
        scope["id"],
        head["id"],
        {"k": 1, "candidate_kinds": ["commune", "ward", "town", "service_center"]},
    )
    candidates = page.get_by_test_id("preview-candidates").get_by_test_id("candidate")
    expect(candidates).to_have_count(len(preview["candidates"]))
    assert preview["candidates"] and preview["can_draw"]
    shown = {
        row.get_attribute("data-unit"): row.get_attribute("data-weight") for row in candidates.all()
    }
    assert shown == {
        c["unit_id"]: str(c["weight"]).removesuffix(".0") for c in preview["candidates"]
    }
    expect(candidates.first.get_by_test_id("candidate-weight")).to_have_text(
        vi_number(preview["candidates"][0]["weight"], 4)
    )
    checked(page, shot, axe_check, "plan-new-weights")

    # After sealing: the commitment, the drawn unit with its weight.
    page.get_by_role("button", name="Niêm phong kế hoạch").click()
    expect(page.get_by_test_id("commitment")).to_be_visible(timeout=15_000)
    plan_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    plan = live_server.api("GET", f"/api/v1/plans/{plan_id}", token=token).json()
    expect(page.get_by_test_id("commitment")).to_have_text(plan["commitment"])
    assert plan["selection"] == "drawn" and len(plan["targets"]) == 1
    target = plan["targets"][0]
    expect(page.get_by_test_id("target")).to_have_attribute("data-unit", target["unit_id"])
    expect(page.get_by_test_id("target-weight")).to_have_attribute(
        "data-value", str(target["weight"]).removesuffix(".0")
    )
    # Inside the window the nonce stays secret: the server's reason is shown.
    page.get_by_role("button", name="Công bố mã bí mật").click()
    expect(page.get_by_test_id("reveal-error")).to_contain_text("can be revealed from")
    page.get_by_role("button", name="Kiểm chứng").click()
    expect(page.get_by_test_id("verify-result")).to_have_attribute("data-status", "not_revealed")
    checked(page, shot, axe_check, "plan-sealed")

    # The demo's past plan: revealed, then verified as a match.
    page.get_by_role("link", name="Kế hoạch", exact=True).click()
    page.get_by_role("link", name=PAST_PLAN).click()
    page.get_by_role("button", name="Công bố mã bí mật").click()
    expect(page.get_by_test_id("nonce")).to_be_visible()
    page.get_by_role("button", name="Kiểm chứng").click()
    result = page.get_by_test_id("verify-result")
    expect(result).to_have_attribute("data-status", "match")
    expect(result).to_contain_text("Khớp")
    published = page.get_by_test_id("hash-published").inner_text()
    assert published == page.get_by_test_id("hash-recomputed").inner_text()
    assert published == page.get_by_test_id("commitment").inner_text()
    checked(page, shot, axe_check, "past-plan-verified")

    desk = leader_page(phone_context, sessions, PROVINCE_LEADER, f"/app/plans/{plan_id}", **DESK)
    expect(desk.get_by_test_id("commitment")).to_have_text(plan["commitment"])
    checked(desk, shot, axe_check, "plan-desk")
    desk.goto("/app/plans/new")
    desk.get_by_label("Địa bàn (chọn đơn vị trong phạm vi này)").select_option(scope["id"])
    desk.get_by_label("Trưởng đoàn").select_option(head["id"])
    expect(desk.get_by_test_id("preview-candidates").get_by_test_id("candidate")).to_have_count(
        len(preview["candidates"])
    )
    checked(desk, shot, axe_check, "plan-new-desk")

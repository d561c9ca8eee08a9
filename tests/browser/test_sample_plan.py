"""The leader seals a plan with a dossier sample from the plan form (issue 14 item 3): Việt Hùng
has a demo ledger, so the sealed plan shows the dossiers drawn from it, the same the API gives the
plan's leaders. On a phone, with a screenshot and an axe check of each screen.

Done by the province's leader (the Trực Ninh leader sees only users homed in Trực Ninh, and the
demo's inspectors work at the provincial department), with kiemtra2 as the team head, whom the
other browser tests' assignments do not count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from server.demo.ledgers import last_full_quarter
from tests.browser.test_leader_app import leader_page

pytestmark = pytest.mark.sqlite_only

LEADER = "lanhdao.tinh"


def checked(page: Page, shot: Callable[[Page, str], Any], axe_check: Any, step: str) -> None:
    shot(page, step)
    violations = axe_check(page)
    assert not violations, f"{step}:\n{violations.report()}"


def test_a_leader_seals_a_plan_with_a_dossier_sample_and_sees_the_dossiers_drawn(
    live_server, phone_context, sessions, shot, axe_check
) -> None:
    token = live_server.login(LEADER)
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=token).json()}
    users = {u["username"]: u for u in live_server.api("GET", "/api/v1/users", token=token).json()}
    page = leader_page(phone_context, sessions, LEADER, "/app/plans")
    page.get_by_role("link", name="Lập kế hoạch mới").click()

    page.get_by_label("Tên kế hoạch").fill("Đối chiếu hồ sơ – Việt Hùng")
    page.get_by_label("Địa bàn (chọn đơn vị trong phạm vi này)").select_option(units["TN"]["id"])
    page.get_by_label("Trưởng đoàn").select_option(users["kiemtra2"]["id"])
    page.get_by_test_id("mode-listed").check()
    page.get_by_test_id("listed-targets").get_by_label("TN-VH", exact=False).check()
    page.get_by_test_id("sample-on").check()
    first, last = last_full_quarter(date.today())
    expect(page.get_by_test_id("sample-size")).to_have_value("10")
    expect(page.get_by_test_id("sample-from")).to_have_value(first.isoformat())
    expect(page.get_by_test_id("sample-to")).to_have_value(last.isoformat())
    page.get_by_test_id("sample-size").fill("8")
    checked(page, shot, axe_check, "plan-new-sample")

    page.get_by_role("button", name="Niêm phong kế hoạch").click()
    expect(page.get_by_test_id("commitment")).to_be_visible(timeout=15_000)
    plan_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    plan = live_server.api("GET", f"/api/v1/plans/{plan_id}", token=token).json()
    (sample,) = plan["dossier_samples"]
    assert sample["unit_id"] == units["TN-VH"]["id"] and len(sample["dossiers"]) == 8
    assert plan["document"]["dossier_sample"]["size"] == 8

    shown = page.get_by_test_id("plan-sample-unit")
    expect(shown).to_have_count(1)
    expect(shown).to_have_attribute("data-unit", units["TN-VH"]["id"])
    shown.locator("summary").click()
    dossiers = shown.get_by_test_id("plan-sample-dossier")
    expect(dossiers).to_have_count(8)
    for row, dossier in zip(dossiers.all(), sample["dossiers"], strict=True):
        expect(row).to_contain_text(dossier["dossier_code"])
    checked(page, shot, axe_check, "plan-sealed-sample")

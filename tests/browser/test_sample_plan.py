"""Dossiers on the province leader's plan form, on a phone, against a live server with the demo
(which has ledgers for Phương Định and Việt Hùng over the last full quarter): a draw with the
dossier indicators shows, before sealing, each candidate's dossier reasons as the preview gives
them (nothing of it is sealed); then a plan with a dossier sample, sealed from a fresh form
(issue 14 item 3), shows the dossiers drawn from Việt Hùng's ledger, the same the API gives the
plan's leaders. With a screenshot and an axe check of each screen. One test on one phone: a new
phone and its first screen cost about three seconds of CPU, and both are this leader's form.

Done by the province's leader (the Trực Ninh leader sees only users homed in Trực Ninh, and the
demo's inspectors work at the provincial department), with kiemtra2 as the team head, whom the
other browser tests' assignments do not count. The overview's dossier indicator table is checked
in test_leader_app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from server.demo.ledgers import last_full_quarter
from tests.browser import flows
from tests.browser.test_leader_app import leader_page

pytestmark = pytest.mark.sqlite_only

LEADER = "lanhdao.tinh"


def checked(page: Page, shot: Callable[[Page, str], Any], axe_check: Any, step: str) -> None:
    shot(page, step)
    violations = axe_check(page)
    assert not violations, f"{step}:\n{violations.report()}"


def test_a_leader_sees_the_dossier_reasons_of_a_draw_then_seals_a_plan_with_a_dossier_sample(
    live_server, phone_context, sessions, shot, axe_check
) -> None:
    token = live_server.login(LEADER)
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=token).json()}
    users = {u["username"]: u for u in live_server.api("GET", "/api/v1/users", token=token).json()}
    scope, head = units["TN"], users["kiemtra2"]

    # A draw with the dossier indicators: each candidate's dossier reasons, before sealing.
    page = leader_page(phone_context, sessions, LEADER, "/app/plans/new")
    page.get_by_label("Địa bàn (chọn đơn vị trong phạm vi này)").select_option(scope["id"])
    page.get_by_label("Trưởng đoàn").select_option(head["id"])
    page.get_by_test_id("plan-dossier-indicators").check()
    expect(page.get_by_test_id("preview-dossier-period")).to_be_visible(timeout=15_000)

    preview = flows.draw_preview(
        live_server, token, scope["id"], head["id"], {"k": 1, "dossier_indicators": True}
    )
    with_ledger = [c for c in preview["candidates"] if c["risk"]["dossiers"]]
    assert with_ledger, "the demo's ledgers should count in the 90 days before today"
    candidates = page.get_by_test_id("preview-candidates").get_by_test_id("candidate")
    expect(candidates).to_have_count(len(preview["candidates"]))
    for candidate in with_ledger:
        row = page.locator(f'[data-testid="candidate"][data-unit="{candidate["unit_id"]}"]')
        shown = [text.strip() for text in row.get_by_test_id("dossier-reason").all_inner_texts()]
        expected = [
            reason["vi"]
            for reason in candidate["risk"]["reasons"]
            if reason["code"] in ("flagged_dossiers", "late_dossiers", "backlog")
        ]
        assert [text.split(": +")[0] for text in shown] == expected
        assert row.get_attribute("data-weight") == str(candidate["weight"]).removesuffix(".0")
    checked(page, shot, axe_check, "plan-new-dossier-reasons")

    # A fresh form (the app keeps no draft of the one above), reached from the plans: a listed
    # plan with a dossier sample of Việt Hùng, sealed.
    page.goto("/app/plans")
    page.get_by_role("link", name="Lập kế hoạch mới").click()

    page.get_by_label("Tên kế hoạch").fill("Đối chiếu hồ sơ – Việt Hùng")
    page.get_by_label("Địa bàn (chọn đơn vị trong phạm vi này)").select_option(scope["id"])
    page.get_by_label("Trưởng đoàn").select_option(head["id"])
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

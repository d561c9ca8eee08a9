"""The dossier indicators in the leader's app, against a live server with the demo (which has
ledgers for Phương Định and Việt Hùng over the last full quarter): a draw with the dossier
indicators shows, before sealing, each candidate's dossier reasons as the preview gives them.
Nothing is sealed. The overview's indicator table (equal to `GET /api/v1/reports/summary`'s
`dossier_indicators` for the previous quarter) is checked in test_leader_app, on the phone
that reads the overview there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_leader_app import (
    PROVINCE_LEADER,
    checked,
    leader_page,
)

pytestmark = pytest.mark.sqlite_only


def test_a_draw_with_dossier_indicators_shows_each_candidates_reasons(
    live_server, phone_context, sessions, shot, axe_check
) -> None:
    token = live_server.login(PROVINCE_LEADER)
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=token).json()}
    users = {u["username"]: u for u in live_server.api("GET", "/api/v1/users", token=token).json()}
    scope = units["TN"]
    head = users["kiemtra2"]
    page = leader_page(phone_context, sessions, PROVINCE_LEADER, "/app/plans/new")
    page.get_by_label("Địa bàn (chọn đơn vị trong phạm vi này)").select_option(scope["id"])
    page.get_by_label("Trưởng đoàn").select_option(head["id"])
    page.get_by_test_id("plan-dossier-indicators").check()
    expect(page.get_by_test_id("preview-dossier-period")).to_be_visible(timeout=15_000)

    now = datetime.now(UTC)
    preview = live_server.api(
        "POST",
        "/api/v1/plans/draw-preview",
        token=token,
        json={
            "scope_unit_id": scope["id"],
            "window_start": now.isoformat(),
            "window_end": (now + timedelta(days=7)).isoformat(),
            "teams": [{"head_id": head["id"], "member_ids": []}],
            "draw": {"k": 1, "dossier_indicators": True},
        },
    ).json()
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

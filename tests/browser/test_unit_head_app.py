"""The unit head's fix, from the message to the verified report: a link delivered to the unit's
webhook opens the action in the app (after login), the head acknowledges and starts it, reports
the fix with a photo while offline, and it arrives once when the phone is back online; the
leader, at a desk, compares the photos, returns it with a reason the head then reads, and
verifies the second report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.flows import camera_photo, wait_until_sent
from tests.server.peers import running_http

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.postgres_only


HEAD = "truong.viethung"
HEAD_PASSWORD = "unithead-demo-2026"


def _unit(live_server: Any, token: str, code: str) -> dict[str, Any]:
    units = live_server.api("GET", "/api/v1/units", token=token).json()
    return next(unit for unit in units if unit["code"] == code)


def _action(live_server: Any, action_id: str) -> dict[str, Any]:
    token = live_server.login("admin")
    response = live_server.api("GET", f"/api/v1/actions/{action_id}", token=token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_unit_head_reports_a_fix_offline_from_a_link_in_a_message(
    live_server, phone_context, shot, axe_check, tmp_path: Path
) -> None:

    admin = live_server.login("admin")
    unit = _unit(live_server, admin, "TN-VH")
    with running_http() as receiver:
        response = live_server.api(
            "PATCH",
            f"/api/v1/units/{unit['id']}",
            token=admin,
            json={"notification_targets": [receiver.url()]},
        )
        assert response.status_code == 200, response.text
        # The demo's messages to this unit could not go out for want of a target (dead, or still
        # waiting for a worker); now it has one.
        rows: list[dict[str, Any]] = []
        while True:  # every page: other tests add messages too
            page_of = live_server.api(
                "GET", f"/api/v1/notifications?limit=500&offset={len(rows)}", token=admin
            )
            rows += page_of.json()
            if len(rows) >= int(page_of.headers["x-total-count"]) or not page_of.json():
                break
        mine = [row for row in rows if row["recipient_id"] == unit["id"]]
        assert mine, "the demo left no message for the unit"
        for row in mine:
            if row["status"] in ("failed", "dead"):
                requeued = live_server.api(
                    "POST", f"/api/v1/notifications/{row['id']}/requeue", token=admin
                )
                assert requeued.status_code == 200, requeued.text
        assert live_server.cli("worker", "--once").returncode == 0
        bodies = [json.dumps(hit.body, ensure_ascii=False) for hit in receiver.received()]
    links = sorted(
        {
            link
            for body in bodies
            for link in re.findall(r"https?://[^\s\"]+/app/actions/[0-9a-f-]{36}", body)
        }
    )
    assert links, f"no message carried a link to an action: {bodies[:3]}"
    link = links[0]
    action_id = link.rsplit("/", 1)[1]
    assert link.startswith(live_server.url)
    assert _action(live_server, action_id)["status"] == "open"

    phone = phone_context(latitude=20.2818, longitude=106.2102)
    page = phone.page
    page.goto(link.removeprefix(live_server.url))
    shot(page, "link-opens-login")
    page.get_by_label("Tên đăng nhập").fill(HEAD)
    page.get_by_label("Mật khẩu").fill(HEAD_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    status = page.get_by_test_id("action-status").first
    expect(status).to_have_attribute("data-status", "open")
    expect(page.get_by_role("heading", name="Phát hiện")).to_be_visible()
    shot(page, "action-open")
    violations = axe_check(page)
    assert not violations, violations.report()

    page.get_by_role("button", name="Tiếp nhận").click()
    expect(status).to_have_attribute("data-status", "acknowledged")
    page.get_by_role("button", name="Bắt đầu khắc phục").click()
    expect(status).to_have_attribute("data-status", "in_progress")
    wait_until_sent(page)
    assert _action(live_server, action_id)["status"] == "in_progress"

    # The fix is reported from the counter, where the signal is gone.
    phone.set_offline(True)
    page.get_by_role("button", name="Gửi báo cáo khắc phục").click()
    page.get_by_role("textbox", name="Báo cáo khắc phục").fill(
        "Đã niêm yết lại đầy đủ TTHC, có ảnh chụp bảng niêm yết mới."
    )
    page.get_by_test_id("photo-input-fix").set_input_files(
        str(camera_photo(tmp_path / "fix.jpg", 3))
    )
    expect(page.locator("form [data-testid=evidence]")).to_have_count(1, timeout=20_000)
    shot(page, "fix-report")
    violations = axe_check(page)
    assert not violations, violations.report()
    page.locator("form").get_by_role("button", name="Gửi báo cáo khắc phục").click()
    expect(status).to_have_attribute("data-status", "submitted")
    page.reload()
    expect(page.get_by_test_id("action-status").first).to_have_attribute("data-status", "submitted")
    expect(page.get_by_test_id("pending-count")).not_to_have_attribute("data-count", "0")
    assert _action(live_server, action_id)["status"] == "in_progress"
    shot(page, "fix-waiting-offline")

    phone.set_offline(False)
    wait_until_sent(page)
    held = _action(live_server, action_id)
    assert held["status"] == "submitted"
    assert held["report"] == "Đã niêm yết lại đầy đủ TTHC, có ảnh chụp bảng niêm yết mới."
    assert len(held["evidence"]) == 1
    moves = [event["to_status"] for event in held["history"] if event["kind"] == "transition"]
    assert moves == ["acknowledged", "in_progress", "submitted"]

    # At a desk, the district's leader reviews the fix: the photos before and after side by
    # side, and returns it with a reason.
    desk = phone_context(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False)
    review = desk.page
    review.goto("/app/reviews")
    review.get_by_label("Tên đăng nhập").fill("lanhdao.trucninh")
    review.get_by_label("Mật khẩu").fill("leader-demo-2026")
    review.get_by_role("button", name="Đăng nhập").click()
    review.locator(f'[data-action="{action_id}"]').get_by_role("link").click()
    expect(review.get_by_test_id("after-photos").get_by_test_id("evidence")).to_have_count(1)
    expect(review.get_by_test_id("before-photos")).to_be_visible()
    expect(review.get_by_test_id("fix-report")).to_contain_text("Đã niêm yết lại")
    shot(review, "leader-review")
    violations = axe_check(review)
    assert not violations, violations.report()
    review.get_by_label("Lý do trả lại").fill("Ảnh chưa rõ bảng niêm yết.")
    review.get_by_role("button", name="Trả lại").click()
    expect(review.get_by_test_id("action-status").first).to_have_attribute(
        "data-status", "returned"
    )
    wait_until_sent(review)
    assert _action(live_server, action_id)["status"] == "returned"

    # The head's phone shows the reason; the head fixes again and reports once more.
    page.reload()
    expect(page.get_by_test_id("returned-reason")).to_contain_text("Ảnh chưa rõ bảng niêm yết.")
    shot(page, "returned")
    page.get_by_role("button", name="Khắc phục lại").click()
    page.get_by_role("button", name="Gửi báo cáo khắc phục").click()
    page.get_by_role("textbox", name="Báo cáo khắc phục").fill("Đã chụp lại rõ bảng niêm yết.")
    page.get_by_test_id("photo-input-fix").set_input_files(
        str(camera_photo(tmp_path / "fix-2.jpg", 4))
    )
    expect(page.locator("form [data-testid=evidence]")).to_have_count(1, timeout=20_000)
    page.locator("form").get_by_role("button", name="Gửi báo cáo khắc phục").click()
    expect(page.get_by_test_id("action-status").first).to_have_attribute("data-status", "submitted")
    wait_until_sent(page)
    expect(page.get_by_test_id("rejection")).to_have_count(0)
    assert _action(live_server, action_id)["status"] == "submitted"

    # The leader verifies it this time.
    review.goto(f"/app/actions/{action_id}")
    expect(review.get_by_test_id("fix-report")).to_contain_text("Đã chụp lại")
    review.get_by_role("button", name="Xác nhận đã khắc phục").click()
    wait_until_sent(review)
    expect(review.get_by_test_id("action-status").first).to_have_attribute(
        "data-status", "verified"
    )
    shot(review, "leader-verified")
    held = _action(live_server, action_id)
    assert held["status"] == "verified"
    moves = [event["to_status"] for event in held["history"] if event["kind"] == "transition"]
    assert moves == [
        "acknowledged",
        "in_progress",
        "submitted",
        "returned",
        "in_progress",
        "submitted",
        "verified",
    ]

    page.goto("/app/actions")
    expect(page.get_by_role("heading", name="Việc cần khắc phục")).to_be_visible()
    expect(page.get_by_test_id("action-row").first).to_be_visible()
    shot(page, "actions-list")
    violations = axe_check(page)
    assert not violations, violations.report()

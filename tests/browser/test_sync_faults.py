"""The sync engine under faults a phone meets in the field, in real Chromium against the real
server: a response lost after the server committed, a change the server refuses (shown on its
item and fixed), and a session that expired while the phone was offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route, expect

from tests.browser.flows import (
    answer_for,
    answer_item,
    held,
    login,
    open_inspection,
    plan_visit,
    ready_for_offline,
    shipped_template,
    start,
    to_section,
    wait_until_sent,
    write_note,
)

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.sqlite_only


def test_a_response_lost_after_the_server_committed_ends_with_no_duplicate(
    live_server, phone_context, shot
) -> None:
    inspection_id = plan_visit(live_server, "TN-TT")
    template = shipped_template()
    phone = phone_context(latitude=20.2480, longitude=106.1902)
    page = phone.page
    page.clock.install()  # the app's timers, which run in real time until skipped below
    page.goto("/app/")
    login(page)
    ready_for_offline(page)
    phone.set_offline(True)
    open_inspection(page, "Xã Trực Tuấn")
    start(page)
    to_section(page, inspection_id, "A")
    section_a = [item for item in template.sections[0].items if not item.show_if]
    for item in section_a:
        answer_item(page, item, answer_for(item, fail=False))
    page.get_by_role("link", name="Về tổng quan").click()
    page.get_by_role("link", name="Ghi phát hiện").click()
    page.get_by_label("Mô tả").fill("Bộ phận Một cửa mở cửa muộn 20 phút.")
    page.get_by_role("button", name="Lưu phát hiện").click()
    expect(page.get_by_test_id("finding")).to_have_count(1)

    lost: list[int] = []
    sent_batches: list[list[str]] = []

    def lose_first_answer(route: Route) -> None:
        try:
            body = route.request.post_data_json
            sent_batches.append([op["op_id"] for op in body["ops"]])
        except Exception:  # a service worker's request may not expose its body here
            sent_batches.append([])
        response = route.fetch()  # the server commits the whole batch …
        if not lost:
            lost.append(response.status)
            route.abort("connectionreset")  # … and the phone never hears back
        else:
            route.fulfill(response=response)

    # On the context, so the request is caught whichever way it goes (page or service worker).
    phone.context.route("**/mobile/v1/sync", lose_first_answer)
    with phone.context.expect_event(
        "requestfailed", lambda request: "/mobile/v1/sync" in request.url
    ):
        phone.set_offline(False)
    # The phone sends again after its backoff (1 to 2 s after a first failure); the page's clock
    # skips that wait. Should the retry be scheduled only after this, it comes in real time.
    page.clock.fast_forward(2_000)
    wait_until_sent(page)
    assert lost == [200]
    # The retry carried the same op ids (the server answered them `duplicate`).
    assert len(sent_batches) >= 2
    if sent_batches[0] and sent_batches[1]:
        assert sent_batches[1][: len(sent_batches[0])] == sent_batches[0]
    expect(page.locator(".syncbar-rejected")).to_have_count(0)
    shot(page, "after-lost-response")

    server = held(live_server, inspection_id)
    assert server["status"] == "in_progress"
    assert sorted(a["item_key"] for a in server["answers"]) == sorted(i.key for i in section_a)
    assert [f["description"] for f in server["findings"]] == [
        "Bộ phận Một cửa mở cửa muộn 20 phút."
    ]


def test_a_refused_change_is_shown_on_its_item_and_can_be_fixed(
    live_server, phone_context, shot, axe_check
) -> None:
    inspection_id = plan_visit(live_server, "TN-TM")
    template = shipped_template()
    item = next(i for i in template.sections[0].items if i.answer_type.value == "yes_no")
    phone = phone_context(latitude=20.2205, longitude=106.2433)
    page = phone.page
    page.goto("/app/")
    login(page)
    open_inspection(page, "Xã Trực Mỹ")
    start(page)
    to_section(page, inspection_id, "A")
    answer_item(page, item, {"value": "yes"})
    # A note longer than the server takes (10,000 characters): the phone keeps it, the server
    # refuses the op with its reason, and the item says so.
    write_note(page, item.key, "Rất dài. " * 1200)
    card = page.locator(f'[data-item="{item.key}"]')
    expect(card.get_by_test_id("rejection")).to_contain_text("10000", timeout=30_000)
    expect(page.locator(".syncbar-rejected")).to_be_visible()
    shot(page, "rejected-on-item")
    violations = axe_check(page)
    assert not violations, violations.report()

    write_note(page, item.key, "Ghi chú ngắn, đúng quy định.")
    expect(card.get_by_test_id("rejection")).to_have_count(0)
    wait_until_sent(page)
    expect(page.locator(".syncbar-rejected")).to_have_count(0)
    shot(page, "fixed")
    answer = next(
        a for a in held(live_server, inspection_id)["answers"] if a["item_key"] == item.key
    )
    assert answer["note"] == "Ghi chú ngắn, đúng quy định."
    assert answer["value"]["value"] == "yes"


def test_a_session_that_expired_offline_keeps_the_work_and_asks_for_the_password(
    live_server, phone_context, shot
) -> None:

    inspection_id = plan_visit(live_server, "TN-TDA")
    template = shipped_template()
    phone = phone_context(latitude=20.2617, longitude=106.1975)
    page = phone.page
    page.goto("/app/")
    login(page)
    ready_for_offline(page)
    phone.set_offline(True)
    open_inspection(page, "Xã Trực Đạo")
    start(page)
    to_section(page, inspection_id, "A")
    item = next(i for i in template.sections[0].items if i.answer_type.value == "yes_no")
    answer_item(page, item, {"value": "no"})

    # While the phone is away, its session ends on the server: someone used its refresh token
    # (the server then revokes the whole family), which is what an expired or stolen session
    # looks like to the phone.
    refresh_token = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("spotcheck");
            open.onsuccess = () => {
                const get = open.result.transaction("kv").objectStore("kv").get("session");
                get.onsuccess = () => resolve(get.result.refreshToken);
                get.onerror = () => reject(get.error);
            };
        })"""
    )
    rotated = live_server.api("POST", "/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert rotated.status_code == 200
    reuse = live_server.api("POST", "/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert reuse.status_code == 401  # the family is revoked now
    page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("spotcheck");
            open.onsuccess = () => {
                const store = open.result.transaction("kv", "readwrite").objectStore("kv");
                const get = store.get("session");
                get.onsuccess = () => {
                    // The access token has run out too (15 minutes is short on a day offline).
                    store.put({ ...get.result, accessExpiresAt: "2000-01-01T00:00:00Z" }, "session");
                    resolve(true);
                };
            };
        })"""
    )

    phone.set_offline(False)
    banner = page.get_by_role("alert").filter(has_text="Phiên đăng nhập đã hết hạn")
    expect(banner).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("pending-count")).not_to_have_attribute("data-count", "0")
    shot(page, "session-expired")
    assert held(live_server, inspection_id)["status"] == "planned"  # nothing went out

    banner.get_by_label("Mật khẩu", exact=False).fill("inspector-demo-2026")
    banner.get_by_role("button", name="Gửi lại với mật khẩu").click()
    wait_until_sent(page)
    server = held(live_server, inspection_id)
    assert server["status"] == "in_progress"
    assert [(a["item_key"], a["value"]["value"]) for a in server["answers"]] == [(item.key, "no")]

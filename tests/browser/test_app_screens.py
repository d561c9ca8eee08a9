"""The app as a person meets it beyond the main flow: a start with no location, the English
switch, and touch targets a thumb can hit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.flows import (
    held,
    login,
    open_inspection,
    plan_visit,
    to_section,
    wait_until_sent,
)

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.sqlite_only


def test_a_start_without_location_is_possible_and_says_what_the_server_will_flag(
    live_server, phone_context, shot, axe_check
) -> None:
    inspection_id = plan_visit(live_server, "TN-TD")
    phone = phone_context(permissions=[])  # the inspector said no to location
    page = phone.page
    page.goto("/app/")
    login(page)
    open_inspection(page, "Xã Trung Đông")
    page.get_by_role("button", name="Bắt đầu kiểm tra").click()
    expect(page.get_by_text("Không lấy được vị trí")).to_be_visible()
    shot(page, "no-location")
    violations = axe_check(page)
    assert not violations, violations.report()
    page.get_by_role("button", name="Bắt đầu không có vị trí").click()
    expect(page.locator('[data-flag="no_location"]')).to_be_visible()
    wait_until_sent(page)
    server = held(live_server, inspection_id)
    assert server["status"] == "in_progress"
    assert "no_location" in server["flags"]
    assert server["start"]["latitude"] is None


def test_the_english_switch_changes_every_screen_and_is_remembered(
    live_server, phone_context, shot, axe_check
) -> None:

    inspection_id = plan_visit(live_server, "TN-CT")
    phone = phone_context(latitude=20.2529, longitude=106.2181)
    page = phone.page
    page.goto("/app/")
    login(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My inspections")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("heading", name="My inspections")).to_be_visible()
    open_inspection(page, "Cat Thanh Town", link="Open")
    page.get_by_role("button", name="Start the inspection").click()
    expect(page.get_by_role("heading", name="Sections")).to_be_visible()
    page.goto(f"/app/inspections/{inspection_id}/sections/A")
    expect(page.get_by_text("Guidance").first).to_be_visible()
    # Checklist texts come from the checklist's own English.
    expect(page.get_by_role("heading", level=2).filter(has_text="A. ")).not_to_contain_text(
        "Kỷ luật"
    )
    shot(page, "english-section")
    violations = axe_check(page)
    assert not violations, violations.report()
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_text("Hướng dẫn").first).to_be_visible()


def test_every_control_is_big_enough_for_a_thumb(live_server, phone_context) -> None:
    inspection_id = plan_visit(live_server, "TN-VH")
    phone = phone_context(latitude=20.2818, longitude=106.2102)
    page = phone.page
    page.goto("/app/")
    login(page)
    open_inspection(page, "Xã Việt Hùng")
    page.get_by_role("button", name="Bắt đầu kiểm tra").click()
    # A plan that sealed no dossier sample shows nothing of one.
    expect(page.get_by_role("heading", name="Các phần kiểm tra")).to_be_visible()
    expect(page.get_by_test_id("sample-entry")).to_have_count(0)
    for section in ("A", "D"):
        to_section(page, inspection_id, section)
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                  'main button, main a.button, main input:not(.visually-hidden), main select, '
                  + 'main textarea, main summary, main label.button, header button')]
                .filter((element) => element.offsetParent !== null)
                .map((element) => [element.outerHTML.slice(0, 80), element.getBoundingClientRect()])
                .filter(([, box]) => box.height < 44 || box.width < 44)
                .map(([html, box]) => `${html} ${Math.round(box.width)}×${Math.round(box.height)}`)"""
        )
        assert small == [], small

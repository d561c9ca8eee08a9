"""Items the dossier ledger pre-fills, on the phone in real Chromium: the demo's Việt Hùng ledger
offers its figures with their source, one tap takes one, a different figure asks for a note
(and holds the submit back until it has one), and the server stores where the value came from."""

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
pytestmark = pytest.mark.postgres_only


def test_the_inspector_takes_a_figure_from_the_dossier_ledger(
    live_server, phone_context, shot, axe_check
) -> None:
    inspection_id = plan_visit(live_server, "TN-VH")
    phone = phone_context(latitude=20.2818, longitude=106.2102)  # at Việt Hùng
    page = phone.page
    page.goto("/app/")
    login(page)
    open_inspection(page, "Xã Việt Hùng")
    page.get_by_role("button", name="Bắt đầu kiểm tra").click()
    expect(page.get_by_role("heading", name="Các phần kiểm tra")).to_be_visible()
    to_section(page, inspection_id, "D")

    d5 = page.locator('[data-item="D5"]')
    box = d5.get_by_test_id("prefill-D5")
    expect(box).to_contain_text("Từ sổ theo dõi hồ sơ:")
    expect(box).to_contain_text(" hồ sơ, ")
    shot(page, "prefill-offered")
    d5.get_by_test_id("prefill-take-D5").click()
    expect(box).to_have_attribute("data-taken", "yes")
    expect(box).to_contain_text("Đã lấy theo sổ theo dõi hồ sơ")
    numerator = d5.locator('input[data-part="numerator"]').input_value()
    denominator = d5.locator('input[data-part="denominator"]').input_value()
    assert numerator.isdigit() and denominator.isdigit() and int(denominator) > 0

    # The backlog counted on site differs from the ledger's: the phone asks why.
    d7 = page.locator('[data-item="D7"]')
    expect(d7.get_by_test_id("prefill-D7")).to_be_visible()
    d7.locator('input[type="number"]').fill("7")
    d7.locator('input[type="number"]').press("Tab")
    expect(d7.get_by_text("Khác số liệu sổ theo dõi hồ sơ: ghi chú lý do")).to_be_visible()
    expect(d7.get_by_test_id("evidence-problem")).to_contain_text("khác sổ theo dõi hồ sơ")
    shot(page, "prefill-differs")
    violations = axe_check(page)
    assert not violations, violations.report()
    page.goto(f"/app/inspections/{inspection_id}/review")
    expect(page.get_by_test_id("evidence-problems")).to_contain_text("D7")
    to_section(page, inspection_id, "D")
    note = page.get_by_test_id("note-D7")
    note.fill("Đếm lại trên hệ thống sáng nay: 7 hồ sơ quá hạn")
    note.press("Tab")
    # Explained; a photo is still owed, as for any failed item.
    expect(page.locator('[data-item="D7"]').get_by_test_id("evidence-problem")).not_to_contain_text(
        "khác sổ theo dõi hồ sơ"
    )

    wait_until_sent(page)
    answers = {a["item_key"]: a for a in held(live_server, inspection_id)["answers"]}
    assert answers["D5"]["source"] == "dossier_ledger"
    assert answers["D5"]["value"]["numerator"] == int(numerator)
    assert answers["D5"]["value"]["denominator"] == int(denominator)
    assert answers["D7"]["source"] is None and answers["D7"]["value"]["value"] == 7

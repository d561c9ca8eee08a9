"""The sealed dossier sample on the inspector's phone, in real Chromium against the real server:
a sampled dossier checked with the network cut (a mismatch with the paper's date, a photo, a
note), kept through a reboot, sent when the network is back, held by the server as recorded,
and turned into a finding naming the dossier on submit. Screens at 360 × 640 as well."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from server.demo.ledgers import last_full_quarter
from tests.browser.flows import (
    INSPECTOR_PASSWORD,
    Answering,
    answer_checklist,
    camera_photo,
    held,
    login,
    ready_for_offline,
    shipped_template,
    shipped_version_id,
    start,
    wait_until_sent,
)

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.postgres_only

UNIT_CODE = "TN-VH"  # a commune with a dossier ledger in the demo
# Not kiemtra1, whose list other modules read by unit name: this visit must not show up there.
INSPECTOR = "kiemtra2"
SAMPLE_SIZE = 3
NOTE = "Phiếu kiểm soát quá trình ghi ngày ký khác hệ thống."


def plan_with_sample(live_server: Any) -> str:
    """The district's leader plans a visit to the commune for kiemtra2, open now, sealing a
    sample of the demo ledger's quarter; returns the inspection id."""
    admin = live_server.login("admin")
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=admin).json()}
    users = {u["username"]: u for u in live_server.api("GET", "/api/v1/users", token=admin).json()}
    leader = live_server.login("lanhdao.trucninh")
    # The shipped checklist's version, which the test answers (another module may publish others).
    version_id = shipped_version_id(live_server, leader)
    first, last = last_full_quarter(datetime.now(UTC).date())
    now = datetime.now(UTC)
    response = live_server.api(
        "POST",
        "/api/v1/plans",
        token=leader,
        json={
            "title": "Kiểm tra đột xuất, đối chiếu hồ sơ",
            "checklist_version_id": version_id,
            "scope_unit_id": units["TN"]["id"],
            "window_start": (now - timedelta(hours=1)).isoformat(),
            "window_end": (now + timedelta(days=3)).isoformat(),
            "assignment_visibility": "at_creation",
            "teams": [{"head_id": users[INSPECTOR]["id"], "member_ids": []}],
            "targets": [{"unit_id": units[UNIT_CODE]["id"]}],
            "dossier_sample": {
                "size": SAMPLE_SIZE,
                "period_from": first.isoformat(),
                "period_to": last.isoformat(),
            },
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["targets"][0]["inspection_id"])


def assignment(live_server: Any, inspection_id: str) -> dict[str, Any]:
    """The inspection as the inspector's phone gets it from the bootstrap (sample and checks)."""
    token = live_server.login(INSPECTOR)
    data = live_server.api("GET", "/mobile/v1/bootstrap", token=token).json()
    return next(a for a in data["assignments"] if a["id"] == inspection_id)


def fits_a_small_phone(page: Page) -> None:
    """At 360 × 640 nothing sticks out sideways, and every control is big enough for a thumb."""
    page.set_viewport_size({"width": 360, "height": 640})
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 360, f"the screen is {overflow} px wide at 360 px"
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              'main button, main a.button, main a.dossier-link, main input:not(.visually-hidden), '
              + 'main textarea, main label.button')]
            .filter((element) => element.offsetParent !== null)
            .map((element) => [element.outerHTML.slice(0, 80), element.getBoundingClientRect()])
            .filter(([, box]) => box.height < 44 || box.width < 44)
            .map(([html, box]) => `${html} ${Math.round(box.width)}×${Math.round(box.height)}`)"""
    )
    assert small == [], small


def test_a_sampled_dossier_checked_offline_reaches_the_server_and_becomes_a_finding(
    live_server, phone_context, shot, axe_check, tmp_path: Path
) -> None:
    inspection_id = plan_with_sample(live_server)
    sample = assignment(live_server, inspection_id)["dossier_sample"]
    assert sample and len(sample) == SAMPLE_SIZE, sample
    code = sample[0]["dossier_code"]
    # What the inspector reads on the paper file (local time): a day in the ledger's quarter.
    day = last_full_quarter(datetime.now(UTC).date())[0] + timedelta(days=20)
    paper_resolved = f"{day.isoformat()}T16:40"
    admin = live_server.login("admin")
    unit = next(
        u
        for u in live_server.api("GET", "/api/v1/units", token=admin).json()
        if u["code"] == UNIT_CODE
    )
    phone = phone_context(latitude=unit["latitude"], longitude=unit["longitude"], reboots=True)
    page = phone.page
    page.goto("/app/")
    login(page, INSPECTOR, INSPECTOR_PASSWORD)
    ready_for_offline(page)

    # Offline from here to the check's end: the sample came with the assignment.
    phone.set_offline(True)
    page.goto(f"/app/inspections/{inspection_id}")
    start(page)
    entry = page.get_by_test_id("sample-entry")
    expect(entry.get_by_test_id("sample-progress")).to_have_text(
        f"Đã kiểm tra 0/{SAMPLE_SIZE} hồ sơ"
    )
    shot(page, "inspection-with-sample")
    entry.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Hồ sơ mẫu")).to_be_visible()
    expect(page.get_by_test_id("dossier-row")).to_have_count(SAMPLE_SIZE)
    shot(page, "sample-list")
    violations = axe_check(page)
    assert not violations, violations.report()

    page.locator(f'[data-testid=dossier-row][data-code="{code}"] a').click()
    card = page.get_by_test_id("dossier-check")
    expect(card).to_have_attribute("data-code", code)
    card.locator('[data-check="received"] button[data-value="match"]').click()
    card.locator('[data-check="components"] button[data-value="match"]').click()
    card.locator('[data-check="resolved"] button[data-value="mismatch"]').click()
    paper = card.get_by_test_id("paper-resolved")
    paper.fill(paper_resolved)
    paper.press("Tab")
    card.get_by_test_id("photo-input-dossier").set_input_files(
        str(camera_photo(tmp_path / "phieu-kiem-soat.jpg", 41))
    )
    expect(card.get_by_test_id("photo-thumb")).to_have_count(1, timeout=20_000)
    note = card.get_by_test_id("note-dossier")
    note.fill(NOTE)
    note.press("Tab")
    expect(card).to_have_attribute("data-state", "mismatch")
    shot(page, "dossier-check")
    violations = axe_check(page)
    assert not violations, violations.report()
    fits_a_small_phone(page)
    shot(page, "dossier-check-360x640")
    # In English too, with the system's dates as the paper writes them.
    page.get_by_role("button", name="English").click()
    expect(card.locator('[data-check="received"] button[data-value="match"]')).to_have_text("Match")
    expect(card.locator('[data-check="resolved"] legend')).to_have_text("Resolved / signed date")
    expect(card.get_by_test_id("dossier-state")).to_have_text("Mismatch")
    shot(page, "dossier-check-english")
    violations = axe_check(page)
    assert not violations, violations.report()
    page.get_by_role("button", name="Tiếng Việt").click()

    # A reboot, still offline: all of it is on the phone.
    page = phone.reopen()
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"/app/inspections/{inspection_id}/dossiers")
    row = page.locator(f'[data-testid=dossier-row][data-code="{code}"]')
    expect(row).to_have_attribute("data-state", "mismatch")
    expect(page.get_by_test_id("sample-progress")).to_contain_text(
        f"Đã kiểm tra 1/{SAMPLE_SIZE} hồ sơ · 1 hồ sơ không khớp"
    )
    fits_a_small_phone(page)
    shot(page, "sample-list-after-reboot-360x640")
    assert assignment(live_server, inspection_id)["dossier_checks"] == []

    phone.set_offline(False)
    wait_until_sent(page)
    expect(page.locator(".syncbar-rejected")).to_have_count(0)
    checks = assignment(live_server, inspection_id)["dossier_checks"]
    assert [check["dossier_code"] for check in checks] == [code]
    check = checks[0]
    assert check["checks"] == {
        "received": "match",
        "resolved": "mismatch",
        "returned": "not_checked",
        "components": "match",
        "result": "not_checked",
        "fee_receipt": "not_checked",
        "receipt_slip": "not_checked",
    }
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    expected_paper = datetime.fromisoformat(paper_resolved).replace(tzinfo=zone)
    assert datetime.fromisoformat(check["paper"]["resolved_at"]) == expected_paper
    assert not check["paper"].get("received_at") and not check["paper"].get("returned_at")
    assert check["note"] == NOTE
    assert len(check["evidence"]) == 1

    # D4 (recorded times match reality) offers the figure the checks give: one sampled dossier
    # with a date compared, whose resolved date does not match.
    page.goto(f"/app/inspections/{inspection_id}/sections/D")
    d4 = page.get_by_test_id("prefill-D4")
    expect(d4).to_have_attribute("data-source", "dossier_sample")
    expect(d4).to_contain_text(
        f"Theo kết quả đối chiếu hồ sơ mẫu: 1 (đã đối chiếu 1/{SAMPLE_SIZE} hồ sơ mẫu)"
    )
    d4.scroll_into_view_if_needed()
    shot(page, "d4-from-the-sample")

    # The review warns of the dossiers left unchecked and counts the finding to come; then the
    # whole checklist, submit, and the server makes the finding.
    page.goto(f"/app/inspections/{inspection_id}")
    answer_checklist(page, shipped_template(), Answering(failed=set()), tmp_path, in_page=True)
    expect(page.get_by_role("heading", name="Xem lại và nộp")).to_be_visible()
    review = page.get_by_test_id("review-sample")
    expect(review.get_by_test_id("review-sample-unchecked")).to_contain_text(
        f"{SAMPLE_SIZE - 1} hồ sơ mẫu chưa kiểm tra"
    )
    expect(review.get_by_test_id("review-sample-mismatches")).to_have_text(
        "1 hồ sơ không khớp sẽ thành phát hiện khi nộp."
    )
    shot(page, "review-with-sample")
    violations = axe_check(page)
    assert not violations, violations.report()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp kết quả").click()
    expect(page.get_by_role("heading", name="Ký biên bản")).to_be_visible()
    wait_until_sent(page)

    server = held(live_server, inspection_id)
    assert server["status"] == "submitted", server["status"]
    from_sample = [f for f in server["findings"] if code in f["description"]]
    assert len(from_sample) == 1, server["findings"]
    assert f"{day:%d/%m/%Y} 16:40" in from_sample[0]["description"]
    # The checklist flow answered D4 with 0 and a note: judged against the stored checks.
    d4_answer = next(a for a in server["answers"] if a["item_key"] == "D4")
    judged = d4_answer["ledger"]
    assert (judged["status"], judged["source"], judged["value"]) == (
        "override",
        "dossier_sample",
        1,
    )
    assert (judged["checked"], judged["sampled"]) == (1, SAMPLE_SIZE)
    assert len(from_sample[0]["evidence"]) == 1

"""The inspector's phone app in real Chromium against the real server: the whole visit done with
the network cut (reload and a reboot in the middle), everything arriving exactly once when the
network is back, every screen checked with axe and kept as a screenshot under
tests/browser/artifacts/; and a note typed the very moment its box opens, which is what gets saved
even when the app settles late (a slow phone)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flows import (
    Answering,
    answer_checklist,
    answer_item,
    camera_photo,
    held,
    login,
    open_inspection,
    plan_visit,
    ready_for_offline,
    shipped_template,
    sign_both,
    start,
    to_section,
    wait_until_sent,
)

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.sqlite_only


UNIT_NAME = "Xã Phương Định"
FAILED = {"A5", "B2", "D1", "D7"}  # yes_no, yes_no, percent (partly met), count


def assert_accessible(page: Page, axe_check: Any, screen: str) -> None:
    violations = axe_check(page)
    assert not violations, f"{screen}:\n{violations.report()}"


def server_view(live_server: Any, inspection_id: str) -> dict[str, Any]:
    token = live_server.login("admin")
    response = live_server.api("GET", f"/api/v1/inspections/{inspection_id}", token=token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_whole_inspection_offline_arrives_once_when_the_network_returns(
    live_server, phone_context, shot, axe_check, tmp_path: Path
) -> None:

    template = shipped_template()
    inspection_id = str(live_server.demo_open_inspection["id"])
    phone = phone_context(reboots=True)
    page = phone.page
    page.goto("/app/")
    shot(page, "login")
    assert_accessible(page, axe_check, "login")
    login(page)
    # The service worker has precached the shell before the network goes.
    ready_for_offline(page)
    shot(page, "assignments")
    assert_accessible(page, axe_check, "assignments")

    phone.set_offline(True)
    open_inspection(page, UNIT_NAME)
    shot(page, "inspection-before-start")
    assert_accessible(page, axe_check, "inspection before the start")
    start(page)
    expect(page.get_by_test_id("flags")).to_have_count(0)  # on site, on time: nothing to flag
    shot(page, "inspection-started")

    answering = Answering(failed=FAILED)
    answer_checklist(page, template, answering, tmp_path, shot=shot)
    shot(page, "review-before-finding")

    # A finding recorded by hand, with a photo.
    page.goto(f"/app/inspections/{inspection_id}/findings/new")
    assert_accessible(page, axe_check, "new finding")
    page.get_by_label("Lĩnh vực").select_option("discipline")
    page.get_by_role("radio", name="Lớn").click()
    page.get_by_label("Mô tả").fill("Cán bộ tiếp nhận không đeo thẻ công chức khi làm việc.")
    page.get_by_label("Cán bộ liên quan (nếu có)").fill("Nguyễn Văn A")
    page.get_by_test_id("photo-input-finding").set_input_files(
        str(camera_photo(tmp_path / "finding.jpg", 7))
    )
    expect(page.get_by_text("Ảnh: 1")).to_be_visible(timeout=20_000)
    shot(page, "finding")
    page.get_by_role("button", name="Lưu phát hiện").click()
    expect(page.get_by_test_id("finding")).to_have_count(1)

    # A reload in the middle of the visit, offline: the shell comes from the service worker and
    # everything recorded comes back from IndexedDB.
    page.reload()
    expect(page.get_by_test_id("finding")).to_have_count(1)
    pending_before_reboot = int(
        page.get_by_test_id("pending-count").get_attribute("data-count") or 0
    )
    assert pending_before_reboot >= len(answering.values) + 2  # start, answers, notes, finding

    # The phone is switched off and on again, still with no network.
    page = phone.reopen()
    page.goto(f"/app/inspections/{inspection_id}/review")
    expect(page.get_by_role("heading", name="Xem lại và nộp")).to_be_visible()
    expect(page.get_by_test_id("pending-count")).to_have_attribute(
        "data-count", str(pending_before_reboot)
    )
    expect(page.get_by_test_id("missing-required")).to_have_count(0)
    expect(page.get_by_test_id("evidence-problems")).to_have_count(0)
    preview_total = page.get_by_test_id("score-total").inner_text()
    preview_band = page.get_by_test_id("score-band").get_attribute("data-band")
    shot(page, "review")
    assert_accessible(page, axe_check, "review")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp kết quả").click()
    expect(page.get_by_role("heading", name="Ký biên bản")).to_be_visible()
    shot(page, "sign-empty")
    assert_accessible(page, axe_check, "sign")
    sign_both(page, "Vũ Đức Phương")
    shot(page, "signed-offline")

    # Nothing has reached the server yet.
    assert server_view(live_server, inspection_id)["status"] == "planned"

    phone.set_offline(False)
    wait_until_sent(page)
    expect(page.locator("[data-testid=sync-status] .syncbar-rejected")).to_have_count(0)

    held = server_view(live_server, inspection_id)
    assert held["status"] == "signed", held["status"]
    answers = {answer["item_key"]: answer for answer in held["answers"]}
    assert set(answers) == set(answering.values)
    for key, given in answering.values.items():
        stored = answers[key]["value"]
        for field, value in given.items():
            assert stored[field] == value, (key, field, stored)
        assert len(answers[key]["evidence"]) == answering.photo_items.get(key, 0), key
        assert answers[key]["note"] == answering.notes.get(key), key
    manual = [finding for finding in held["findings"] if finding["source"] != "checklist"]
    assert [(f["description"], f["staff_name"], len(f["evidence"])) for f in manual] == [
        ("Cán bộ tiếp nhận không đeo thẻ công chức khi làm việc.", "Nguyễn Văn A", 1)
    ]
    from_items = sorted(f["item_key"] for f in held["findings"] if f["source"] == "checklist")
    assert from_items == sorted(FAILED)
    assert sorted(s["signer_role"] for s in held["signatures"]) == [
        "team_head",
        "unit_representative",
    ]
    assert all(s["image_sha256"] for s in held["signatures"])
    # The phone's preview is the server's score.
    assert preview_total.startswith(f"{held['total_score']:g}".replace(".", ","))
    assert held["rating_band"] == preview_band

    # Once the server has the signatures, the minutes open from the phone.
    page.goto(f"/app/inspections/{inspection_id}")
    with page.expect_response(lambda response: "minutes.pdf" in response.url) as minutes:
        page.get_by_test_id("minutes-open").click(timeout=30_000)
    assert minutes.value.status == 200
    assert minutes.value.headers["content-type"].startswith("application/pdf")
    shot(page, "minutes")
    assert_accessible(page, axe_check, "inspection with minutes")
    page.goto("/app/sync")
    shot(page, "sync")
    assert_accessible(page, axe_check, "sync")


# Types into the note box in the very moment it appears, before the app's effects have run (a quick
# thumb on a slow phone), then lets the next frames pass so that anything the app does late has
# happened. `insertText` is what a keyboard does: the browser counts it as the user's edit.
TYPE_AS_THE_BOX_OPENS = """(card, text) => new Promise((done) => {
    const observer = new MutationObserver(() => {
        const box = card.querySelector("textarea");
        if (!box) return;
        observer.disconnect();
        box.focus();
        document.execCommand("insertText", false, text);
        done();
    });
    observer.observe(card, { childList: true, subtree: true });
    card.querySelector(".note button").click();
})"""
LET_FRAMES_PASS = """() => new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 250))))"""


def test_a_note_typed_the_moment_its_box_opens_is_what_gets_saved(
    live_server, phone_context
) -> None:
    inspection_id = plan_visit(live_server, "NT-NA", scope="NT", leader="lanhdao.tinh")
    item = next(
        i
        for i in shipped_template().sections[0].items
        if i.answer_type.value == "yes_no" and i.evidence.note.value == "none" and not i.show_if
    )
    phone = phone_context(latitude=20.3421, longitude=106.1412)
    page = phone.page
    page.goto("/app/")
    login(page)
    page.goto(f"/app/inspections/{inspection_id}")
    start(page)
    to_section(page, inspection_id, "A")
    answer_item(page, item, {"value": "yes"})
    card = page.locator(f'[data-item="{item.key}"]')
    text = "Ghi ngay khi ô vừa mở: quầy số 2 vắng người."
    card.evaluate(TYPE_AS_THE_BOX_OPENS, text)
    page.evaluate(LET_FRAMES_PASS)
    box = card.get_by_test_id(f"note-{item.key}")
    expect(box).to_have_value(text, timeout=1_000)
    box.press("Tab")
    # The answer and its note reach the server a moment after the Tab (the phone syncs on its
    # own): ask the server until the note is there, or the time is up.
    deadline = time.monotonic() + 30
    while True:
        answers = held(live_server, inspection_id)["answers"]
        answer = next((a for a in answers if a["item_key"] == item.key), None)
        if (answer and answer["note"] == text) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    assert answer is not None, "the answer never reached the server"
    assert answer["note"] == text
    assert answer["value"]["value"] == "yes"

"""The admin's screens in the app, against a live server and real webhook receivers: a new unit
with a notification target (its secret masked, and kept when the form sends the mask back), a
test message followed until the worker has sent it, a message that failed requeued and
delivered, a new user, a checklist refused line by line and then published. On a phone and on a
desk, with a screenshot and an axe check of every screen."""

from __future__ import annotations

import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from piccolo.engine.base import Engine
from piccolo.table import Table
from playwright.sync_api import Page, expect

from server import cli
from server.app import wire_packages
from server.core import db
from server.core.settings import Settings
from tests.browser.conftest import LiveServer, PhoneFactory, Sessions
from tests.server.peers import running_http

# Browser tests are about the app; each module runs on one engine (the modules alternate, so both
# engines serve a real browser), which keeps `make test` within its time budget.
pytestmark = pytest.mark.postgres_only


ADMIN = "admin"
ADMIN_PASSWORD = "admin-demo-2026"
DESK = {
    "viewport": {"width": 1280, "height": 900},
    "device_scale_factor": 1,
    "is_mobile": False,
    "has_touch": False,
}
SECRET = "tok-3f9a7c"
WORKER_SECONDS = 20_000  # ms to wait for the screen to show what one worker round did

CHECKLIST = """\
key: kiem-tra-thu
version: 1
title: {vi: Kiểm tra thử, en: Trial check}
legal_bases:
  - code: ct-26-2016
    title: {vi: Chỉ thị 26, en: Directive 26}
rating_bands:
  - key: good
    label: {vi: Tốt, en: Good}
    min_score: 80
  - key: failed
    label: {vi: Không đạt, en: Not achieved}
    min_score: 0
total_points: 10
sections:
  - key: A
    title: {vi: Kỷ luật, en: Discipline}
    points: 10
    items:
      - key: A1
        answer_type: yes_no
        text: {vi: Có mặt đúng giờ, en: Present on time}
        points: 6
        severity: critical
        category: discipline
        legal_basis: [ct-26-2016]
      - key: A2
        answer_type: yes_no
        text: {vi: Đeo thẻ công chức, en: Wears the staff badge}
        points: 4
        severity: minor
        category: discipline
"""
# Two mistakes: a legal basis nobody declared (line 26) and an answer type that does not exist
# (line 28, column 22).
BROKEN_CHECKLIST = CHECKLIST.replace("[ct-26-2016]", "[ct-99]").replace(
    "answer_type: yes_no\n        text: {vi: Đeo", "answer_type: yes_or_no\n        text: {vi: Đeo"
)


def log_in(page: Page) -> None:
    page.goto("/app/")
    page.get_by_label("Tên đăng nhập").fill(ADMIN)
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Đơn vị", level=1)).to_be_visible()


def admin_page(phone_context: PhoneFactory, sessions: Sessions, **options: Any) -> Page:
    """A new phone (or desk, with `options`) of the admin on the units: logged in through the
    login screen the first time in this run, on the session kept from then after."""
    page = phone_context(**sessions.options(ADMIN), **options).page
    if ADMIN in sessions:
        page.goto("/app/")
        expect(page.get_by_role("heading", name="Đơn vị", level=1)).to_be_visible()
    else:
        log_in(page)
        sessions.keep(ADMIN, page)
    return page


def evidence(page: Page, shot: Any, axe_check: Any, step: str) -> None:
    shot(page, step)
    violations = axe_check(page)
    assert not violations, f"{step}:\n{violations.report()}"


def run_worker(live_server: LiveServer, settings: Settings) -> None:
    """One round of `spotcheck worker --once` on the live server's database: the command itself,
    run in this process. A process of its own imported the whole server first, about two seconds
    of CPU a round, most of what the round cost. In a thread: the command runs an event loop of
    its own, and Playwright's counts as running in this one. The tables' engine and the packages'
    wiring are put back afterwards for the tests that follow, as the `spotcheck` fixture does."""
    bound: tuple[Engine, list[type[Table]]] | None
    try:
        bound = (db.engine(), db.bound_tables())
    except RuntimeError:  # nothing bound yet: the first app the suite builds binds its own
        bound = None
    output = io.StringIO()

    def call() -> int:
        with (
            patch.dict(os.environ, live_server.env),
            redirect_stdout(output),
            redirect_stderr(output),
        ):
            return cli.main(["worker", "--once"])

    try:
        with ThreadPoolExecutor(max_workers=1) as thread:
            returncode = thread.submit(call).result()
    finally:
        if bound is not None:
            db.bind_engine(*bound)
        wire_packages(settings)
    assert returncode == 0, output.getvalue()[-3000:]


def to_screen(page: Page, nav_label: str, heading: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=nav_label).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def test_on_a_phone_the_admin_adds_a_unit_tests_its_targets_and_requeues_a_failure(
    live_server, phone_context, sessions, shot, axe_check, settings
) -> None:
    with running_http() as receiver, running_http() as flaky:
        page = admin_page(phone_context, sessions)
        tree = page.get_by_test_id("unit-tree")
        expect(tree.get_by_role("link", name=re.compile("Huyện Trực Ninh"))).to_be_visible()
        evidence(page, shot, axe_check, "phone-units")

        # A new commune under Trực Ninh, with a webhook whose URL carries a secret.
        tree.get_by_role("link", name=re.compile("Huyện Trực Ninh")).click()
        expect(page.get_by_test_id("unit-editor")).to_have_attribute("data-code", "TN")
        page.get_by_role("link", name="+ Thêm đơn vị trực thuộc").click()
        form = page.get_by_test_id("unit-create")
        expect(form.get_by_role("heading")).to_contain_text("Huyện Trực Ninh")
        form.get_by_label("Mã đơn vị", exact=True).fill("TN-KT")
        form.get_by_label("Tên tiếng Việt", exact=True).fill("Xã Kiểm Thử")
        form.get_by_label("Tên tiếng Anh", exact=True).fill("Kiem Thu Commune")
        form.get_by_label("Vĩ độ").fill("20.2611")
        form.get_by_label("Kinh độ").fill("106.2222")
        form.get_by_label("Bán kính cho phép (m)").fill("250")
        form.get_by_role("button", name="+ Thêm kênh").click()
        form.get_by_label("Kênh thông báo 1", exact=True).fill(receiver.url("/hook", secret=SECRET))
        evidence(page, shot, axe_check, "phone-unit-new")
        form.get_by_role("button", name="Thêm đơn vị", exact=True).click()
        editor = page.get_by_test_id("unit-editor")
        expect(editor).to_have_attribute("data-code", "TN-KT")
        masked = editor.get_by_label("Kênh thông báo 1", exact=True)
        expect(masked).not_to_have_value(re.compile(SECRET))
        expect(masked).to_have_value(re.compile(rf"127\.0\.0\.1:{receiver.port}/hook"))

        token = live_server.login(ADMIN)
        units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=token).json()}
        unit = units["TN-KT"]
        assert unit["parent_id"] == units["TN"]["id"]
        assert (unit["latitude"], unit["longitude"], unit["geofence_radius_m"]) == (
            20.2611,
            106.2222,
            250,
        )
        assert SECRET not in str(unit["notification_targets"])

        # A second target, one that answers 500. Saving sends the first one back masked: the
        # server must keep its secret (the test message below still carries it).
        flaky.mode = "fail"
        editor.get_by_role("button", name="+ Thêm kênh").click()
        editor.get_by_label("Kênh thông báo 2", exact=True).fill(flaky.url("/flaky"))
        editor.get_by_role("button", name="Lưu", exact=True).click()
        expect(editor.get_by_test_id("admin-notice")).to_have_text("Đã lưu.")

        # A test message to both, followed on screen until the worker is done with each.
        test_card = page.get_by_test_id("unit-test")
        test_card.get_by_role("button", name="Gửi tin thử").click()
        watched = test_card.get_by_test_id("watched-message")
        expect(watched).to_have_count(2)
        expect(
            test_card.locator('[data-testid="watched-message"][data-status="pending"]')
        ).to_have_count(2)
        run_worker(live_server, settings)
        sent = test_card.locator('[data-testid="watched-message"][data-status="sent"]')
        failed = test_card.locator('[data-testid="watched-message"][data-status="failed"]')
        expect(sent).to_have_count(1, timeout=WORKER_SECONDS)
        expect(failed).to_have_count(1, timeout=WORKER_SECONDS)
        expect(sent.get_by_text("Đã gửi tới kênh này.")).to_be_visible()
        expect(sent.get_by_test_id("outbox-target")).to_contain_text(f":{receiver.port}/hook")
        expect(failed.get_by_test_id("outbox-error")).to_contain_text("500")
        [hit] = receiver.received()
        assert hit.path.startswith("/hook")
        assert (hit.event_key or "").startswith(f"test:{unit['id']}:")
        assert hit.headers.get("x-token") == SECRET
        failed_id = failed.get_attribute("data-id")
        assert failed_id
        evidence(page, shot, axe_check, "phone-test-message")

        # Moved under another district; below itself is not offered.
        move = editor.get_by_test_id("unit-move")
        expect(move.locator(f'option[value="{unit["id"]}"]')).to_be_disabled()
        move.get_by_label("Chuyển về trực thuộc").select_option(units["NT"]["id"])
        move.get_by_role("button", name="Chuyển", exact=True).click()
        expect(move.get_by_test_id("admin-notice")).to_have_text("Đã chuyển đơn vị.")
        moved = live_server.api("GET", f"/api/v1/units/{unit['id']}", token=token).json()
        assert moved["parent_id"] == units["NT"]["id"]

        # The receiver is fixed; the admin requeues the failed message from the list.
        flaky.mode = "ok"
        to_screen(page, "Thông báo lỗi", "Thông báo gửi không thành công")
        row = page.locator(f'[data-testid="failed-message"][data-id="{failed_id}"]')
        expect(row.get_by_test_id("outbox-status")).to_have_attribute("data-status", "failed")
        expect(row.get_by_test_id("outbox-target")).to_contain_text(f":{flaky.port}/flaky")
        expect(row.get_by_text("Đã thử 1/")).to_be_visible()
        expect(row.get_by_test_id("outbox-error")).to_be_visible()
        evidence(page, shot, axe_check, "phone-notifications")
        row.get_by_role("button", name="Gửi lại").click()
        requeued = row.get_by_test_id("watched-message")
        expect(requeued).to_have_attribute("data-status", "pending")
        run_worker(live_server, settings)
        expect(requeued).to_have_attribute("data-status", "sent", timeout=WORKER_SECONDS)
        message = live_server.api("GET", f"/api/v1/notifications/{failed_id}", token=token).json()
        assert message["status"] == "sent"
        assert [h.answered for h in flaky.received()] == [500, 200]
        assert flaky.received()[-1].event_key == message["event_key"]
        evidence(page, shot, axe_check, "phone-notification-requeued")

        to_screen(page, "Người dùng", "Người dùng")
        expect(page.get_by_test_id("user-row").first).to_be_visible()
        evidence(page, shot, axe_check, "phone-users")
        to_screen(page, "Bảng kiểm", "Bảng kiểm")
        expect(page.get_by_test_id("checklist-template").first).to_be_visible()
        evidence(page, shot, axe_check, "phone-checklists")


def test_at_a_desk_the_admin_manages_users_and_publishes_a_checklist(
    live_server, phone_context, sessions, shot, axe_check, tmp_path: Path
) -> None:
    token = live_server.login(ADMIN)
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=token).json()}
    page = admin_page(phone_context, sessions, **DESK)
    evidence(page, shot, axe_check, "desk-units")
    page.get_by_role("button", name="Mở các đơn vị trực thuộc Huyện Trực Ninh (cũ)").click()
    page.get_by_test_id("unit-tree").get_by_role("link", name=re.compile("Xã Phương Định")).click()
    expect(page.get_by_test_id("unit-editor")).to_have_attribute("data-code", "TN-PD")
    expect(page.get_by_test_id("unit-tree")).to_be_visible()  # side by side on a desk
    evidence(page, shot, axe_check, "desk-unit-open")

    # A new inspector, then made head of a commune, then a new password.
    to_screen(page, "Người dùng", "Người dùng")
    expect(page.get_by_test_id("user-row").first).to_be_visible()
    evidence(page, shot, axe_check, "desk-users")
    page.get_by_role("link", name="+ Thêm người dùng").click()
    form = page.get_by_test_id("user-create")
    form.get_by_label("Tên đăng nhập").fill("kiemtra.moi")
    form.get_by_label("Họ và tên").fill("Ngô Thị Mới")
    form.get_by_label("Vai trò").select_option("inspector")
    form.get_by_label("Đơn vị công tác").select_option(units["NB-SNV"]["id"])
    form.get_by_label("Mật khẩu", exact=True).fill("short")
    form.get_by_role("button", name="Tạo người dùng").click()
    expect(form.get_by_test_id("admin-error")).to_contain_text("ít nhất 10 ký tự")
    form.get_by_label("Mật khẩu", exact=True).fill("mat-khau-dau-tien")
    evidence(page, shot, axe_check, "desk-user-new")
    form.get_by_role("button", name="Tạo người dùng").click()
    editor = page.get_by_test_id("user-editor")
    expect(editor).to_have_attribute("data-username", "kiemtra.moi")
    expect(page.locator('[data-testid="user-row"][data-username="kiemtra.moi"]')).to_be_visible()
    editor.get_by_label("Vai trò").select_option("unit_head")
    editor.get_by_label("Đơn vị công tác").select_option(units["TN-PD"]["id"])
    editor.get_by_role("button", name="Lưu", exact=True).click()
    expect(editor.get_by_test_id("admin-notice")).to_have_text("Đã lưu.")
    editor.get_by_label("Mật khẩu mới").fill("mat-khau-thu-hai")
    editor.get_by_role("button", name="Đặt lại mật khẩu").click()
    notices = editor.get_by_test_id("admin-notice")
    expect(notices.filter(has_text="Đã đặt lại mật khẩu")).to_be_visible()
    evidence(page, shot, axe_check, "desk-user-edited")
    users = live_server.api("GET", "/api/v1/users?limit=500", token=token).json()
    [created] = [u for u in users if u["username"] == "kiemtra.moi"]
    assert (created["role"], created["home_unit_id"]) == ("unit_head", units["TN-PD"]["id"])
    live_server.login("kiemtra.moi", "mat-khau-thu-hai")

    to_screen(page, "Thông báo lỗi", "Thông báo gửi không thành công")
    expect(page.get_by_test_id("failed-count")).to_be_visible()
    evidence(page, shot, axe_check, "desk-notifications")

    # A checklist with two mistakes: each listed at its line, one tap from it; then a good file.
    to_screen(page, "Bảng kiểm", "Bảng kiểm")
    publish = page.get_by_test_id("checklist-publish")
    publish.get_by_label("Nội dung YAML").fill(BROKEN_CHECKLIST)
    publish.get_by_role("button", name="Kiểm tra và công bố").click()
    issues = publish.get_by_test_id("checklist-issue")
    expect(issues).to_have_count(2)
    expect(issues.nth(0)).to_have_attribute("data-line", "26")
    expect(issues.nth(0)).to_contain_text("ct-99")
    expect(issues.nth(1)).to_have_attribute("data-line", "28")
    expect(issues.nth(1)).to_contain_text("yes_or_no")
    issues.nth(1).get_by_role("button", name="Dòng 28, cột 22").click()
    selected = page.evaluate(
        "() => { const a = document.activeElement;"
        " return a.value.slice(a.selectionStart, a.selectionEnd); }"
    )
    assert selected == "yes_or_no"
    evidence(page, shot, axe_check, "desk-checklist-refused")
    good = tmp_path / "kiem-tra-thu.yaml"
    good.write_text(CHECKLIST, encoding="utf-8")
    publish.get_by_label("Chọn tệp YAML").set_input_files(str(good))
    expect(publish.get_by_label("Nội dung YAML")).to_have_value(CHECKLIST)
    publish.get_by_role("button", name="Kiểm tra và công bố").click()
    expect(page.get_by_test_id("checklist-notice")).to_have_text(
        "Đã công bố kiem-tra-thu phiên bản 1."
    )
    expect(publish.get_by_test_id("checklist-issue")).to_have_count(0)
    template = page.locator('[data-testid="checklist-template"][data-key="kiem-tra-thu"]')
    expect(template.get_by_test_id("checklist-version")).to_have_count(1)
    evidence(page, shot, axe_check, "desk-checklist-published")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Checklists", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Check and publish")).to_be_visible()
    evidence(page, shot, axe_check, "desk-checklists-english")
    listed = live_server.api("GET", "/api/v1/checklists", token=token).json()
    keys = [template["template_key"] for template in listed]
    assert "kiem-tra-thu" in keys

"""What an inspector does on the phone, as steps the browser tests share: log in, open an
inspection, answer a whole checklist (with photos and notes where its rules ask), record a
finding, submit, sign. Each step works through the screen only, the way a person would; a test
whose point is not the answering may give a section's answers in one call into the page, through
the same controls (`answer_checklist(..., in_page=True)`)."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect

from checklists.format import AnyItem, ChecklistTemplate, PercentItem
from checklists.validator import load_template
from tests.conftest import ROOT

TEMPLATE_FILE = ROOT / "checklists" / "templates" / "one-stop-shop.yaml"
INSPECTOR = "kiemtra1"
INSPECTOR_PASSWORD = "inspector-demo-2026"


def shipped_template() -> ChecklistTemplate:
    return load_template(TEMPLATE_FILE.read_text(encoding="utf-8"))


def camera_photo(path: Path, seed: int, size: tuple[int, int] = (2400, 1800)) -> Path:
    """A photo as a phone camera makes it: larger than the app keeps (long edge > 1600 px)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        image.paste(colour, (x, y, min(size[0], x + 300), min(size[1], y + 200)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


@dataclass
class Answering:
    """What the inspector gave for each item, to compare with what the server holds."""

    failed: set[str]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    photo_items: dict[str, int] = field(default_factory=dict)


def login(page: Page, username: str = INSPECTOR, password: str = INSPECTOR_PASSWORD) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Cuộc kiểm tra được giao")).to_be_visible()


def ready_for_offline(page: Page) -> None:
    """Wait until the service worker controls the page: from then on the app's shell comes from
    its cache, so a page opened with the signal gone still loads (what a phone that has opened
    the app once can count on).

    A function, not an expression: Playwright evaluates an expression with eval() on every poll
    after the first, which the app's CSP (no 'unsafe-eval') refuses, so a worker that was not in
    control at the very first look failed the test with an EvalError instead of being waited for."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
    )


def open_inspection(page: Page, unit_name: str, link: str = "Mở") -> None:
    card = page.locator("li.card", has_text=unit_name)
    card.get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=unit_name, level=1)).to_be_visible()


def start(page: Page) -> None:
    page.get_by_role("button", name="Bắt đầu kiểm tra").click()
    expect(page.get_by_role("heading", name="Các phần kiểm tra")).to_be_visible()


def wait_until_sent(page: Page, timeout_ms: float = 60_000) -> None:
    expect(page.get_by_test_id("pending-count")).to_have_attribute(
        "data-count", "0", timeout=timeout_ms
    )


def answer_for(item: AnyItem, fail: bool) -> dict[str, Any]:
    kind = item.answer_type.value
    if kind in ("yes_no", "yes_no_na"):
        return {"value": "no" if fail else "yes"}
    if kind == "count":
        return {"value": 4 if fail else 0}
    if kind == "percent":
        assert isinstance(item, PercentItem)
        lower = item.scoring.direction.value == "lower_is_better"
        if fail:
            return {"numerator": 6 if lower else 4, "denominator": 10}
        return {"numerator": 0 if lower else 10, "denominator": 10}
    if kind == "date":
        return {"value": (datetime.now(UTC) - timedelta(days=20)).date().isoformat()}
    raise AssertionError(f"the shipped template has no {kind} item")


def answer_item(page: Page, item: AnyItem, answer: dict[str, Any]) -> None:
    card = page.locator(f'[data-item="{item.key}"]')
    kind = item.answer_type.value
    if kind in ("yes_no", "yes_no_na"):
        card.locator(f'button[data-value="{answer["value"]}"]').click()
    elif kind == "count":
        card.locator('input[type="number"]').fill(str(answer["value"]))
        card.locator('input[type="number"]').press("Tab")
    elif kind == "percent":
        card.locator('input[data-part="numerator"]').fill(str(answer["numerator"]))
        card.locator('input[data-part="denominator"]').fill(str(answer["denominator"]))
        card.locator('input[data-part="denominator"]').press("Tab")
    elif kind == "date":
        card.locator('input[type="date"]').fill(str(answer["value"]))
        card.locator('input[type="date"]').press("Tab")
    expect(card).not_to_have_attribute("data-outcome", "unanswered")


def add_photos(page: Page, item_key: str, files: list[Path]) -> None:
    card = page.locator(f'[data-item="{item_key}"]')
    for count, path in enumerate(files, start=1):
        card.get_by_test_id(f"photo-input-{item_key}").set_input_files(str(path))
        expect(card.get_by_test_id("photo-thumb")).to_have_count(count, timeout=20_000)


def write_note(page: Page, item_key: str, text: str) -> None:
    card = page.locator(f'[data-item="{item_key}"]')
    box = card.get_by_test_id(f"note-{item_key}")
    if not box.count():
        card.get_by_role("button", name="+ Ghi chú").click()
    box.fill(text)
    box.press("Tab")


# Answers a section's items one after the other inside the page, as taps and typing would: a
# choice's button is clicked, a number or a date is typed (an `input` event) and committed (the
# `change` event a Tab or a tap elsewhere fires), each through the app's own handlers, store and
# queue; the next item waits until the card shows the answer (its `data-outcome`) and a frame has
# passed, so an item whose show_if depends on an earlier one is seen as the screen shows it.
# Returns each answered item's key and whether the dossier ledger offered it a figure.
ANSWER_SECTION_IN_PAGE = """async (items) => {
    const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    const type = async (input, text) => {
        input.focus();
        setValue.call(input, text);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        await frame();
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.blur();
        await frame();
    };
    const card = (key) => document.querySelector(`[data-item="${key}"]`);
    const answered = [];
    for (const [key, kind, answer] of items) {
        if (!card(key)) continue;  // hidden by its show_if
        if (kind === "yes_no" || kind === "yes_no_na") {
            card(key).querySelector(`button[data-value="${answer.value}"]`).click();
        } else if (kind === "count") {
            await type(card(key).querySelector('input[type="number"]'), String(answer.value));
        } else if (kind === "date") {
            await type(card(key).querySelector('input[type="date"]'), answer.value);
        } else if (kind === "percent") {
            await type(card(key).querySelector('input[data-part="numerator"]'), String(answer.numerator));
            await type(card(key).querySelector('input[data-part="denominator"]'), String(answer.denominator));
        } else {
            throw new Error(`no way to answer a ${kind} item`);
        }
        const deadline = Date.now() + 10000;
        while (card(key).dataset.outcome === "unanswered") {
            if (Date.now() > deadline) throw new Error(`${key} still unanswered`);
            await frame();
        }
        await frame();
        answered.push([key, card(key).querySelector(`[data-testid="prefill-${key}"]`) !== null]);
    }
    return answered;
}"""


def answer_checklist(
    page: Page,
    template: ChecklistTemplate,
    answering: Answering,
    photo_dir: Path,
    shot: Any | None = None,
    *,
    in_page: bool = False,
) -> None:
    """Every section in turn, every item the screen shows; photos and notes where the
    checklist's evidence rules ask for them.

    With `in_page=True`, each section's answers are given in one call into the page
    (ANSWER_SECTION_IN_PAGE: the same controls' handlers, the app's own store and queue), then
    their photos and notes, instead of one Playwright action per control, each of which costs a
    few round trips and waits: for a test whose point is not the answering. The inspector's whole
    visit answers through the screen, item by item. Photos, notes and the moves between sections
    are Playwright's either way."""
    photo_seeds = iter(range(101, 10_000))
    page.locator("a.section-link").first.click()
    for index, section in enumerate(template.sections):
        expect(
            page.get_by_role("heading", level=2).filter(has_text=f"{section.key}. ")
        ).to_be_visible()
        if in_page:
            planned = {
                item.key: (item, answer_for(item, item.key in answering.failed))
                for item in section.items
            }
            given = page.evaluate(
                ANSWER_SECTION_IN_PAGE,
                [[key, item.answer_type.value, answer] for key, (item, answer) in planned.items()],
            )
            for key, offered in given:
                item, answer = planned[key]
                answering.values[key] = answer
                _give_evidence(page, item, bool(offered), answering, photo_dir, photo_seeds)
        else:
            for item in section.items:
                card = page.locator(f'[data-item="{item.key}"]')
                if not card.count():
                    continue  # hidden by its show_if
                answer = answer_for(item, item.key in answering.failed)
                answer_item(page, item, answer)
                answering.values[item.key] = answer
                offered = card.get_by_test_id(f"prefill-{item.key}").count() > 0
                _give_evidence(page, item, offered, answering, photo_dir, photo_seeds)
        if shot is not None and index == 0:
            shot(page, f"section-{section.key}")
        if index + 1 < len(template.sections):
            page.get_by_role("link", name="Phần tiếp →").click()
        else:
            page.get_by_role("link", name="Xem lại và nộp →").click()


def _give_evidence(
    page: Page,
    item: AnyItem,
    offered: bool,
    answering: Answering,
    photo_dir: Path,
    photo_seeds: Iterator[int],
) -> None:
    """The photos and the note the item's evidence rules ask for, given its answer."""
    fail = item.key in answering.failed
    rule = item.evidence.photo.value
    if rule == "always" or (rule == "on_fail" and fail):
        files = []
        for _ in range(item.evidence.min_photos):
            seed = next(photo_seeds)
            files.append(camera_photo(photo_dir / f"photo-{seed}.jpg", seed))
        add_photos(page, item.key, files)
        answering.photo_items[item.key] = len(files)
    note_rule = item.evidence.note.value
    # A value other than the one the unit's dossier ledger offers (`offered`) needs a note too.
    if note_rule == "always" or (note_rule == "on_fail" and fail) or fail or offered:
        text = f"Ghi nhận tại chỗ về {item.key}: thấy trực tiếp tại quầy."
        write_note(page, item.key, text)
        answering.notes[item.key] = text


def draw_signature(page: Page, container: Any) -> None:
    canvas = container.get_by_test_id("signature-canvas")
    # The mouse only reaches what is on screen: below the fold, the strokes drew nothing (seen
    # once under load, after the team head's signature folded its form away above this one).
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 22, y + (18 if step % 2 else -18), steps=3)
    page.mouse.up()


def sign_both(page: Page, representative: str) -> None:
    head = page.get_by_test_id("sign-team_head")
    draw_signature(page, head)
    head.get_by_role("button", name="Lưu chữ ký").click()
    expect(page.get_by_test_id("signed-team_head")).to_be_visible()
    rep = page.get_by_test_id("sign-unit_representative")
    rep.get_by_label("Họ và tên").fill(representative)
    draw_signature(page, rep)
    rep.get_by_role("button", name="Lưu chữ ký").click()
    expect(page.get_by_test_id("both-signed")).to_be_visible()


def shipped_version_id(live_server: Any, token: str) -> str:
    """The id of the shipped checklist's version, whatever other checklists or versions another
    module has published on the same server."""
    template = shipped_template()
    return next(
        str(version["id"])
        for listed in live_server.api("GET", "/api/v1/checklists", token=token).json()
        for version in listed["versions"]
        if version["template_key"] == template.key and version["version"] == template.version
    )


def draw_preview(
    live_server: Any, token: str, scope_id: str, head_id: str, draw: dict[str, Any]
) -> dict[str, Any]:
    """The server's draw preview for a week from now over `scope_id`, one team headed by
    `head_id`: what a leader's plan form shows before sealing."""
    now = datetime.now(UTC)
    response = live_server.api(
        "POST",
        "/api/v1/plans/draw-preview",
        token=token,
        json={
            "scope_unit_id": scope_id,
            "window_start": now.isoformat(),
            "window_end": (now + timedelta(days=7)).isoformat(),
            "teams": [{"head_id": head_id, "member_ids": []}],
            "draw": draw,
        },
    )
    assert response.status_code == 200, response.text
    preview: dict[str, Any] = response.json()
    return preview


def plan_visit(
    live_server: Any, unit_code: str, *, scope: str = "TN", leader: str = "lanhdao.trucninh"
) -> str:
    """`leader` plans a visit to `unit_code` (in `scope`) for kiemtra1, open now, on the shipped
    checklist; returns the inspection id."""
    admin = live_server.login("admin")
    units = {u["code"]: u for u in live_server.api("GET", "/api/v1/units", token=admin).json()}
    users = {u["username"]: u for u in live_server.api("GET", "/api/v1/users", token=admin).json()}
    leader_token = live_server.login(leader)
    version_id = shipped_version_id(live_server, leader_token)
    now = datetime.now(UTC)
    response = live_server.api(
        "POST",
        "/api/v1/plans",
        token=leader_token,
        json={
            "title": f"Kiểm tra đột xuất {unit_code}",
            "checklist_version_id": version_id,
            "scope_unit_id": units[scope]["id"],
            "window_start": (now - timedelta(hours=1)).isoformat(),
            "window_end": (now + timedelta(days=3)).isoformat(),
            "assignment_visibility": "at_creation",
            "teams": [{"head_id": users[INSPECTOR]["id"], "member_ids": []}],
            "targets": [{"unit_id": units[unit_code]["id"]}],
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["targets"][0]["inspection_id"])


def held(live_server: Any, inspection_id: str) -> dict[str, Any]:
    token = live_server.login("admin")
    response = live_server.api("GET", f"/api/v1/inspections/{inspection_id}", token=token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def to_section(page: Page, inspection_id: str, section: str) -> None:
    page.goto(f"/app/inspections/{inspection_id}/sections/{section}")
    expect(page.get_by_role("heading", level=2).filter(has_text=f"{section}. ")).to_be_visible()

"""The minutes PDF: every required part in order, in Vietnamese with diacritics; signed minutes
are stored once and byte-identical on re-render; their hashes verify publicly; the renderer
fetches nothing from outside the project."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.conftest import World, build_world, empty_all_tables, problem_detail
from tests.helpers import now_iso, op, publish_shipped_checklist, run_to_signed, sync
from tests.mobile_api.ledger_builders import (
    EXPECTED,
    answers_for,
    import_ledger,
    ledger_before,
    planned_visit,
)

# The header is two columns: text extraction reads the left one (parent body, issuer, number)
# before the right one (national name, motto, place and date).
REQUIRED_IN_ORDER = [
    "ỦY BAN NHÂN DÂN",
    "ĐOÀN KIỂM TRA CÔNG VỤ",
    "Số: 01/BB-ĐKT",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "ngày",
    "BIÊN BẢN",
    "Kiểm tra đột xuất việc thực hiện kỷ luật, kỷ cương hành chính",
    "Căn cứ",
    "Hôm nay, vào hồi",
    "I. THÀNH PHẦN",
    "II. NỘI DUNG, PHƯƠNG PHÁP KIỂM TRA",
    "III. KẾT QUẢ KIỂM TRA",
    "Tổng điểm:",
    "IV. TỒN TẠI, HẠN CHẾ",
    "V. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA",
    "VI. KIẾN NGHỊ, YÊU CẦU",
    "thời hạn: trước ngày",
    "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA",
    "TRƯỞNG ĐOÀN KIỂM TRA",
    "Nơi nhận:",
    "Lưu: VT",
    "Mã xác thực (SHA-256)",
    "Phụ lục",
    "DANH MỤC ẢNH, TÀI LIỆU CHỨNG CỨ",
]


@functools.cache
def pdf_text(pdf: bytes) -> tuple[str, list[str]]:
    """The text of each page (read once per document: the tests sharing one read it again)."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() or "" for page in reader.pages]
    return "\n".join(pages), pages


def squash(text: str) -> str:
    return " ".join(text.split())


NOTE = "ông Trần Văn Bình đến lúc 8 giờ 20"


@dataclass
class Signed:
    """What a leader of D1 reads of two inspections signed one after the other in one world: the
    first (C1; the critical A5 and C1 not met) numbered 01, the second (C2; A2 not met, with the
    inspector's note, and C1) numbered 02. The three tests below read these same documents, each
    rendered once: three renders and two inspections for the three tests, where each test built
    its own world, inspections and renders (five renders, four inspections). Everything is
    fetched here, so the tests that empty the tables (those taking `world`) may run before or
    after them without changing what they read."""

    first_vi: bytes
    first_vi_again: bytes
    second_vi: bytes
    second_en: bytes
    second_findings: dict[str, dict[str, Any]]
    verified_by_file_hash: httpx.Response
    verified_by_printed_hash: httpx.Response
    verified_unknown: httpx.Response


@pytest.fixture(scope="module")
async def signed(client: httpx.AsyncClient) -> Signed:
    await empty_all_tables()
    world = await build_world()
    first = await run_to_signed(client, world, "C1", {"A5", "C1"})
    second = await run_to_signed(client, world, "C2", {"A2", "C1"}, notes={"A2": NOTE})
    leader = await world.login(client, "leader_d1")

    async def minutes_of(inspection_id: str, query: str = "") -> bytes:
        url = f"/api/v1/inspections/{inspection_id}/minutes.pdf{query}"
        response = await client.get(url, headers=leader)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        return response.content

    first_vi = await minutes_of(first)
    printed = printed_hash(squash(pdf_text(first_vi)[0]))
    detail = (await client.get(f"/api/v1/inspections/{second}", headers=leader)).json()
    return Signed(
        first_vi=first_vi,
        first_vi_again=await minutes_of(first),
        second_vi=await minutes_of(second),
        second_en=await minutes_of(second, "?lang=en"),
        second_findings={finding["item_key"]: finding for finding in detail["findings"]},
        # Public: no token.
        verified_by_file_hash=await client.get(f"/verify/{hashlib.sha256(first_vi).hexdigest()}"),
        verified_by_printed_hash=await client.get(f"/verify/{printed}"),
        verified_unknown=await client.get(f"/verify/{'0' * 64}"),
    )


def printed_hash(flat_text: str) -> str:
    return flat_text.split("Mã xác thực (SHA-256) của nội dung biên bản:")[1].split(".")[0].strip()


async def test_signed_minutes_hold_every_part_in_order_and_verify(signed: Signed) -> None:
    pdf = signed.first_vi
    if os.environ.get("SPOTCHECK_DUMP_MINUTES"):  # to look at the demo: set it to a file path
        Path(os.environ["SPOTCHECK_DUMP_MINUTES"]).write_bytes(pdf)
    text, pages = pdf_text(pdf)
    flat = squash(text)
    position = 0
    for part in REQUIRED_IN_ORDER:
        found = flat.find(part, position)
        assert found >= 0, f"{part!r} missing or out of order after position {position}"
        position = found
    # Page numbers from page 2 only, at the top.
    assert len(pages) >= 2
    assert "1" not in [line.strip() for line in pages[0].splitlines()]
    for number, page in enumerate(pages[1:], start=2):
        if "DANH MỤC ẢNH, TÀI LIỆU CHỨNG CỨ" in page:
            continue  # the annex is numbered on its own (Decree 30)
        assert str(number) in [line.strip() for line in page.splitlines()], number
    # The critical failure (A5) is named, and the unit's deadline line is there.
    assert "A5" in flat

    assert signed.first_vi_again == pdf  # stored: byte-identical

    verified = signed.verified_by_file_hash
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["number"] == "01/BB-ĐKT"
    assert body["unit"] == "Đơn vị C1"
    assert body["status"] == "signed"
    assert set(body) == {"document", "number", "date", "unit", "status"}
    assert signed.verified_by_printed_hash.status_code == 200
    assert signed.verified_unknown.status_code == 404
    problem_detail(signed.verified_unknown)


async def test_english_translation_and_numbering(signed: Signed) -> None:
    # The second minutes signed: numbered 02 (the first's 01 is checked above), in both languages.
    text = squash(pdf_text(signed.second_en)[0])
    for part in (
        "SOCIALIST REPUBLIC OF VIETNAM",
        "MINUTES",
        "I. PARTICIPANTS",
        "VI. REQUESTS",
        "No. 02/BB-ĐKT",
    ):
        assert part in text, part
    assert "Số: 02/BB-ĐKT" in squash(pdf_text(signed.second_vi)[0])


async def test_minutes_findings_carry_observed_values_and_appear_once(signed: Signed) -> None:
    by_item = signed.second_findings
    # A count item's finding says the count, then the inspector's note, in both languages.
    assert by_item["A2"]["description"] == (
        "Có 99 trường hợp đi muộn, về sớm hoặc bỏ vị trí làm việc không có lý do "
        f"(đối chiếu sổ/máy chấm công) — {NOTE}"
    )
    assert by_item["A2"]["description_en"].startswith("99 cases of late arrival")

    text = squash(pdf_text(signed.second_vi)[0])
    results = between(text, "III. KẾT QUẢ KIỂM TRA", "IV. TỒN TẠI, HẠN CHẾ")
    shortcomings = between(text, "IV. TỒN TẠI, HẠN CHẾ", "V. Ý KIẾN")
    # Section III names the failed items; the findings are stated once, in section IV.
    assert "Tiêu chí chưa đạt: A2 (chi tiết tại mục IV)" in results
    assert "Tiêu chí chưa đạt: C1 (chi tiết tại mục IV)" in results
    a2 = "Có 99 trường hợp đi muộn, về sớm hoặc bỏ vị trí làm việc không có lý do"
    c1 = "Danh mục TTHC niêm yết mới đạt 0% (0/10) so với Quyết định công bố hiện hành"
    for finding in (a2, c1):
        assert text.count(finding) == 1, finding
        assert shortcomings.count(finding) == 1, finding
    assert f"A2. {a2}" in shortcomings
    assert f"{NOTE} (chứng cứ E" in shortcomings
    # The requirement is no longer listed as a shortcoming.
    assert "Không có trường hợp đi muộn" not in text

    text_en = squash(pdf_text(signed.second_en)[0])
    results_en = between(text_en, "III. RESULTS OF THE INSPECTION", "IV. SHORTCOMINGS")
    shortcomings_en = between(text_en, "IV. SHORTCOMINGS", "V. OPINION")
    assert "Criteria not met: A2 (details in section IV)" in results_en
    a2_en = (
        "99 cases of late arrival, early leave or unexplained absence against the attendance log"
    )
    assert text_en.count(a2_en) == 1
    assert a2_en in shortcomings_en
    assert "0% (0/10) of the current provincial announcement decision" in shortcomings_en


async def test_unsigned_minutes_are_a_draft_and_scoped(client, world: World) -> None:
    inspection_id = await run_to_signed(client, world, "C1", {"C1"}, sign=False)
    leader = await world.login(client, "leader_d1")
    response = await client.get(f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=leader)
    text = squash(pdf_text(response.content)[0])
    assert "DỰ THẢO" in text
    assert "Số: …/BB-ĐKT" in text
    outsider = await world.login(client, "head_c2")
    hidden = await client.get(f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=outsider)
    assert hidden.status_code == 404
    bad_lang = await client.get(
        f"/api/v1/inspections/{inspection_id}/minutes.pdf?lang=fr", headers=leader
    )
    assert bad_lang.status_code == 422


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_renderer_fetches_nothing_remote_or_outside_the_project(tmp_path: Path) -> None:
    # WeasyPrint (half a second to import) is imported by the test that renders in this process,
    # not when the module is collected: the PostgreSQL pass collects it too, and leaves this
    # engine-free test to the SQLite pass.
    from reports.pdf_engine import ASSETS_DIR, ProjectOnlyFetcher, RefusedFetch, render_pdf

    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pixel.png"
        secret = tmp_path / "secret.txt"
        secret.write_text("do not embed")
        html = (
            f'<p>x</p><img src="{url}"><link rel="stylesheet" href="{url}">'
            f'<img src="{secret.as_uri()}"><img src="file:///etc/passwd">'
        )
        pdf = render_pdf(html)
        assert pdf.startswith(b"%PDF")
        assert _CountingHandler.hits == 0
        handed_over, not_handed_over = "a" * 64, "b" * 64
        fetcher = ProjectOnlyFetcher({handed_over: b"\xff\xd8 the photo's JPEG"})
        for refused in (
            url,
            secret.as_uri(),
            "file:///etc/passwd",
            "evidence:../../etc/passwd",
            f"evidence:{not_handed_over}",  # only the photos the API process handed over
        ):
            with pytest.raises(RefusedFetch):
                fetcher.fetch(refused)
        assert fetcher.fetch(f"evidence:{handed_over}").read() == b"\xff\xd8 the photo's JPEG"
        font = (ASSETS_DIR / "fonts" / "LiberationSerif-Regular.ttf").as_uri()
        assert fetcher.fetch(font).read(4) == b"\x00\x01\x00\x00"
    finally:
        server.shutdown()


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


async def test_minutes_say_which_figures_came_from_the_dossier_ledger(client, world: World) -> None:
    inspection_id, visit = await planned_visit(client, world)
    await import_ledger(client, world, "C1", ledger_before(visit))
    _, template = await publish_shipped_checklist()
    inspector = await world.login(client, "inspector")
    ops = await answers_for(
        client,
        world,
        template,
        inspection_id,
        # Every value the ledger offers taken, but E1's.
        {key: value | {"source": "dossier_ledger"} for key, value in EXPECTED.items()}
        | {"E1": {"numerator": 3, "denominator": 5, "note": "Một hồ sơ nộp qua cổng dịch vụ công"}},
    )
    submit = op("submit", inspection_id=inspection_id, device_time=now_iso())
    results = await sync(client, inspector, [*ops, submit])
    assert results[-1]["status"] == "applied", results[-1]
    leader = await world.login(client, "leader_d1")
    period = f"từ ngày {visit - timedelta(days=90):%d/%m/%Y} đến ngày {visit - timedelta(days=1):%d/%m/%Y}"

    minutes = await client.get(f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=leader)
    text = squash(pdf_text(minutes.content)[0])
    results_part = between(text, "III. KẾT QUẢ KIỂM TRA", "IV. TỒN TẠI, HẠN CHẾ")
    shortcomings = between(text, "IV. TỒN TẠI, HẠN CHẾ", "V. Ý KIẾN")
    assert (
        f"Số liệu lấy từ sổ theo dõi hồ sơ của đơn vị ({period}, 5 hồ sơ): "
        "mục D2, D3, D5, D6, D7 theo sổ; mục E1 sổ: 2/5, kiểm tra thực tế: 3/5." in results_part
    )
    assert "33,33% (1/3) (theo sổ theo dõi hồ sơ)" in shortcomings
    assert "(sổ theo dõi hồ sơ: 2/5, kiểm tra thực tế: 3/5)" in shortcomings

    english = await client.get(
        f"/api/v1/inspections/{inspection_id}/minutes.pdf?lang=en", headers=leader
    )
    text_en = squash(pdf_text(english.content)[0])
    assert (
        "items D2, D3, D5, D6, D7 as the ledger says; item E1 ledger: 2/5, checked on site: 3/5."
        in text_en
    )
    assert "(per the dossier ledger)" in text_en

"""Every download names its file through one helper that quotes and encodes (RFC 6266/5987), so
nothing in a file name (a unit's code from before codes were restricted, a Vietnamese name) can
break out of the header."""

from __future__ import annotations

import re
from email.message import Message
from urllib.parse import unquote

import httpx
import pytest

from server.core.http_headers import content_disposition
from server.units.tables import Unit
from tests.conftest import World
from tests.helpers import now_iso, op, passing_answer, photo_bytes, publish_shipped_checklist, sync
from tests.helpers import upload_evidence as put_evidence
from tests.reports.builders import start_only

SAFE_HEADER = re.compile(
    r"^(attachment|inline); filename=\"[A-Za-z0-9._-]+\"; filename\*=UTF-8''[A-Za-z0-9%._~-]+$"
)
# At most 50 characters: the column's width.
HOSTILE_CODE = 'C1"; filename=x.exe\r\nSet-Cookie: s=1;\\..\\x'


def fallback_name(header: str) -> str | None:
    message = Message()
    message["Content-Disposition"] = header
    value = message.get_param("filename", header="content-disposition")
    return value if isinstance(value, str) else None


def encoded_name(header: str) -> str:
    """The RFC 5987 ``filename*`` value, decoded as a browser does."""
    found = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert found, header
    return unquote(found.group(1), errors="strict")


@pytest.mark.parametrize(
    ("name", "fallback", "decoded"),
    [
        ("findings-D1.xlsx", "findings-D1.xlsx", "findings-D1.xlsx"),
        ("biên-bản-Phương-Định.pdf", "bien-ban-Phuong-Dinh.pdf", "biên-bản-Phương-Định.pdf"),
        ('a"b.pdf', "a_b.pdf", 'a"b.pdf'),
        ("a;b=c.pdf", "a_b_c.pdf", "a;b=c.pdf"),
        ("a\r\nSet-Cookie: x=y.pdf", "a_Set-Cookie_x_y.pdf", "a_Set-Cookie: x=y.pdf"),
        ("..\\..\\etc/passwd", "_etc_passwd", "_.._etc_passwd"),
        ("", "download", "download"),
    ],
)
def test_the_header_quotes_an_ascii_fallback_and_encodes_the_real_name(
    name: str, fallback: str, decoded: str
) -> None:
    header = content_disposition(name)

    assert SAFE_HEADER.match(header), header
    assert header.startswith("attachment; ")
    assert fallback_name(header) == fallback
    assert encoded_name(header) == decoded


def test_inline_asks_the_browser_to_show_the_file() -> None:
    assert content_disposition("bao-cao.pdf", inline=True).startswith("inline; filename=")


async def test_downloads_of_a_unit_with_a_hostile_code_carry_a_safe_header(
    client: httpx.AsyncClient, world: World
) -> None:
    # A code from before codes were restricted: the API refuses it now, old rows keep theirs.
    await Unit.update({Unit.code: HOSTILE_CODE}).where(Unit.id == world.units["C1"])
    inspection_id = await start_only(client, world, "C1")
    leader = await world.login(client, "leader_d1")
    inspector = await world.login(client, "inspector")
    photo = await put_evidence(client, inspector, photo_bytes())
    _, template = await publish_shipped_checklist()
    item = next(item for _, item in template.items() if item.answer_type == "yes_no")
    answer = op(
        "answer",
        inspection_id=inspection_id,
        item_key=item.key,
        evidence=[photo],
        device_time=now_iso(),
        **passing_answer(item),
    )
    (result,) = await sync(client, inspector, [answer])
    assert result["status"] == "applied", result

    downloads = {
        "minutes": await client.get(
            f"/api/v1/inspections/{inspection_id}/minutes.pdf", headers=leader
        ),
        "export": await client.get(
            "/api/v1/exports/inspections.csv",
            params={"unit_id": str(world.units["C1"])},
            headers=leader,
        ),
        "summary": await client.get("/api/v1/reports/summary.pdf", headers=leader),
        "evidence": await client.get(f"/api/v1/evidence/{photo}", headers=leader),
    }

    for kind, response in downloads.items():
        assert response.status_code == 200, (kind, response.text)
        header = response.headers["content-disposition"]
        assert SAFE_HEADER.match(header), (kind, header)
        assert "set-cookie" not in response.headers, kind
        assert fallback_name(header), kind
    assert encoded_name(downloads["minutes"].headers["content-disposition"]) == (
        "bien-ban-" + HOSTILE_CODE.replace("\r\n", "_").replace("\\", "_") + ".pdf"
    )

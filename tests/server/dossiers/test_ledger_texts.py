"""The import's refusal and the flags speak the user's language (or `?lang=`), and carry both."""

from __future__ import annotations

import io

import httpx

from server.dossiers.mapping import shipped_layout
from server.dossiers.model import DossierStatus
from server.dossiers.writing import write_csv
from server.users.tables import AppUser
from tests.conftest import World
from tests.server.dossiers.builders import at, dossier

BROKEN = ("Mã hồ sơ,Ngày tiếp nhận,Ngày hẹn trả\nPD-1,31/02/2024,07/03/2024\n").encode()


def late_ledger() -> bytes:
    late = dossier(resolved=at("08/03/2024 10:00"), returned=None, status=DossierStatus.resolved)
    text = io.StringIO(newline="")
    write_csv(shipped_layout("one-stop-export"), [late], text)
    return text.getvalue().encode()


async def post(
    client: httpx.AsyncClient, world: World, headers: dict[str, str], data: bytes, **params: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers",
        headers=headers,
        params=params,
        files={"file": ("ledger.csv", data, "text/csv")},
        data={"layout": "one-stop-export"},
    )


async def test_a_refused_ledger_is_worded_in_the_users_language_or_the_one_asked_for(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")  # a Vietnamese-speaking user

    refused = (await post(client, world, headers, BROKEN)).json()
    (issue,) = refused["issues"]
    assert refused["detail"] == refused["detail_vi"]
    assert refused["detail"].startswith("Chưa nhập được sổ hồ sơ: tệp có 1 lỗi.")
    assert (
        issue["message"]
        == issue["message_vi"]
        == ("«31/02/2024» không phải là ngày có thật (ghi ngày trước tháng: dd/MM/yyyy)")
    )
    assert issue["message_en"] == "'31/02/2024' is not a real date (day first: dd/MM/yyyy)"

    in_english = (await post(client, world, headers, BROKEN, lang="en")).json()
    assert in_english["detail"] == in_english["detail_en"] == refused["detail_en"]
    assert in_english["issues"][0]["message"] == issue["message_en"]

    await AppUser.update({AppUser.language: "en"}).where(AppUser.username == "leader_d1")
    english_user = (await post(client, world, headers, BROKEN)).json()
    assert english_user["detail"].startswith("The ledger was not imported: 1 problem(s).")
    vietnamese_asked = (await post(client, world, headers, BROKEN, lang="vi")).json()
    assert vietnamese_asked["detail"] == refused["detail"]


async def test_a_flags_detail_is_in_the_users_language_or_the_one_asked_for(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    assert (await post(client, world, headers, late_ledger())).status_code == 200
    path = f"/api/v1/units/{world.units['C1']}/dossier-ledgers/flagged"

    (flagged,) = (await client.get(path, headers=headers)).json()
    (flag,) = flagged["flags"]
    assert (
        flag["detail"]
        == flag["detail_vi"]
        == (
            "có kết quả ngày 08/03/2024, sau ngày hẹn trả 07/03/2024, không có phiếu xin lỗi và "
            "hẹn lại ngày trả kết quả"
        )
    )
    assert (
        flag["detail_en"]
        == "resolved 08/03/2024, after the appointed 07/03/2024, with no apology slip"
    )

    (flagged,) = (await client.get(path, headers=headers, params={"lang": "en"})).json()
    assert flagged["flags"][0]["detail"] == flag["detail_en"]
    assert (await client.get(path, headers=headers, params={"lang": "fr"})).status_code == 422


async def test_the_imports_other_refusals_are_worded_in_both_languages_too(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    wrong_name = await client.post(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers",
        headers=headers,
        files={"file": ("so.ods", BROKEN, "application/octet-stream")},
        data={"layout": "one-stop-export"},
    )
    assert wrong_name.status_code == 415
    body = wrong_name.json()
    assert (
        body["detail"]
        == body["detail_vi"]
        == ("Tệp sổ hồ sơ phải có đuôi .csv hoặc .xlsx; tệp «so.ods» không phải.")
    )
    assert body["detail_en"] == "A ledger file is named *.csv or *.xlsx; 'so.ods' is neither."

    half_period = await client.post(
        f"/api/v1/units/{world.units['C1']}/dossier-ledgers",
        headers=headers,
        params={"lang": "en"},
        files={"file": ("ledger.csv", late_ledger(), "text/csv")},
        data={"layout": "form-06", "period_start": "2024-03-01"},
    )
    assert half_period.status_code == 422
    body = half_period.json()
    assert body["detail"] == "Give both period_start and period_end, or neither."
    assert body["detail_vi"].startswith("Hãy nhập cả ngày bắt đầu và ngày kết thúc của kỳ")
    assert "issues" not in body

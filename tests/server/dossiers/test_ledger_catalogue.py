"""The import screen's layout list and the ledger screen's rule names: what the shipped layout
files and rules.yaml say, for anyone signed in."""

from __future__ import annotations

import httpx

from server.dossiers.fees import use_fee_catalogue
from server.dossiers.mapping import SHIPPED_LAYOUTS, shipped_layout
from server.dossiers.model import FIELDS
from server.dossiers.rules import CHECKS
from tests.conftest import World


async def test_the_layouts_list_each_shipped_layout_with_its_names_and_expected_headers(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "leader_d1")
    response = await client.get("/api/v1/dossier-ledger-layouts", headers=headers)
    assert response.status_code == 200, response.text
    layouts = {layout["id"]: layout for layout in response.json()}
    assert list(layouts) == list(SHIPPED_LAYOUTS)
    form06 = layouts["form-06"]
    assert form06["name_vi"].startswith("Sổ theo dõi hồ sơ (Mẫu số 06")
    assert form06["name_en"].startswith("Dossier tracking book (form 06")
    columns = {column["field"]: column for column in form06["columns"]}
    # form 06 has no channel column: the screen must not promise one
    assert "channel" not in columns
    assert columns["received"]["required"] is True
    assert columns["received"]["kind"] == "moment"
    assert columns["received"]["headers"][0] == "Nhận hồ sơ"
    assert columns["returned"]["required"] is False
    export = layouts["one-stop-export"]
    assert {column["field"] for column in export["columns"]} == set(FIELDS)
    assert {column["field"]: column["kind"] for column in export["columns"]} == {
        field: spec.kind for field, spec in FIELDS.items()
    }
    assert [column["headers"] for column in export["columns"]] == [
        list(column.headers) for column in shipped_layout("one-stop-export").columns
    ]


async def test_the_rules_name_every_check_in_both_languages_with_its_legal_bases(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "head_c1")
    response = await client.get("/api/v1/dossier-ledger-rules", headers=headers)
    assert response.status_code == 200, response.text
    rules = {rule["rule"]: rule for rule in response.json()}
    assert list(rules) == list(CHECKS)
    late = rules["late_without_apology"]
    assert late["severity"] == "major"
    assert late["title_en"] == "Resolved after the appointed date without an apology slip"
    assert late["title_vi"].startswith("Giải quyết quá hạn")
    bases = late["legal_bases"]
    assert [basis["valid_until"] for basis in bases] == ["2025-06-30", None]
    assert bases[1]["valid_from"] == "2025-07-01"
    assert "Nghị định 61/2018" in bases[0]["text"]
    assert rules["impossible_sequence"]["severity"] == "critical"


async def test_the_fee_catalogue_in_use_is_published_and_none_says_the_rules_are_off(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await world.login(client, "head_c1")
    response = await client.get("/api/v1/dossier-fee-catalogue", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["catalogue"] == "ninh-binh" and body["verified"] is False
    fees = {p["code"]: (p["fee"], p["per"]) for p in body["procedures"]}
    assert fees["2.000635"] == (0, "dossier")  # birth registration: free
    assert fees["2.000908"] == (2_000, "page")  # certified copies
    use_fee_catalogue("none")
    try:
        off = (await client.get("/api/v1/dossier-fee-catalogue", headers=headers)).json()
    finally:
        use_fee_catalogue("ninh-binh")
    assert off["catalogue"] is None and off["procedures"] == []


async def test_the_layouts_and_rules_need_a_signed_in_user(client: httpx.AsyncClient) -> None:
    for path in (
        "/api/v1/dossier-ledger-layouts",
        "/api/v1/dossier-ledger-rules",
        "/api/v1/dossier-fee-catalogue",
    ):
        assert (await client.get(path)).status_code == 401

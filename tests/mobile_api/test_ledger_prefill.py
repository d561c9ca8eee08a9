"""Checklist items pre-filled from the unit's dossier ledger, over HTTP as the phone sees them:
the bootstrap's values and their source, and answers taken from them (or not) judged at submit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from mobile_api import services as mobile_services
from tests.conftest import World
from tests.helpers import create_plan_for, now_iso, op, publish_shipped_checklist, sync
from tests.mobile_api.ledger_builders import (
    EXPECTED,
    answers_for,
    import_ledger,
    ledger_before,
    planned_visit,
    replace_received,
)


async def test_the_bootstrap_gives_each_prefilled_item_its_ledger_value_and_source(
    client: httpx.AsyncClient, world: World
) -> None:
    _, visit = await planned_visit(client, world)
    inspector = await world.login(client, "inspector")
    # No ledger yet: null.
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    assert boot["assignments"][0]["prefill"] is None

    imported = await import_ledger(client, world, "C1", ledger_before(visit))
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    prefill = boot["assignments"][0]["prefill"]
    assert {
        key: {k: v for k, v in value.items() if k != "source" and v is not None}
        for key, value in prefill.items()
    } == EXPECTED
    # E2 (online payment) is absent: no dossier of the period had a fee to pay.
    assert "E2" not in prefill
    source = prefill["D5"]["source"]
    assert source == {
        "kind": "dossier_ledger",
        "period_from": (visit - timedelta(days=90)).isoformat(),
        "period_to": (visit - timedelta(days=1)).isoformat(),
        "dossiers": 5,
        "as_of": source["as_of"],
    }
    assert datetime.fromisoformat(source["as_of"]) == datetime.fromisoformat(
        imported["ledger_import"]["imported_at"]
    )

    # The unit's head learns nothing of the visit before it starts, ledger values included;
    # neither does another unit's head.
    for head in ("head_c1", "head_c2"):
        headers = await world.login(client, head)
        assert (await client.get("/mobile/v1/bootstrap", headers=headers)).json()[
            "assignments"
        ] == []


async def test_the_period_stops_at_the_last_day_the_imported_ledger_covers(
    client: httpx.AsyncClient, world: World
) -> None:
    _, visit = await planned_visit(client, world)
    covered = (visit - timedelta(days=120), visit - timedelta(days=30))
    records = [r for r in ledger_before(visit) if r.received.day <= covered[1]]
    await import_ledger(client, world, "C1", records, period=covered)
    inspector = await world.login(client, "inspector")
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    source = boot["assignments"][0]["prefill"]["D7"]["source"]
    assert (source["period_from"], source["period_to"]) == (
        (visit - timedelta(days=90)).isoformat(),
        covered[1].isoformat(),
    )
    # first-day, no-files, late and stuck (overdue at the ledger's last day: the backlog).
    assert source["dossiers"] == 4
    assert boot["assignments"][0]["prefill"]["D7"]["value"] == 1


async def test_a_form_06_ledger_fills_only_what_its_columns_can_tell(
    client: httpx.AsyncClient, world: World
) -> None:
    # Form 06 has dates, but no channel, files, fees or apology slips: only the late share and
    # the backlog can be told from it (an empty slip list there means "no column", not "no slip").
    _, visit = await planned_visit(client, world)
    await import_ledger(client, world, "C1", ledger_before(visit), layout="form-06")
    inspector = await world.login(client, "inspector")
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    prefill = boot["assignments"][0]["prefill"]
    assert sorted(prefill) == ["D5", "D7"]
    assert (prefill["D5"]["numerator"], prefill["D5"]["denominator"]) == (1, 3)
    assert prefill["D7"]["value"] == 1


async def test_a_ledger_that_does_not_reach_the_visit_period_gives_null(
    client: httpx.AsyncClient, world: World
) -> None:
    _, visit = await planned_visit(client, world)
    old = [
        replace_received(record, days=-200)
        for record in ledger_before(visit)
        if record.dossier_code != "visit-day"
    ]
    await import_ledger(client, world, "C1", old)
    inspector = await world.login(client, "inspector")
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    assert boot["assignments"][0]["prefill"] is None


async def test_answers_taken_from_the_ledger_are_judged_against_it_at_submit(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, visit = await planned_visit(client, world)
    await import_ledger(client, world, "C1", ledger_before(visit))
    _, template = await publish_shipped_checklist()
    inspector = await world.login(client, "inspector")
    ops = await answers_for(
        client,
        world,
        template,
        inspection_id,
        {
            # Taken from the ledger, as the phone offered it.
            "D5": {"numerator": 1, "denominator": 3, "source": "dossier_ledger"},
            # Typed by hand, equal to the ledger.
            "D7": {"value": 1},
            # Different from the ledger, with a note: an override.
            "E1": {
                "numerator": 3,
                "denominator": 5,
                "note": "Một hồ sơ nộp qua Zalo, hệ thống ghi trực tiếp",
            },
            # The phone says "from the ledger", but the value is not the ledger's: an override.
            "D2": {
                "numerator": 2,
                "denominator": 2,
                "source": "dossier_ledger",
                "note": "Đã kiểm tra lại",
            },
        },
    )
    results = await sync(
        client, inspector, [*ops, op("submit", inspection_id=inspection_id, device_time=now_iso())]
    )
    assert [r["status"] for r in results] == ["applied"] * len(results), results

    detail = (await client.get(f"/api/v1/inspections/{inspection_id}", headers=inspector)).json()
    answers = {a["item_key"]: a for a in detail["answers"]}
    assert answers["D5"]["source"] == "dossier_ledger"
    assert answers["D5"]["ledger"]["status"] == "taken"
    assert answers["D7"]["source"] is None and answers["D7"]["ledger"]["status"] == "matches"
    assert answers["E1"]["ledger"] | {"as_of": None} == {
        "status": "override",
        "source": "dossier_ledger",
        "value": None,
        "numerator": 2,
        "denominator": 5,
        "period_from": (visit - timedelta(days=90)).isoformat(),
        "period_to": (visit - timedelta(days=1)).isoformat(),
        "dossiers": 5,
        "as_of": None,
        "checked": None,
        "sampled": None,
    }
    assert answers["D2"]["ledger"]["status"] == "override"
    # Items the ledger does not fill are not judged.
    assert answers["A1"]["ledger"] is None and answers["E2"]["ledger"] is None


async def test_a_different_value_without_a_note_holds_the_submit_back(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id, visit = await planned_visit(client, world)
    await import_ledger(client, world, "C1", ledger_before(visit))
    _, template = await publish_shipped_checklist()
    inspector = await world.login(client, "inspector")
    ops = await answers_for(
        client, world, template, inspection_id, {"D7": {"value": 0, "source": "dossier_ledger"}}
    )
    results = await sync(
        client, inspector, [*ops, op("submit", inspection_id=inspection_id, device_time=now_iso())]
    )
    # The answer itself is taken (the phone may be offline with an older ledger); the submit
    # says what is missing.
    assert [r["status"] for r in results[:-1]] == ["applied"] * (len(results) - 1)
    assert results[-1]["status"] == "rejected"
    assert (
        "answers that differ from the dossier ledger or the dossier sample's checks need a note "
        "saying why: "
        "D7 (the ledger says 1, the answer is 0)" in results[-1]["reason"]
    )
    fixed = op(
        "answer",
        inspection_id=inspection_id,
        item_key="D7",
        value=0,
        note="Hồ sơ tồn đã được giải quyết sáng nay",
        device_time=now_iso(),
    )
    results = await sync(
        client, inspector, [fixed, op("submit", inspection_id=inspection_id, device_time=now_iso())]
    )
    assert [r["status"] for r in results] == ["applied", "applied"], results


async def test_assignments_of_one_unit_and_day_share_one_reading_of_the_ledger(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, visit = await planned_visit(client, world)
    await create_plan_for(client, world, "C1")  # a second visit to C1 on the same day
    await import_ledger(client, world, "C1", ledger_before(visit))
    readings: list[object] = []
    ledger_prefill = mobile_services.dossier_service.ledger_prefill

    async def counted(**kwargs: Any) -> Any:
        readings.append(kwargs["unit_id"])
        return await ledger_prefill(**kwargs)

    monkeypatch.setattr(mobile_services.dossier_service, "ledger_prefill", counted)
    inspector = await world.login(client, "inspector")
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    first, second = boot["assignments"]
    assert first["visit_date"] == second["visit_date"] == visit.isoformat()
    assert first["id"] != second["id"]
    assert first["prefill"] == second["prefill"] is not None
    assert len(readings) == 1

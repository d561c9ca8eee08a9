"""A drawn plan with the dossier indicators (draw algorithm v2) over HTTP: the preview shows each
candidate's dossier counts, terms and reasons; the counts equal an independent computation over
the stored dossiers; the plan seals them, shows them after, reveals and verifies; tampering with
an indicator input in the sealed document is detected; without the option, a plan is v1."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from server.dossiers import services as dossier_service
from server.dossiers.fees import rule_context
from server.dossiers.indicators import period_indicators
from server.dossiers.tables import Dossier
from server.plans import draw
from server.plans.services import dossier_period
from server.plans.tables import Plan
from tests.conftest import World
from tests.helpers import store_generated_ledger
from tests.server.test_plans import PAST_WINDOW, call, login, plan_body, post_plan, verify

LAYOUT = "one-stop-export"


async def store_ledger(world: World, code: str, first_day: Any) -> tuple[Any, Any]:
    period = dossier_period(first_day)
    await store_generated_ledger(world.units[code], seed=5, period=period, count=200)
    return period


def first_day_of(body: dict[str, Any]) -> Any:
    start = datetime.fromisoformat(body["window_start"])
    return start.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def expected_counts(unit_id: Any, period: tuple[Any, Any]) -> dict[str, int]:
    rows = await Dossier.select().where(Dossier.unit_id == unit_id).output(load_json=True)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    records = [dossier_service.record_from_row(row, zone) for row in rows]
    found = period_indicators(
        records,
        period_start=period[0],
        period_end=period[1],
        context=rule_context(period[1]),
    )
    return {
        "dossiers": found.dossiers,
        "flagged": found.flagged.numerator,
        "resolved": found.on_time.denominator,
        "resolved_on_time": found.on_time.numerator,
        "backlog": found.backlog,
    }


async def test_the_preview_with_dossier_indicators_shows_counts_terms_and_reasons(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await plan_body(world, draw_k=2)
    body["draw"]["dossier_indicators"] = True
    period = await store_ledger(world, "C1", first_day_of(body))
    keys = ("scope_unit_id", "window_start", "window_end", "teams", "draw")
    response = await client.post(
        "/api/v1/plans/draw-preview",
        json={key: body[key] for key in keys},
        headers=await login(client, world, "leader_d1"),
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["algorithm"] == draw.DRAW_ALGORITHM_V2
    assert preview["dossier_period"] == {
        "period_start": period[0].isoformat(),
        "period_end": period[1].isoformat(),
    }
    by_unit = {entry["unit_id"]: entry for entry in preview["candidates"]}
    c1 = by_unit[str(world.units["C1"])]
    assert c1["risk"]["dossiers"] == await expected_counts(world.units["C1"], period)
    assert c1["risk"]["dossiers"]["flagged"] > 0
    codes = {reason["code"]: reason for reason in c1["risk"]["reasons"]}
    assert "hồ sơ bị gắn cờ" in codes["flagged_dossiers"]["vi"]
    assert "of dossiers flagged" in codes["flagged_dossiers"]["en"]
    inputs = draw.RiskInputsV2(
        unit_id=c1["unit_id"],
        **{k: v for k, v in c1["risk"].items() if k not in ("terms", "reasons")},
    )
    assert c1["weight"] == draw.risk_weight(inputs, draw.DRAW_ALGORITHM_V2)
    # C2 has no ledger: the neutral terms, said so.
    c2 = by_unit[str(world.units["C2"])]
    assert c2["risk"]["dossiers"] is None
    assert (
        c2["risk"]["terms"]["flagged_dossiers"],
        c2["risk"]["terms"]["late_dossiers"],
        c2["risk"]["terms"]["backlog"],
    ) == (1.0, 0.5, 0.4)
    assert any("trung tính" in reason["vi"] for reason in c2["risk"]["reasons"])


async def test_a_v2_plan_seals_shows_reveals_and_verifies_and_tampering_is_caught(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await plan_body(world, draw_k=3, window_days=PAST_WINDOW)
    body["draw"]["dossier_indicators"] = True
    period = await store_ledger(world, "C1", first_day_of(body))
    response = await post_plan(client, world, body)
    assert response.status_code == 201, response.text
    plan = response.json()
    section = plan["document"]["draw"]
    assert section["algorithm"] == draw.DRAW_ALGORITHM_V2
    assert section["dossier_period"] == {
        "start": period[0].isoformat(),
        "end": period[1].isoformat(),
    }
    sealed = {entry["unit_id"]: entry for entry in section["candidates"]}
    assert sealed[str(world.units["C1"])]["dossiers"] == await expected_counts(
        world.units["C1"], period
    )
    # The plan shows each target's weight, terms and reasons from the sealed inputs.
    c1_target = next(t for t in plan["targets"] if t["unit_id"] == str(world.units["C1"]))
    assert c1_target["risk"]["dossiers"] == sealed[str(world.units["C1"])]["dossiers"]
    assert c1_target["risk"]["terms"]["flagged_dossiers"] > 0
    assert any(r["code"] == "flagged_dossiers" for r in c1_target["risk"]["reasons"])

    await call(client, world, "POST", f"/api/v1/plans/{plan['id']}/reveal")
    checked = await verify(client, world, plan["id"])
    assert checked["status"] == "match", checked["explanation"]
    assert checked["draw_matches"] is True

    # Lowering C1's flagged count in the stored document is caught.
    document = plan["document"]
    for entry in document["draw"]["candidates"]:
        if entry["unit_id"] == str(world.units["C1"]):
            entry["dossiers"]["flagged"] = 0
    await Plan.update({Plan.document: document}).where(Plan.id == uuid.UUID(plan["id"]))
    tampered = await verify(client, world, plan["id"])
    assert tampered["status"] == "mismatch"
    assert tampered["hash_matches"] is False


async def test_without_the_option_a_drawn_plan_stays_v1(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await plan_body(world, draw_k=1)
    await store_ledger(world, "C1", first_day_of(body))
    response = await post_plan(client, world, body)
    assert response.status_code == 201, response.text
    section = response.json()["document"]["draw"]
    assert section["algorithm"] == draw.DRAW_ALGORITHM
    assert "dossier_period" not in section
    assert all(set(entry) == set(draw.RiskInputs.model_fields) for entry in section["candidates"])


async def test_a_v2_document_whose_inputs_do_not_read_is_a_mismatch_not_an_error(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await plan_body(world, draw_k=1, window_days=PAST_WINDOW)
    body["draw"]["dossier_indicators"] = True
    response = await post_plan(client, world, body)
    assert response.status_code == 201, response.text
    plan = response.json()
    await call(client, world, "POST", f"/api/v1/plans/{plan['id']}/reveal")
    document = plan["document"]
    document["draw"]["candidates"][0]["dossiers"] = {"dossiers": 1, "flagged": 5}
    await Plan.update({Plan.document: document}).where(Plan.id == uuid.UUID(plan["id"]))
    checked = await verify(client, world, plan["id"])
    assert checked["status"] == "mismatch"
    assert checked["draw_matches"] is False
    assert "cannot be read" in checked["explanation"]
    shown = await call(client, world, "GET", f"/api/v1/plans/{plan['id']}")
    assert all(target["weight"] is None for target in shown["targets"])

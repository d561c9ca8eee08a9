"""A small dossier ledger before a planned visit, imported over HTTP, and the answer ops of a
visit that takes (or does not take) its values: shared by the pre-fill and minutes tests."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from checklists.format import ChecklistTemplate
from server.dossiers.mapping import shipped_layout
from server.dossiers.model import PROVINCE_TIME_ZONE, Channel, DossierRecord, DossierStatus, Moment
from server.dossiers.writing import write_csv
from tests.conftest import World
from tests.helpers import (
    answer_ops,
    create_plan_for,
    now_iso,
    op,
    photo_bytes,
    upload_evidence,
)


def at_local(day: date, hour: int, minute: int = 0) -> Moment:
    return Moment.of(datetime.combine(day, time(hour, minute), PROVINCE_TIME_ZONE))


def ledger_before(visit: date) -> list[DossierRecord]:
    """A small ledger for the 90 days before `visit`, counted by hand below."""
    last = visit - timedelta(days=1)
    first = visit - timedelta(days=90)

    def dossier(code: str, received: Moment, **fields: Any) -> DossierRecord:
        base: dict[str, Any] = dict(
            dossier_code=code,
            received=received,
            appointed_return=Moment(received.day + timedelta(days=3)),
            procedure_code="2.000635",
            procedure_name="Đăng ký khai sinh",
            channel=Channel.online,
            component_files=2,
            result_file_present=True,
            resolved=at_local(received.day + timedelta(days=1), 15),
            returned=at_local(received.day + timedelta(days=2), 9),
            fee=0,
            supplement_requests=0,
            status=DossierStatus.returned,
        )
        return DossierRecord(**(base | fields))

    mid = visit - timedelta(days=40)
    return [
        # On the period's first day, and at 23:30 on its last day (still in the period; its
        # resolution falls after the period, so it is pending but not yet due at its end).
        dossier("first-day", at_local(first, 8)),
        dossier(
            "last-minute",
            at_local(last, 23, 30),
            channel=Channel.in_person,
            resolved=None,
            returned=None,
            status=DossierStatus.processing,
        ),
        # 00:30 on the visit day, and before the period (resolved and returned before it too):
        # outside it.
        dossier("visit-day", at_local(visit, 0, 30), channel=Channel.in_person),
        dossier("before", at_local(first - timedelta(days=3), 9), channel=Channel.in_person),
        dossier("no-files", at_local(mid, 9), component_files=0),
        dossier(
            "late",
            at_local(mid, 10),
            channel=Channel.post,
            resolved=at_local(mid + timedelta(days=6), 10),
            returned=at_local(mid + timedelta(days=7), 10),
        ),
        dossier(
            "stuck",
            at_local(mid, 11),
            channel=Channel.in_person,
            resolved=None,
            returned=None,
            status=DossierStatus.processing,
        ),
    ]


# The values of `ledger_before`, counted by hand: 5 dossiers received in the period (first-day,
# last-minute, no-files, late, stuck); online: first-day and no-files of 5; online with files: 1 of
# 2; resolved in the period: first-day, no-files, late (3), late: 1, without a proper slip: 1;
# backlog at the end of the last day: stuck.
EXPECTED = {
    "D2": {"numerator": 1, "denominator": 2},
    "D3": {"numerator": 3, "denominator": 3},
    "D5": {"numerator": 1, "denominator": 3},
    "D6": {"value": 1},
    "D7": {"value": 1},
    "E1": {"numerator": 2, "denominator": 5},
}


async def import_ledger(
    client: httpx.AsyncClient,
    world: World,
    unit: str,
    records: list[DossierRecord],
    period: tuple[date, date] | None = None,
    layout: str = "one-stop-export",
) -> dict[str, Any]:
    text = io.StringIO(newline="")
    write_csv(shipped_layout(layout), records, text)
    leader = await world.login(client, "leader_d1")
    response = await client.post(
        f"/api/v1/units/{world.units[unit]}/dossier-ledgers",
        headers=leader,
        files={"file": ("ledger.csv", text.getvalue().encode(), "text/csv")},
        data={"layout": layout}
        | (
            {"period_start": period[0].isoformat(), "period_end": period[1].isoformat()}
            if period
            else {}
        ),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def planned_visit(client: httpx.AsyncClient, world: World) -> tuple[str, date]:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    boot = (await client.get("/mobile/v1/bootstrap", headers=inspector)).json()
    (assignment,) = boot["assignments"]
    return inspection_id, date.fromisoformat(assignment["visit_date"])


def replace_received(record: DossierRecord, *, days: int) -> DossierRecord:
    shift = timedelta(days=days)

    def moved(moment: Moment | None) -> Moment | None:
        if moment is None:
            return None
        return Moment(moment.day + shift, moment.at + shift if moment.at else None)

    return DossierRecord(
        **{
            **{name: getattr(record, name) for name in record.__dataclass_fields__},
            "received": moved(record.received),
            "appointed_return": moved(record.appointed_return),
            "resolved": moved(record.resolved),
            "returned": moved(record.returned),
        }
    )


async def answers_for(
    client: httpx.AsyncClient,
    world: World,
    template: ChecklistTemplate,
    inspection_id: str,
    overrides: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    inspector = await world.login(client, "inspector")
    photos = [
        await upload_evidence(client, inspector, photo_bytes((i * 40, 10, 10))) for i in range(3)
    ]
    ops = answer_ops(template, inspection_id, photos, set())
    for answer in ops:
        key = answer["payload"]["item_key"]
        if key in overrides:
            payload = {
                k: v
                for k, v in answer["payload"].items()
                if k not in ("value", "numerator", "denominator", "note")
            }
            answer["payload"] = payload | overrides[key]
    start = op(
        "start",
        inspection_id=inspection_id,
        device_time=now_iso(),
        latitude=20.28,
        longitude=106.23,
    )
    return [start, *ops]

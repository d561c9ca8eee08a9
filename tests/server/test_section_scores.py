"""Section scores as rows: written with the score when an inspection is submitted, equal to the
score JSON's sections, replaced when rescored, gone with the inspection, and never written by a
submit that is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from checklists import scoring
from server.core import db
from server.inspections import services as inspection_service
from server.inspections.tables import Inspection, InspectionSectionScore
from tests.conftest import World
from tests.helpers import create_plan_for, now_iso, op, run_to_signed, start_op, sync


async def section_rows(inspection_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await InspectionSectionScore.select().where(
        InspectionSectionScore.inspection_id == inspection_id
    )
    return sorted(rows, key=lambda row: row["position"])


async def score_json(inspection_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Inspection.select(Inspection.score)
        .where(Inspection.id == inspection_id)
        .first()
        .output(load_json=True)
    )
    return dict(row["score"])


def as_rows(sections: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (position, section["key"], section["score"], section["earned"], section["possible"])
        for position, section in enumerate(sections)
    ]


def of_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (row["position"], row["section_key"], row["score"], row["earned"], row["possible"])
        for row in rows
    ]


async def test_submitting_writes_a_row_per_section_equal_to_the_score_json(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id = uuid.UUID(await run_to_signed(client, world, "C1", {"A5", "C1"}, sign=False))

    sections = (await score_json(inspection_id))["sections"]
    rows = await section_rows(inspection_id)

    assert len(sections) >= 5
    assert of_rows(rows) == as_rows(sections)
    failed = {row["section_key"]: row["score"] for row in rows}
    assert failed["A"] is not None and failed["A"] < 100  # A5 failed
    assert failed["C"] is not None and failed["C"] < 100  # C1 failed


async def test_rescoring_replaces_the_rows_and_the_json_together(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id = uuid.UUID(await run_to_signed(client, world, "C1", {"A5"}, sign=False))
    first = scoring.ScoreResult.model_validate(await score_json(inspection_id))
    # A rescore whose checklist has fewer sections and other results: no row of the first
    # score may remain, and the rows follow the new JSON.
    kept = [
        section.model_copy(update={"score": None if index else 12.5})
        for index, section in enumerate(first.sections[:2])
    ]
    second = first.model_copy(update={"sections": kept, "total": 40.0})

    async with db.write_transaction():
        await inspection_service._record_score(inspection_id, second, datetime.now(UTC))

    sections = (await score_json(inspection_id))["sections"]
    assert [section["score"] for section in sections] == [12.5, None]
    assert of_rows(await section_rows(inspection_id)) == as_rows(sections)


async def test_an_inspection_deleted_takes_its_section_scores_with_it(
    client: httpx.AsyncClient, world: World
) -> None:
    inspection_id = uuid.UUID(await run_to_signed(client, world, "C2", set(), sign=False))
    assert await section_rows(inspection_id)

    await Inspection.delete().where(Inspection.id == inspection_id)

    assert await InspectionSectionScore.count() == 0


async def test_a_refused_submit_writes_no_section_scores(
    client: httpx.AsyncClient, world: World
) -> None:
    plan = await create_plan_for(client, world, "C1")
    inspection_id = str(plan["targets"][0]["inspection_id"])
    inspector = await world.login(client, "inspector")
    submit = op("submit", inspection_id=inspection_id, device_time=now_iso())

    started, refused = await sync(client, inspector, [start_op(inspection_id), submit])

    assert started["status"] == "applied", started
    assert refused["status"] == "rejected", refused
    assert "unanswered required items" in str(refused), refused
    assert await InspectionSectionScore.count() == 0

"""The scale generator (`python -m bench scale`) at a tiny scale, on the suite's engine: what it
writes is what the server would have stored (scores from the scoring function, an action per
finding, a chain that `spotcheck audit verify` accepts and that the real sealer would have made),
the server reads it, and one seed gives the same rows."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from bench import province as history
from bench.scale import Generated, Shape, generate, shipped_template
from checklists import scoring
from reports import exports, summary_controllers
from reports.schemas import ExportKind
from server import registry
from server.core import db
from server.core.audit import services as audit_service
from server.core.settings import Settings
from server.inspections.tables import Answer, Finding, Inspection, InspectionSectionScore
from tests.conftest import empty_all_tables
from tests.reports import exports_before

TINY = Shape(units=3, inspections=20, days=60, seed=3, until=date(2026, 11, 30))
SNAPSHOT = {
    "inspection": "id, unit_id, total_score, visit_date, status, score",
    "inspection_answer": "id, inspection_id, item_key, value, note, evidence",
    "finding": "id, inspection_id, item_key",
    "corrective_action": "id, status, due_at, verified_at",
    "corrective_action_event": "id, action_id, to_status, at",
    "audit_event": "seq, id, occurred_at, prev_hash, hash",
    "audit_head": "seq, hash, discrepancy, mac",
}


Snapshot = dict[str, list[tuple[str, ...]]]
_first_rows: Snapshot = {}


def quiet(_line: str) -> None:
    pass


async def snapshot() -> Snapshot:
    taken = {}
    for table, columns in SNAPSHOT.items():
        rows = await db.engine().run_ddl(f"SELECT {columns} FROM {table} ORDER BY 1")
        taken[table] = [tuple(str(value) for value in row.values()) for row in rows]
    return taken


@pytest.fixture(scope="module")
async def tiny(settings: Settings, client: httpx.AsyncClient) -> Generated:
    """One tiny province for the module's tests, which only read it (generating takes seconds);
    its rows as generated are kept for the determinism test (a login adds audit events)."""
    await empty_all_tables()
    generated = await generate(settings, TINY, say=quiet)
    _first_rows.update(await snapshot())
    return generated


async def test_a_tiny_province_has_the_rows_it_reports(tiny: Generated) -> None:
    generated = tiny
    tables = {table._meta.tablename: table for table in registry.all_tables()}
    for name, count in generated.counts.items():
        assert await tables[name].count() == count, name
    counts = generated.counts
    assert counts["unit"] == 3  # the province, a district, a commune
    assert counts["inspection"] == 20
    assert 20 * 50 <= counts["inspection_answer"] <= 20 * 53
    assert counts["finding"] == counts["corrective_action"] > 0
    assert await Inspection.count().where(Inspection.status.is_in(["signed", "closed"])) == 20
    assert generated.audit_events_sealed == counts["audit_event"]


async def test_stored_scores_are_the_scoring_functions(tiny: Generated) -> None:
    template, _ = shipped_template()

    inspections = await Inspection.select().output(load_json=True)
    assert len(inspections) == 20
    for inspection in inspections:
        answers = (
            await Answer.select()
            .where(Answer.inspection_id == inspection["id"])
            .output(load_json=True)
        )
        # As inspections.services.submit reads the stored answers back for scoring.
        result = scoring.score(
            template,
            {
                answer["item_key"]: scoring.Answer(
                    value=answer["value"]["value"],
                    numerator=answer["value"]["numerator"],
                    denominator=answer["value"]["denominator"],
                    photo_count=len(answer["evidence"]),
                    note=answer["note"],
                )
                for answer in answers
            },
            inspected_on=inspection["visit_date"],
        )
        assert inspection["score"] == result.model_dump(mode="json")
        assert inspection["total_score"] == result.total
        assert inspection["rating_band"] == result.band
        sections = (
            await InspectionSectionScore.select(
                InspectionSectionScore.section_key,
                InspectionSectionScore.score,
                InspectionSectionScore.earned,
                InspectionSectionScore.possible,
            )
            .where(InspectionSectionScore.inspection_id == inspection["id"])
            .order_by(InspectionSectionScore.position)
        )
        assert [tuple(row.values()) for row in sections] == [
            (section.key, section.score, section.earned, section.possible)
            for section in result.sections
        ]
        assert not result.missing_required and not result.evidence_violations
        findings = await Finding.select(Finding.item_key).where(
            Finding.inspection_id == inspection["id"]
        )
        assert sorted(row["item_key"] for row in findings) == sorted(
            finding.item_key for finding in result.findings
        )


async def test_the_audit_chain_verifies(tiny: Generated) -> None:
    report = await audit_service.verify_chain()

    assert report.ok, [problem.message for problem in report.problems]
    assert report.anchored
    assert report.rows_checked == tiny.counts["audit_event"]


async def test_the_server_reports_on_the_generated_province(
    tiny: Generated, client: httpx.AsyncClient
) -> None:
    login = await client.post(
        "/api/v1/auth/login",
        json={"username": "lanhdao.tinh", "password": history.PASSWORD, "device_name": "pytest"},
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    summary = await client.get(
        "/api/v1/reports/summary",
        headers=headers,
        params={"period_from": "2026-10-01", "period_to": "2026-11-30"},
    )

    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["inspections"]["done"] == 20
    assert body["findings"]["total"] == await Finding.count()


async def test_the_exports_of_the_generated_province_are_as_before(
    tiny: Generated, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scored inspections with their sections, answers, findings and actions with histories, all
    exported with the same bytes as before the province-scale rework (issue 13), in small pages
    too (tests/reports/exports_before.py keeps the code as it was)."""
    login = await client.post(
        "/api/v1/auth/login",
        json={"username": "lanhdao.tinh", "password": history.PASSWORD, "device_name": "pytest"},
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for page_size in (exports.PAGE_SIZE, 3):
        monkeypatch.setattr(exports, "PAGE_SIZE", page_size)
        for kind in ExportKind:
            path = f"/api/v1/exports/{kind.value}.csv"
            now = await client.get(path, headers=headers)
            with monkeypatch.context() as patch:
                patch.setattr(summary_controllers, "export_service", exports_before)
                before = await client.get(path, headers=headers)
            assert now.status_code == before.status_code == 200, now.text
            assert now.content.count(b"\r\n") > 20, kind
            assert now.content == before.content, (kind, page_size)


async def test_the_audit_chain_verifies_the_same_in_small_pages(
    tiny: Generated, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await audit_service.verify_chain()
    monkeypatch.setattr(audit_service, "VERIFY_PAGE", 7)

    assert await audit_service.verify_chain() == whole
    assert whole.ok


async def test_one_seed_gives_the_same_rows(settings: Settings, tiny: Generated) -> None:
    await empty_all_tables()

    await generate(settings, TINY, say=quiet)

    assert await snapshot() == _first_rows


async def test_the_generators_chain_is_the_sealers(settings: Settings, tiny: Generated) -> None:
    """The generator writes the events already chained, with the sealer's hash; the same events
    written unchained and chained by the real sealer (`audit_service.seal()` after each round)
    get the same places, links and hashes, and the same keyed head."""
    await empty_all_tables()

    sealed_by_sealer = await generate(settings, TINY, sealer=True, say=quiet)

    by_sealer = await snapshot()
    assert by_sealer["audit_event"] == _first_rows["audit_event"]
    assert by_sealer["audit_head"] == _first_rows["audit_head"]
    assert len(by_sealer["audit_event"]) == tiny.counts["audit_event"] > 100
    assert sealed_by_sealer.audit_events_sealed == tiny.audit_events_sealed
    assert by_sealer == _first_rows

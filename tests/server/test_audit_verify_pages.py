"""`spotcheck audit verify` reads the log in keyset pages (bounded memory): page boundaries change
neither what it finds nor how it says it."""

from __future__ import annotations

import pytest

from server.core import db
from server.core.audit import services as audit_service
from tests.conftest import World
from tests.server.test_audit import Client, make_history

TAMPERING = {
    "intact": [],
    "edited": ["""UPDATE audit_event SET summary = '{"code": "FORGED"}' WHERE seq = 2"""],
    "deleted": ["DELETE FROM audit_event WHERE seq = 3"],
    "swapped": [
        "UPDATE audit_event SET seq = -1 WHERE seq = 2",
        "UPDATE audit_event SET seq = 2 WHERE seq = 3",
        "UPDATE audit_event SET seq = 3 WHERE seq = -1",
    ],
    "end_cut": ["DELETE FROM audit_event WHERE seq = 4"],
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
async def test_pages_of_any_size_give_the_same_report(
    client: Client, world: World, tampering: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_history(client, world)
    for statement in TAMPERING[tampering]:
        await db.engine().run_ddl(statement)

    whole = await audit_service.verify_chain()
    reports = []
    for size in (1, 2, 3):
        monkeypatch.setattr(audit_service, "VERIFY_PAGE", size)
        reports.append(await audit_service.verify_chain())

    assert whole.ok == (tampering == "intact"), whole.problems
    assert whole.rows_checked == (4 if tampering in ("intact", "edited", "swapped") else 3)
    assert all(report == whole for report in reports), (whole, reports)

"""The audit chain's end is anchored by a keyed head: cutting or rewriting it is reported.

The hash chain alone shows a changed or missing row in the middle; these tests are about the end
of the chain (deleted last rows, a rewritten suffix with recomputed hashes, a deleted or forged
head), which only the head, keyed outside the database, can vouch for.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import SecretStr

from server.core import db
from server.core.audit import services as audit_service
from server.core.audit.chain import GENESIS_HASH, derive_head_key, event_hash, head_mac
from server.core.audit.tables import AuditEvent, AuditHead
from server.core.errors import Conflict
from server.core.settings import Settings
from server.core.timeutil import aware
from tests.conftest import TEST_SECRET, Spotcheck

pytestmark = pytest.mark.usefixtures("clean_database")

ADMIN = audit_service.Actor(id=None, label="admin (admin)")


async def append(count: int) -> None:
    for index in range(count):
        async with db.write_transaction():
            await audit_service.record(
                actor=ADMIN,
                action="unit.updated",
                object_type="unit",
                object_id=f"unit-{index}",
                summary={"name_vi": f"Xã Phương Định {index}"},
            )
    # Chained, as the API's sealer would within a second: the tests then tamper with the chain.
    await audit_service.seal()


async def kinds(key: bytes | None = None) -> list[str]:
    report = await audit_service.verify_chain(key=key)
    return [problem.kind for problem in report.problems]


async def messages() -> str:
    report = await audit_service.verify_chain()
    return "\n".join(problem.message for problem in report.problems)


async def rewrite_from(first_seq: int) -> None:
    """What someone with database write access but no key can do: change rows from `first_seq`
    on and recompute every hash after them, so the chain itself links perfectly again."""
    rows = await AuditEvent.select().order_by(AuditEvent.seq).output(load_json=True)
    prev = GENESIS_HASH
    for row in rows:
        if row["seq"] >= first_seq:
            summary = {"name_vi": "ĐÃ SỬA"}
            digest = event_hash(
                prev_hash=prev,
                seq=row["seq"],
                occurred_at=aware(row["occurred_at"]),
                actor_id=None,
                actor_label=row["actor_label"],
                action=row["action"],
                object_type=row["object_type"],
                object_id=row["object_id"],
                summary=summary,
            )
            await AuditEvent.update(
                {AuditEvent.summary: summary, AuditEvent.prev_hash: prev, AuditEvent.hash: digest}
            ).where(AuditEvent.id == row["id"])
            prev = digest
        else:
            prev = row["hash"]


async def head_row() -> dict[str, Any]:
    row = await AuditHead.select().first()
    assert row is not None
    return row


# --- Intact -------------------------------------------------------------------------------------


async def test_sealing_moves_the_head_and_an_intact_chain_verifies() -> None:
    await append(4)

    report = await audit_service.verify_chain()
    head = await head_row()
    last = await AuditEvent.select().order_by(AuditEvent.seq, ascending=False).first()

    assert report.ok, report.problems
    assert report.anchored and report.head_seq == 4
    assert last is not None
    assert (head["seq"], head["hash"], head["discrepancy"]) == (4, last["hash"], "")
    assert await AuditHead.count() == 1


async def test_an_empty_log_verifies() -> None:
    report = await audit_service.verify_chain()
    assert report.ok and report.rows_checked == 0


async def test_concurrent_appends_leave_the_head_on_the_chains_end() -> None:
    async def one(index: int) -> None:
        async with db.write_transaction():
            await audit_service.record(
                actor=ADMIN,
                action="auth.login",
                object_type="user",
                object_id=f"user-{index}",
                summary={},
            )

    *_, during = await asyncio.gather(
        *(one(index) for index in range(12)), audit_service.verify_chain()
    )

    # A verify running beside the appends is not fooled into reporting a cut.
    assert during.ok, during.problems
    report = await audit_service.verify_chain()
    assert report.ok, report.problems
    assert (report.rows_checked, report.head_seq) == (12, 12)


# --- The end of the chain cut or rewritten --------------------------------------------------------


async def test_deleting_the_last_rows_is_reported_with_the_rows_missing() -> None:
    await append(5)
    await db.engine().run_ddl("DELETE FROM audit_event WHERE seq >= 4")

    assert await kinds() == ["end_cut_or_rewritten"]
    assert "the last row(s) seq=4..5 were deleted" in await messages()


async def test_deleting_every_row_is_reported() -> None:
    await append(2)
    await db.engine().run_ddl("DELETE FROM audit_event")

    assert await kinds() == ["end_cut_or_rewritten"]
    assert "every row (seq=1..2) was deleted" in await messages()


async def test_a_suffix_rewritten_with_recomputed_hashes_is_reported() -> None:
    await append(5)
    await rewrite_from(3)

    # The rows link perfectly: only the head can tell.
    assert await kinds() == ["end_cut_or_rewritten"]
    assert "the end of the chain was rewritten" in await messages()


async def test_a_head_rewritten_without_the_key_is_reported() -> None:
    await append(5)
    await db.engine().run_ddl("DELETE FROM audit_event WHERE seq = 5")
    last = await AuditEvent.select().where(AuditEvent.seq == 4).first()
    assert last is not None
    forged = head_mac(b"a guess at the key", seq=4, hash=last["hash"], discrepancy="")
    await AuditHead.update(
        {AuditHead.seq: 4, AuditHead.hash: last["hash"], AuditHead.mac: forged}
    ).where(AuditHead.chain == "audit_event")

    assert await kinds() == ["head_forged"]
    assert "fails its HMAC check" in await messages()


async def test_deleting_the_head_is_reported() -> None:
    await append(3)
    await db.engine().run_ddl("DELETE FROM audit_head")

    assert await kinds() == ["head_missing"]
    assert "no head record" in await messages()


async def test_verifying_with_another_key_fails() -> None:
    await append(3)

    assert await kinds(key=derive_head_key("some-other-secret-key-0123456789abcdef")) == [
        "head_forged"
    ]


async def test_appending_after_a_cut_does_not_hide_it() -> None:
    """The next append moves the head with a valid HMAC; it must carry the cut along with it."""
    await append(5)
    await db.engine().run_ddl("DELETE FROM audit_event WHERE seq >= 4")

    await append(2)

    assert await kinds() == ["head_discrepancy"]
    assert "at the append of seq=4: the last row(s) seq=4..5 were deleted" in await messages()
    assert (await head_row())["seq"] == 5


async def test_rows_written_past_the_head_are_reported() -> None:
    await append(3)
    last = await AuditEvent.select().where(AuditEvent.seq == 3).first()
    assert last is not None
    fields: dict[str, Any] = {
        "seq": 4,
        "occurred_at": aware(last["occurred_at"]),
        "actor_id": None,
        "actor_label": "intruder",
        "action": "unit.updated",
        "object_type": "unit",
        "object_id": "x",
        "summary": {},
    }
    # A row that links perfectly to the chain, inserted without the application.
    digest = event_hash(prev_hash=last["hash"], **fields)
    await AuditEvent.insert(AuditEvent(**fields, prev_hash=last["hash"], hash=digest))

    assert await kinds() == ["end_cut_or_rewritten"]
    assert "row(s) seq=4 were added without the head" in await messages()


# --- Anchoring: upgrades and incidents ------------------------------------------------------------


async def test_a_database_from_before_the_head_is_anchored_once_by_the_anchor_command() -> None:
    await append(3)
    await db.engine().run_ddl("DELETE FROM audit_head")  # as after the upgrade's migration
    await append(1)  # appends go on, and do not bless the unanchored chain on their own

    assert await kinds() == ["head_missing"]

    result = await audit_service.anchor(actor=ADMIN)

    assert result.anchored and result.head is not None and result.head.seq == 5
    report = await audit_service.verify_chain()
    assert report.ok, report.problems
    event = await AuditEvent.select().where(AuditEvent.seq == 5).output(load_json=True).first()
    assert event is not None
    assert event["action"] == "audit.anchored"
    assert event["summary"]["previous_head"] is None
    assert "no head record" in event["summary"]["accepted_problems"][0]


async def test_an_anchored_chain_is_left_as_it_is() -> None:
    await append(2)

    result = await audit_service.anchor(actor=ADMIN)

    assert not result.anchored
    assert await AuditEvent.count() == 2


async def test_re_anchoring_after_an_incident_needs_consent_and_is_recorded() -> None:
    await append(5)
    await db.engine().run_ddl("DELETE FROM audit_event WHERE seq >= 4")

    with pytest.raises(Conflict, match="--accept-current"):
        await audit_service.anchor(actor=ADMIN)
    assert await AuditEvent.count() == 3

    result = await audit_service.anchor(actor=ADMIN, accept_current=True)

    assert result.anchored
    assert (await audit_service.verify_chain()).ok
    event = await AuditEvent.select().where(AuditEvent.seq == 4).output(load_json=True).first()
    assert event is not None
    assert event["action"] == "audit.reanchored"
    assert event["summary"]["previous_head"]["seq"] == 5
    assert "seq=4..5 were deleted" in event["summary"]["accepted_problems"][0]


async def test_a_chain_whose_rows_do_not_link_is_never_anchored() -> None:
    await append(3)
    await db.engine().run_ddl(
        """UPDATE audit_event SET summary = '{"name_vi": "ĐÃ SỬA"}' WHERE seq = 2"""
    )

    with pytest.raises(Conflict, match="rows are broken"):
        await audit_service.anchor(actor=ADMIN, accept_current=True)
    assert await AuditEvent.count() == 3


# --- The key --------------------------------------------------------------------------------------


async def test_the_key_is_the_audit_key_or_derived_apart_from_the_secret_key() -> None:
    derived = Settings(environment="test", secret_key=SecretStr(TEST_SECRET))
    explicit = Settings(
        environment="test", secret_key=SecretStr(TEST_SECRET), audit_key=SecretStr("k" * 40)
    )

    assert audit_service.head_key_for(explicit) == b"k" * 40
    assert audit_service.head_key_for(derived) == derive_head_key(TEST_SECRET)
    assert derive_head_key(TEST_SECRET) != TEST_SECRET.encode()
    assert derive_head_key(TEST_SECRET) != derive_head_key(TEST_SECRET + "x")


# --- The command line -----------------------------------------------------------------------------


async def test_the_verify_command_reports_deleted_last_rows(spotcheck: Spotcheck) -> None:
    # One run of the command; every case is covered through the service above.
    await append(4)
    await db.engine().run_ddl("DELETE FROM audit_event WHERE seq = 4")

    result = spotcheck("audit", "verify")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "audit chain BROKEN: 1 problem(s) in 3 events" in result.stdout
    assert "the last row(s) seq=4 were deleted" in result.stdout

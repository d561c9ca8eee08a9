"""A leader's daily digest counts as "to review" only the fixes that leader may judge: those of
units strictly below their home unit, not their own unit's."""

from __future__ import annotations

from datetime import UTC, datetime

from server.actions import scheduled
from server.units.tables import Unit
from tests.conftest import World
from tests.server.test_strictly_above import submitted_action


async def path_of(world: World, code: str) -> str:
    row = await Unit.select(Unit.path).where(Unit.id == world.units[code]).first()
    assert row is not None
    return str(row["path"])


async def test_the_digest_counts_for_review_only_fixes_of_units_below(client, world) -> None:
    await submitted_action(client, world, "C1")
    now = datetime.now(UTC)

    above = await scheduled.digest_counts(await path_of(world, "D1"), now)
    at_the_unit = await scheduled.digest_counts(await path_of(world, "C1"), now)

    assert above["submitted"] == 1
    assert at_the_unit["submitted"] == 0
    # The unit's own leader still sees the action among the open ones of their tree.
    assert at_the_unit["open"] == above["open"] == 1

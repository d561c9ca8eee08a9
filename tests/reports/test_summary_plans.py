"""PostgreSQL's generic plans of the summary's queries still find the counted inspections through
an index, with the subtree as a range of paths; a `LIKE $1` prefix could not.

asyncpg prepares every statement; after five runs PostgreSQL may keep a generic plan, made without
the parameters' values. Each query is prepared here and explained with
``plan_cache_mode = force_generic_plan``. The test database holds a handful of rows, where a
sequential scan is cheapest whatever the conditions, so sequential scans are discouraged
(``enable_seqscan = off``): what is checked is that the generic plan's conditions *can* be
answered by the indexes, not which plan a handful of rows would get (the medium data set's
figures in the report show that one)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest
from piccolo.querystring import QueryString

from reports import summary_queries as queries
from reports import summary_service
from server.core.scopes import Principal, Role
from server.inspections.tables import Inspection

pytestmark = pytest.mark.postgres_only

SCOPE = "/00000000-0000-4000-8000-00000000000a/00000000-0000-4000-8000-00000000000b/"
LEADER = Principal(
    user_id=uuid.uuid4(),
    username="leader",
    role=Role.leader,
    home_unit_id=uuid.UUID("00000000-0000-4000-8000-00000000000a"),
    home_unit_path="/00000000-0000-4000-8000-00000000000a/",
)
PERIOD = summary_service.Period(date(2026, 9, 1), date(2026, 11, 30))


async def generic_plan(database_url: str, query: QueryString) -> str:
    sql, args = query.compile_string(engine_type="postgres")
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute("SET enable_seqscan = off")
        await connection.execute(f"PREPARE report_query AS {sql}")
        literals = [
            await connection.fetchval("SELECT quote_literal($1::text)", _text(arg)) for arg in args
        ]
        rows = await connection.fetch(f"EXPLAIN EXECUTE report_query({', '.join(literals)})")
    finally:
        await connection.close()
    plan = "\n".join(row[0] for row in rows)
    assert re.search(r"\$\d", plan), f"not a generic plan (no parameter in it):\n{plan}"
    return plan


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


async def counted() -> QueryString:
    return queries.where(await summary_service.counted_clauses(LEADER, SCOPE, PERIOD))


async def test_every_summary_query_reaches_its_rows_through_indexes_in_a_generic_plan(
    database_url: str, client: httpx.AsyncClient
) -> None:
    where = await counted()
    for query in (
        queries.unit_groups_query(where, PERIOD.start),
        queries.facet_groups_query(where),
        queries.section_groups_query(where),
        queries.finding_groups_query(where),
        queries.action_groups_query(where, datetime.now(UTC)),
    ):
        plan = await generic_plan(database_url, query)

        assert "inspection_report_scope" in plan, plan
        scope_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
        assert "unit_path" in scope_condition and "visit_date" in scope_condition, plan
        assert "Seq Scan" not in plan, plan


async def test_a_like_prefix_gives_the_generic_plan_no_index_condition_on_the_path(
    database_url: str, client: httpx.AsyncClient
) -> None:
    """Why the range: the same filter with the subtree as `LIKE $n` alone."""
    clauses = [
        Inspection.unit_path.like(f"{SCOPE}%"),
        Inspection.started_at.is_not_null(),
        Inspection.visit_date >= PERIOD.start,
        Inspection.visit_date <= PERIOD.end,
    ]
    plan = await generic_plan(
        database_url, queries.unit_groups_query(queries.where(clauses), PERIOD.start)
    )

    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert not any("unit_path" in line for line in conditions), plan

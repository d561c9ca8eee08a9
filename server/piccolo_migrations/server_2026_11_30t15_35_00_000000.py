"""Written by hand: section scores as rows, filled in for inspections scored before; an index for
the reports' scope and period filter.

- One row per (inspection, section): a unique index, which also serves the reports' join on
  `inspection_id`.
- The backfill copies every scored inspection's `score -> sections` into rows, in one SQL statement
  on each engine (the JSON is unnested where it lies; no row travels through Python). The score JSON
  itself is kept (the minutes and the API read it). Row ids are random version-4 UUIDs, as Python's
  `uuid4()` makes them for rows written later.
- `inspection_report_scope` on (unit_path, visit_date): reports select a subtree as a range of
  paths (`path >= '/a/b/' AND path < '/a/b0'`, see `server.core.db.path_prefix_range`) and a
  period of visit dates, which this index answers on PostgreSQL with a generic plan too, where a
  `LIKE $1` prefix cannot use an index. On PostgreSQL the paths are compared byte by byte
  (`COLLATE "C"`): under a linguistic collation such a range would not be a prefix match.
- `finding_report` and `corrective_action_report`: the reports count the findings and corrective
  actions of the inspections they found, by `inspection_id`; these indexes hold every column
  those counts read, so each engine answers them from the index alone (an index-only scan on
  PostgreSQL once vacuumed, a covering index on SQLite) instead of a table row per finding.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-11-30T15:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Section score rows backfilled; indexes for the reports"

COLUMNS = "id, inspection_id, section_key, position, score, earned, possible"

POSTGRES_BACKFILL = f"""
INSERT INTO inspection_section_score ({COLUMNS})
SELECT gen_random_uuid(), inspection.id, section.value ->> 'key', section.ordinality - 1,
       (section.value ->> 'score')::double precision,
       COALESCE((section.value ->> 'earned')::double precision, 0),
       COALESCE((section.value ->> 'possible')::double precision, 0)
FROM inspection
CROSS JOIN LATERAL json_array_elements(inspection.score -> 'sections')
    WITH ORDINALITY AS section(value, ordinality)
WHERE inspection.score IS NOT NULL
ON CONFLICT (inspection_id, section_key) DO NOTHING
"""

# A version-4 UUID in SQLite's own functions, lower-case with dashes as Piccolo stores them.
SQLITE_UUID4 = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
    "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)

SQLITE_BACKFILL = f"""
INSERT INTO inspection_section_score ({COLUMNS})
SELECT {SQLITE_UUID4}, inspection.id, json_extract(section.value, '$.key'), section.key,
       json_extract(section.value, '$.score'),
       COALESCE(json_extract(section.value, '$.earned'), 0),
       COALESCE(json_extract(section.value, '$.possible'), 0)
FROM inspection, json_each(inspection.score, '$.sections') AS section
WHERE inspection.score IS NOT NULL
ON CONFLICT (inspection_id, section_key) DO NOTHING
"""


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)

    async def create_indexes_and_backfill():
        postgres = isinstance(RawTable._meta.db, PostgresEngine)
        await RawTable.raw(
            "CREATE UNIQUE INDEX inspection_section_score_unique "
            "ON inspection_section_score (inspection_id, section_key)"
        )
        path = 'unit_path COLLATE "C"' if postgres else "unit_path"
        await RawTable.raw(
            f"CREATE INDEX inspection_report_scope ON inspection ({path}, visit_date)"
        )
        await RawTable.raw(
            "CREATE INDEX finding_report ON finding (inspection_id, category, severity)"
        )
        await RawTable.raw(
            "CREATE INDEX corrective_action_report ON corrective_action "
            "(inspection_id, responsible_unit_id, status, due_at, verified_at)"
        )
        await RawTable.raw(POSTGRES_BACKFILL if postgres else SQLITE_BACKFILL)

    async def drop_indexes_and_rows():
        await RawTable.raw("DROP INDEX corrective_action_report")
        await RawTable.raw("DROP INDEX finding_report")
        await RawTable.raw("DROP INDEX inspection_report_scope")
        await RawTable.raw("DROP INDEX inspection_section_score_unique")
        await RawTable.raw("DELETE FROM inspection_section_score")

    manager.add_raw(create_indexes_and_backfill)
    manager.add_raw_backwards(drop_indexes_and_rows)
    return manager

from piccolo.columns import JSON, UUID, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class Plan(Table, tablename="inspection_plan"):
    """A sealed plan of unannounced inspections.

    ``document`` is exactly what ``commitment`` hashes (with the nonce). The nonce stays secret in
    this row until the leader reveals it after the window.
    """

    id = UUID(primary_key=True, default=UUID4())
    title = Varchar(length=300)
    created_by = UUID(index=True)
    scope_unit_id = UUID(index=True)
    scope_unit_path = Varchar(length=2000, index=True)
    checklist_version_id = UUID()
    window_start = Timestamptz()
    window_end = Timestamptz()
    selection = Varchar(length=10)  # "listed" or "drawn"
    draw_k = Integer(null=True, default=None)
    assignment_visibility = Varchar(length=20)  # "at_creation" or "on_visit_day"
    document = JSON()
    commitment = Varchar(length=64)
    nonce = Varchar(length=128)
    revealed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


TABLES = [Plan]

"""The stored ledger: one row per import, one per dossier of a unit (keyed by its code), and the
previous values of every dossier a later import changed.

Each :class:`~server.dossiers.model.Moment` is stored as a ``DATE`` (its local ``day``, as the
ledger gave it) and a nullable ``Timestamptz`` in UTC (its ``at``, only when the ledger gave a
time); a date is never turned into midnight. The lists of moments are JSON arrays of
``{"day": …, "at": …}``. Enums are text. Composite unique indexes ((unit_id, dossier_code),
(unit_id, sha256)) are made by the migration, since Piccolo's columns cannot declare them.
"""

from piccolo.columns import JSON, UUID, BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class DossierLedgerImport(Table, tablename="dossier_ledger_import"):
    """One accepted ledger file for one unit. Idempotent by (unit_id, sha256): the same bytes sent
    again answer with this row."""

    id = UUID(primary_key=True, default=UUID4())
    unit_id = UUID()
    layout = Varchar(length=100)
    file_format = Varchar(length=10)
    sha256 = Varchar(length=64)
    file_name = Varchar(length=255)
    row_count = Integer()
    created_count = Integer()
    updated_count = Integer()
    unchanged_count = Integer()
    # The days the file covers: the first and last day a dossier in it was received.
    period_start = Date(null=True, default=None)
    period_end = Date(null=True, default=None)
    imported_by_id = UUID(null=True, default=None)
    imported_by_label = Varchar(length=200)
    imported_at = Timestamptz(index=True)
    # The answer the import was given (flag counts and the period's indicators as they were
    # then), a cache: the same file sent again answers with it without recomputing.
    summary = JSON(default={})


class Dossier(Table, tablename="dossier"):
    """A dossier as the latest import that changed it gave it (``import_id``)."""

    id = UUID(primary_key=True, default=UUID4())
    unit_id = UUID()
    dossier_code = Varchar(length=100)
    import_id = UUID(index=True)
    received_day = Date()
    received_at = Timestamptz(null=True, default=None)
    appointed_return_day = Date()
    appointed_return_at = Timestamptz(null=True, default=None)
    procedure_code = Varchar(length=100, null=True, default=None)
    procedure_name = Text(null=True, default=None)
    channel = Varchar(length=20, null=True, default=None)
    handling_agency = Text(null=True, default=None)
    transferred_day = Date(null=True, default=None)
    transferred_at = Timestamptz(null=True, default=None)
    resolved_day = Date(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    returned_day = Date(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    component_files = Integer(null=True, default=None)
    result_file_present = Boolean(null=True, default=None)
    fee = BigInt(null=True, default=None)
    paid_online = Boolean(null=True, default=None)
    apology_slips = JSON(default=[])
    new_appointed_returns = JSON(default=[])
    supplement_requests = Integer(null=True, default=None)
    status = Varchar(length=30, null=True, default=None)
    updated_at = Timestamptz()


class DossierHistory(Table, tablename="dossier_history"):
    """The values a dossier had before an import changed it (the canonical record as JSON)."""

    id = UUID(primary_key=True, default=UUID4())
    dossier_id = UUID(index=True)
    unit_id = UUID(index=True)
    dossier_code = Varchar(length=100)
    previous = JSON(default={})
    previous_import_id = UUID()
    replaced_by_import_id = UUID(index=True)
    replaced_at = Timestamptz()


class DossierSample(Table, tablename="dossier_sample"):
    """A plan's sealed sample for one target unit (docs/dossier-ledgers.md, "Sealed sample").

    ``pool`` is what the draw read (``[code, stratum, flagged]`` rows, by code), bound into the
    plan's commitment by ``pool_digest``; ``dossiers`` are the drawn dossiers with the system's
    values as they were at sealing. Secret: read only by the plan's leaders and the visit's team.
    """

    id = UUID(primary_key=True, default=UUID4())
    plan_id = UUID(index=True)
    unit_id = UUID()
    inspection_id = UUID(null=True, default=None, index=True)
    pool = JSON(default=[])
    pool_digest = Varchar(length=64)
    sample_digest = Varchar(length=64)
    allocation = JSON(default={})
    dossiers = JSON(default=[])
    created_at = Timestamptz()


class DossierCheck(Table, tablename="dossier_check"):
    """The inspector's comparison of one sampled dossier's paper file with the system. One per
    (inspection, dossier code) (a unique index); the last writer wins as for answers."""

    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID()
    dossier_code = Varchar(length=100)
    checks = JSON(default={})
    paper = JSON(default={})
    note = Text(null=True, default=None)
    evidence = JSON(default=[])
    device_time = Timestamptz()
    ordering_time = Timestamptz()
    received_at = Timestamptz()
    author_id = UUID()
    op_id = UUID(null=True, default=None)


TABLES = [DossierLedgerImport, Dossier, DossierHistory, DossierSample, DossierCheck]

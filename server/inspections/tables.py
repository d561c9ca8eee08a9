from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class Inspection(Table, tablename="inspection"):
    """One visit to one unit. ``unit_path`` is copied from the unit so scope filters are one
    prefix match; ``updated_at`` moves on every change, which is what the phone's sync cursor reads."""

    id = UUID(primary_key=True, default=UUID4())
    plan_id = UUID(null=True, default=None, index=True)
    unit_id = UUID(index=True)
    unit_path = Varchar(length=2000, index=True)
    checklist_version_id = UUID()
    status = Varchar(length=20, index=True)
    visit_date = Date()
    window_start = Timestamptz()
    window_end = Timestamptz()
    team_head_id = UUID(index=True)
    visible_to_team_from = Timestamptz()
    follow_up_of = UUID(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    start_device_time = Timestamptz(null=True, default=None)
    start_latitude = DoublePrecision(null=True, default=None)
    start_longitude = DoublePrecision(null=True, default=None)
    start_accuracy_m = DoublePrecision(null=True, default=None)
    start_distance_m = DoublePrecision(null=True, default=None)
    clock_skew_seconds = DoublePrecision(null=True, default=None)
    flags = JSON(default=[])
    submitted_at = Timestamptz(null=True, default=None)
    score = JSON(null=True, default=None)
    total_score = DoublePrecision(null=True, default=None)
    rating_band = Varchar(length=50, null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(index=True)


class InspectionSectionScore(Table, tablename="inspection_section_score"):
    """One section's result in a scored inspection: the ``sections`` of ``Inspection.score`` as
    rows, written in the same transaction as the score and replaced whenever it is (re)scored.
    Reports aggregate them with a join, instead of unpacking every inspection's score JSON
    (which stays as it is: the minutes and the API read it). One row per (inspection, section)
    (a unique index); deleting the inspection deletes them."""

    id = UUID(primary_key=True, default=UUID4())
    inspection_id = ForeignKey(references=Inspection, on_delete=OnDelete.cascade, null=False)
    section_key = Varchar(length=100)
    position = Integer()  # the section's place in its checklist, from 0
    score = DoublePrecision(null=True, default=None)  # 0-100; None: nothing in it was scored
    earned = DoublePrecision()
    possible = DoublePrecision()


class InspectionMember(Table, tablename="inspection_member"):
    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID(index=True)
    user_id = UUID(index=True)
    is_head = Boolean(default=False)


class Answer(Table, tablename="inspection_answer"):
    """The current answer to one item. Last writer wins by trusted device time; both the device
    time and the server's receipt time are kept."""

    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID()
    item_key = Varchar(length=100)
    value = JSON(null=True, default=None)
    note = Text(null=True, default=None)
    evidence = JSON(default=[])
    device_time = Timestamptz()
    ordering_time = Timestamptz()
    received_at = Timestamptz()
    author_id = UUID()
    op_id = UUID(null=True, default=None)
    # "dossier_ledger" when the phone says the value was taken from the ledger's pre-fill (a
    # claim: the server judges it at submit and writes what it found in ``ledger``).
    source = Varchar(length=30, null=True, default=None)
    # Written at submit for an item the ledger pre-fills: the ledger's value and source, and
    # ``status``: "taken" (claimed and equal), "matches" (equal, typed by hand) or "override".
    ledger = JSON(null=True, default=None)


class Finding(Table, tablename="finding"):
    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID()
    unit_id = UUID(index=True)
    source = Varchar(length=20)  # "checklist", "manual" or "dossier_sample" (a sampled dossier)
    item_key = Varchar(length=100, null=True, default=None)
    section_key = Varchar(length=100, null=True, default=None)
    category = Varchar(length=50, index=True)
    severity = Varchar(length=20, index=True)
    description = Text()
    description_en = Text(null=True, default=None)
    default_action = JSON(null=True, default=None)
    due_days = Integer(null=True, default=None)
    legal_basis = JSON(default=[])
    evidence = JSON(default=[])
    staff_name = Varchar(length=255, null=True, default=None)
    created_by = UUID()
    created_at = Timestamptz(index=True)


class Signature(Table, tablename="inspection_signature"):
    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID()
    signer_role = Varchar(length=30)  # "team_head" or "unit_representative"
    signer_name = Varchar(length=255)
    image_sha256 = Varchar(length=64, null=True, default=None)
    refused = Boolean(default=False)
    refusal_reason = Text(null=True, default=None)
    witness_name = Varchar(length=255, null=True, default=None)
    signed_at = Timestamptz()
    device_time = Timestamptz(null=True, default=None)
    recorded_by = UUID()


class Addendum(Table, tablename="inspection_addendum"):
    """A correction or note added after signing; the signed record itself never changes."""

    id = UUID(primary_key=True, default=UUID4())
    inspection_id = UUID(index=True)
    author_id = UUID()
    text = Text()
    evidence = JSON(default=[])
    created_at = Timestamptz()


TABLES = [
    Inspection,
    InspectionSectionScore,
    InspectionMember,
    Answer,
    Finding,
    Signature,
    Addendum,
]

from piccolo.columns import JSON, UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class CorrectiveAction(Table, tablename="corrective_action"):
    """What the responsible unit must fix, by when. ``version`` grows with every transition so an
    offline move made against an older state is refused instead of overwriting a newer one."""

    id = UUID(primary_key=True, default=UUID4())
    finding_id = UUID(unique=True)
    inspection_id = UUID()
    inspected_unit_id = UUID(index=True)
    inspected_unit_path = Varchar(length=2000, index=True)
    responsible_unit_id = UUID(index=True)
    responsible_unit_path = Varchar(length=2000, index=True)
    severity = Varchar(length=20)
    category = Varchar(length=50)
    title_vi = Text()
    title_en = Text()
    status = Varchar(length=20, index=True)
    due_at = Timestamptz(index=True)
    report = Text(null=True, default=None)
    evidence = JSON(default=[])
    version = Integer(default=1)
    follow_up_inspection_id = UUID(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(index=True)
    verified_at = Timestamptz(null=True, default=None)


class ActionEvent(Table, tablename="corrective_action_event"):
    """The action's history: every transition, reassignment and comment, oldest first."""

    id = UUID(primary_key=True, default=UUID4())
    action_id = UUID(index=True)
    kind = Varchar(length=20)  # "transition", "reassigned", "comment", "created"
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20, null=True, default=None)
    actor_id = UUID(null=True, default=None)
    actor_label = Varchar(length=200)
    comment = Text(null=True, default=None)
    evidence = JSON(default=[])
    at = Timestamptz()


TABLES = [CorrectiveAction, ActionEvent]

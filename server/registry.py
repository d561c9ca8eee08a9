"""Every package's tables, in one list: the composition level's registry.

The app factory and the command line bind them to the engine (``db.bind_engine``); tests empty
them between tests and check the migrations create each of them. The kernel's database module
knows no package; this module knows them all.
"""

from __future__ import annotations

from piccolo.table import Table

from checklists import tables as checklist_tables
from mobile_api import tables as mobile_tables
from reports import tables as report_tables
from server.actions import tables as action_tables
from server.auth import tables as auth_tables
from server.core.audit import tables as audit_tables
from server.dossiers import tables as dossier_tables
from server.evidence import tables as evidence_tables
from server.inspections import tables as inspection_tables
from server.notifications import tables as notification_tables
from server.plans import tables as plan_tables
from server.units import tables as unit_tables
from server.users import tables as user_tables

_MODULES = [
    unit_tables,
    user_tables,
    auth_tables,
    audit_tables,
    checklist_tables,
    plan_tables,
    inspection_tables,
    evidence_tables,
    mobile_tables,
    action_tables,
    notification_tables,
    report_tables,
    dossier_tables,
]


def all_tables() -> list[type[Table]]:
    return [table for module in _MODULES for table in module.TABLES]

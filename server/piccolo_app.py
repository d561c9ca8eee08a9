"""Piccolo app for the server's own tables; migrations live in server/piccolo_migrations/."""

import os

from piccolo.conf.apps import AppConfig

from server.actions.tables import TABLES as ACTION_TABLES
from server.auth.tables import TABLES as AUTH_TABLES
from server.core.audit.tables import TABLES as AUDIT_TABLES
from server.inspections.tables import TABLES as INSPECTION_TABLES
from server.notifications.tables import TABLES as NOTIFICATION_TABLES
from server.plans.tables import TABLES as PLAN_TABLES
from server.units.tables import TABLES as UNIT_TABLES
from server.users.tables import TABLES as USER_TABLES

APP_CONFIG = AppConfig(
    app_name="server",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        *UNIT_TABLES,
        *USER_TABLES,
        *AUTH_TABLES,
        *AUDIT_TABLES,
        *PLAN_TABLES,
        *INSPECTION_TABLES,
        *ACTION_TABLES,
        *NOTIFICATION_TABLES,
    ],
    migration_dependencies=[],
    commands=[],
)

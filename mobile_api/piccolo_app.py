"""Piccolo app for sync operations and (by history) evidence; migrations in mobile_api/piccolo_migrations/."""

import os

from piccolo.conf.apps import AppConfig

from mobile_api.tables import TABLES
from server.evidence.tables import TABLES as EVIDENCE_TABLES

APP_CONFIG = AppConfig(
    app_name="mobile_api",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    # The evidence table was created by this app's migrations (before evidence became a package
    # of its own); its history stays here, so no migration changes the database.
    table_classes=[*TABLES, *EVIDENCE_TABLES],
    migration_dependencies=["server.piccolo_app"],
    commands=[],
)

"""Piccolo app for sync operations and evidence; migrations in mobile_api/piccolo_migrations/."""

import os

from piccolo.conf.apps import AppConfig

from mobile_api.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="mobile_api",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["server.piccolo_app"],
    commands=[],
)

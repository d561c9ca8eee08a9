"""Piccolo app for stored minutes; migrations in reports/piccolo_migrations/."""

import os

from piccolo.conf.apps import AppConfig

from reports.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["server.piccolo_app"],
    commands=[],
)

"""Piccolo app for published checklist versions; migrations in checklists/piccolo_migrations/."""

import os

from piccolo.conf.apps import AppConfig

from checklists.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="checklists",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["server.piccolo_app"],
    commands=[],
)

"""Piccolo's configuration module, used only by migrations (`spotcheck migrate`).

The running app binds its engine in create_app(); this module builds the same engine from the same
settings so migrations always target the database the app will use.
"""

from piccolo.conf.apps import AppRegistry

from server.core.db import build_engine
from server.core.settings import load_settings

DB = build_engine(load_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "server.piccolo_app",
        "checklists.piccolo_app",
        "mobile_api.piccolo_app",
        "reports.piccolo_app",
    ]
)

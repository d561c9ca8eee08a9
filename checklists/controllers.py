from __future__ import annotations

from litestar import Controller


class ChecklistController(Controller):
    path = "/api/v1/checklists"
    tags = ["checklists"]

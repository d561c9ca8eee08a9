from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from server.core.guards import requires_role
from server.core.openapi import problem_response
from server.core.scopes import Principal, Role
from server.units import services as unit_service
from server.units.schemas import UnitIn, UnitOut, UnitPatch


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["units"]

    @get("/", operation_id="listUnits")
    async def list_units(
        self,
        principal: NamedDependency[Principal],
        include_inactive: FromQuery[bool] = False,
        parent_id: FromQuery[UUID | None] = None,
    ) -> list[UnitOut]:
        """Units in your part of the tree, ordered as a tree (parents before children)."""
        return await unit_service.list_units(
            principal=principal, include_inactive=include_inactive, parent_id=parent_id
        )

    @get("/{unit_id:uuid}", operation_id="getUnit")
    async def get_unit(
        self, unit_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> UnitOut:
        return await unit_service.get_unit(unit_id=unit_id, principal=principal)

    @post(
        "/",
        operation_id="createUnit",
        guards=[requires_role(Role.admin)],
        responses={409: problem_response("A unit with this code exists already.")},
    )
    async def create_unit(
        self, data: JSONBody[UnitIn], principal: NamedDependency[Principal]
    ) -> UnitOut:
        """Add a unit below one in your tree (admin). Notification targets are checked with Apprise."""
        return await unit_service.create_unit(data=data, principal=principal)

    @patch(
        "/{unit_id:uuid}",
        operation_id="updateUnit",
        guards=[requires_role(Role.admin)],
        responses={
            409: problem_response("The code is taken, or the move would put the unit under itself.")
        },
    )
    async def update_unit(
        self,
        unit_id: FromPath[UUID],
        data: JSONBody[UnitPatch],
        principal: NamedDependency[Principal],
    ) -> UnitOut:
        """Change fields, move the unit (never under its own subtree) or deactivate it."""
        return await unit_service.update_unit(unit_id=unit_id, data=data, principal=principal)

    @delete(
        "/{unit_id:uuid}",
        operation_id="deleteUnit",
        guards=[requires_role(Role.admin)],
        status_code=HTTP_204_NO_CONTENT,
        responses={409: problem_response("The unit is in use (your own, or it has history).")},
    )
    async def delete_unit(
        self, unit_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> None:
        """Delete a unit without history; one with history answers 409: deactivate it instead."""
        await unit_service.delete_unit(unit_id=unit_id, principal=principal)

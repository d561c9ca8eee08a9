from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.scopes import Principal, Role
from server.users import services as user_service
from server.users.schemas import UserIn, UserOut, UserPatch


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", operation_id="listUsers")
    async def list_users(
        self, principal: NamedDependency[Principal], role: FromQuery[Role | None] = None
    ) -> list[UserOut]:
        """Users homed in your part of the tree (an inspector sees only themselves)."""
        return await user_service.list_users(principal=principal, role=role)

    @get("/{user_id:uuid}", operation_id="getUser")
    async def get_user(
        self, user_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> UserOut:
        return await user_service.get_user(user_id=user_id, principal=principal)

    @post("/", operation_id="createUser")
    async def create_user(
        self, data: JSONBody[UserIn], principal: NamedDependency[Principal]
    ) -> UserOut:
        return await user_service.create_user(data=data, principal=principal)

    @patch("/{user_id:uuid}", operation_id="updateUser")
    async def update_user(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[UserPatch],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        """Change a user; deactivating or resetting the password ends their sessions."""
        return await user_service.update_user(user_id=user_id, data=data, principal=principal)

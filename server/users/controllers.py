from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from server.core.guards import requires_role
from server.core.openapi import problem_response
from server.core.pagination import DEFAULT_LIMIT
from server.core.pagination_http import TOTAL_COUNT_HEADERS, Limit, Offset, page_response
from server.core.scopes import Principal, Role
from server.users import services as user_service
from server.users.schemas import TeamCandidateOut, UserIn, UserOut, UserPatch


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", operation_id="listUsers", response_headers=TOTAL_COUNT_HEADERS)
    async def list_users(
        self,
        principal: NamedDependency[Principal],
        role: FromQuery[Role | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Response[list[UserOut]]:
        """Users homed in your part of the tree (an inspector sees only themselves), by username.
        One page of `limit` rows from `offset`; the header `X-Total-Count` has the total."""
        page = await user_service.list_users(
            principal=principal, role=role, limit=limit, offset=offset
        )
        return page_response(page)

    @get(
        "/team-candidates",
        operation_id="listTeamCandidates",
        guards=[requires_role(Role.leader, Role.admin)],
    )
    async def team_candidates(
        self, principal: NamedDependency[Principal]
    ) -> list[TeamCandidateOut]:
        """Active inspectors and leaders a leader may put on a team, wherever they are homed
        (names and home units only). Leaders and admins."""
        return await user_service.team_candidates(principal=principal)

    @get("/{user_id:uuid}", operation_id="getUser")
    async def get_user(
        self, user_id: FromPath[UUID], principal: NamedDependency[Principal]
    ) -> UserOut:
        return await user_service.get_user(user_id=user_id, principal=principal)

    @post(
        "/",
        operation_id="createUser",
        guards=[requires_role(Role.admin)],
        responses={409: problem_response("The username is taken.")},
    )
    async def create_user(
        self, data: JSONBody[UserIn], principal: NamedDependency[Principal]
    ) -> UserOut:
        return await user_service.create_user(data=data, principal=principal)

    @patch(
        "/{user_id:uuid}",
        operation_id="updateUser",
        guards=[requires_role(Role.admin)],
        responses={409: problem_response("The username is taken.")},
    )
    async def update_user(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[UserPatch],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        """Change a user; deactivating or resetting the password ends their sessions."""
        return await user_service.update_user(user_id=user_id, data=data, principal=principal)

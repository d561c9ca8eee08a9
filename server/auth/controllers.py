from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from server.auth import client_address
from server.auth import services as auth_service
from server.auth.openapi import PublicOperation
from server.auth.schemas import LoginIn, RefreshIn, TokenPairOut
from server.core.openapi import problem_response
from server.core.scopes import Principal
from server.core.settings import Settings
from server.users import services as user_service
from server.users.schemas import MeOut


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/login",
        operation_id="login",
        status_code=HTTP_200_OK,
        security=[],
        operation_class=PublicOperation,
        responses={
            401: problem_response("Wrong username or password, or the account is inactive."),
            429: problem_response("Too many failed logins: wait `Retry-After` seconds."),
        },
    )
    async def login(
        self,
        data: JSONBody[LoginIn],
        settings: NamedDependency[Settings],
        request: Request[Any, Any, Any],
    ) -> TokenPairOut:
        """Exchange a username and password for an access token and a refresh token."""
        remote = client_address.client_address(
            request.client.host if request.client else None,
            request.headers.getall("x-forwarded-for", []),
            settings.trusted_proxies,
        )
        return await auth_service.login(settings=settings, data=data, remote_address=remote)

    @post(
        "/refresh",
        operation_id="refresh",
        status_code=HTTP_200_OK,
        security=[],
        operation_class=PublicOperation,
        responses={401: problem_response("The refresh token is not valid, expired or revoked.")},
    )
    async def refresh(
        self, data: JSONBody[RefreshIn], settings: NamedDependency[Settings]
    ) -> TokenPairOut:
        """Rotate the refresh token; reusing an old one ends every session of that login."""
        return await auth_service.refresh(settings=settings, refresh_token=data.refresh_token)

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, principal: NamedDependency[Principal]) -> None:
        """End this device's login: its refresh and access tokens stop working."""
        await auth_service.logout(principal=principal)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["auth"]

    @get("/", operation_id="getMe")
    async def me(self, principal: NamedDependency[Principal]) -> MeOut:
        """The logged-in user, their home unit and what their role may see."""
        return await user_service.me(principal)

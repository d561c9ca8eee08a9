"""Bearer-token authentication for every route except the public ones listed in the app factory."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.auth import services as auth_service
from server.core.errors import NotAuthenticated


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated(
                "This needs an access token: send 'Authorization: Bearer <token>' "
                "(get one from POST /api/v1/auth/login)."
            )
        settings = connection.app.state.settings
        principal = await auth_service.authenticate(settings, token.strip())
        return AuthenticationResult(user=principal, auth=None)

"""Role guards: a route's role rule, stated where the route is declared.

A guard refuses with exactly what the service's own check says (the 403 problem of
:func:`server.core.scopes.require_role`); the services keep that check, for the sync and CLI paths
that have no route. A guard belongs only on a route whose service checks the role *first*: where a
service answers 404 before it looks at the role (a sealed plan, an object outside your scope), a
guard would turn that 404 into a 403 and tell a caller the object exists.

A guard runs before the request is parsed, so a caller without the role reads 403 even when the
body or a query parameter is also wrong (the service would have been reached only after them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from server.core.errors import NotAuthenticated
from server.core.scopes import Principal, Role, require_role


@dataclass(frozen=True)
class RoleGuard:
    """A Litestar guard letting through only principals with one of ``roles``."""

    roles: tuple[Role, ...]

    # Async, so Litestar calls it on the event loop instead of sending it to a worker thread.
    async def __call__(
        self, connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        if connection.scope.get("method") == "OPTIONS":
            # Litestar answers OPTIONS itself (the methods the path allows) and runs a
            # controller's guards on it too; the authentication middleware lets it through
            # without a token, and the answer holds nothing a role protects.
            return
        principal = connection.scope.get("user")
        if not isinstance(principal, Principal):
            # Only on a route the authentication middleware skips: a guard there is a wiring
            # mistake, and it must fail closed.
            raise NotAuthenticated(
                "This needs an access token: send 'Authorization: Bearer <token>'."
            )
        require_role(principal, *self.roles)


def requires_role(*roles: Role) -> RoleGuard:
    """The guard for a route that needs one of ``roles``; list them in the order the service's
    ``require_role`` does, since the refusal names them in that order."""
    if not roles:
        raise ValueError("requires_role needs at least one role.")
    return RoleGuard(roles=roles)

"""OpenAPI helpers for routes that need no token."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import Operation


@dataclass
class PublicOperation(Operation):
    """Documents an operation as needing no token (``security: []``).

    A handler's ``security=[]`` is not enough: Litestar drops an empty list, so the operation would
    inherit the app-wide bearer requirement and clients would be told to send a token to log in.
    Use it as the handler's ``operation_class``.
    """

    def __post_init__(self) -> None:
        self.security = []

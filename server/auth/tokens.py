"""Access tokens (JWT, HS256) and opaque refresh tokens. Issuer, audience and algorithm are checked."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import jwt

from server.core.errors import NotAuthenticated
from server.core.settings import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: UUID
    role: str
    family_id: UUID
    expires_at: datetime


def issue_access_token(
    settings: Settings, *, user_id: UUID, role: str, family_id: UUID, now: datetime | None = None
) -> tuple[str, datetime]:
    issued = now or datetime.now(UTC)
    expires = issued + timedelta(minutes=settings.access_token_minutes)
    payload = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "role": role,
        "fid": str(family_id),
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid4().hex,
    }
    token = jwt.encode(payload, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)
    return token, expires


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "fid"]},
            leeway=5,
        )
        return AccessClaims(
            user_id=UUID(payload["sub"]),
            role=str(payload.get("role", "")),
            family_id=UUID(payload["fid"]),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    except jwt.ExpiredSignatureError as error:
        raise NotAuthenticated(
            "The access token has expired; get a new one with POST /api/v1/auth/refresh."
        ) from error
    except (jwt.InvalidTokenError, ValueError, KeyError) as error:
        raise NotAuthenticated("The access token is not valid; log in again.") from error


def new_refresh_token() -> str:
    return secrets.token_urlsafe(48)


def refresh_token_hash(token: str) -> str:
    # The token has 384 bits of entropy, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

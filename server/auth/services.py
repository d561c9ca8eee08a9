"""Login, refresh-token rotation with reuse detection, logout, and request authentication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from server import db
from server.audit import services as audit_service
from server.auth import passwords, tokens
from server.auth.schemas import LoginIn, TokenPairOut
from server.auth.tables import LoginFailure, RefreshToken
from server.errors import NotAuthenticated, TooManyRequests
from server.scopes import Principal
from server.settings import Settings
from server.timeutil import aware
from server.users import services as user_service

# Wrong username and wrong password read the same, so the API does not confirm who has an account.
BAD_CREDENTIALS = "Wrong username or password."


async def login(
    *, settings: Settings, data: LoginIn, remote_address: str, now: datetime | None = None
) -> TokenPairOut:
    now = now or datetime.now(UTC)
    username = data.username.strip().lower()
    await _refuse_if_throttled(settings, username, now)
    user = await user_service.find_active_by_username(username)
    if not await passwords.verify_password(user["password_hash"] if user else None, data.password):
        async with db.write_transaction():
            await LoginFailure.insert(
                LoginFailure(
                    id=uuid4(), username=username, remote_address=remote_address, failed_at=now
                )
            )
        raise NotAuthenticated(BAD_CREDENTIALS)
    assert user is not None
    family_id = uuid4()
    async with db.write_transaction():
        await LoginFailure.delete().where(LoginFailure.username == username)
        refresh, refresh_expires = await _store_refresh_token(
            settings, user_id=user["id"], family_id=family_id, device_name=data.device_name, now=now
        )
        await audit_service.record(
            actor=audit_service.Actor(id=user["id"], label=f"{username} ({user['role']})"),
            action="auth.login",
            object_type="user",
            object_id=user["id"],
            summary={"device_name": data.device_name, "family_id": str(family_id)},
        )
    access, access_expires = tokens.issue_access_token(
        settings, user_id=user["id"], role=user["role"], family_id=family_id, now=now
    )
    return TokenPairOut(
        access_token=access,
        access_expires_at=access_expires,
        refresh_token=refresh,
        refresh_expires_at=refresh_expires,
        user=user_service.to_out(user),
    )


async def _refuse_if_throttled(settings: Settings, username: str, now: datetime) -> None:
    window_start = now - timedelta(minutes=settings.login_failure_window_minutes)
    recent = (
        await LoginFailure.select(LoginFailure.failed_at)
        .where(LoginFailure.username == username, LoginFailure.failed_at >= window_start)
        .order_by(LoginFailure.failed_at)
    )
    if len(recent) >= settings.login_max_failures:
        oldest_counted = recent[-settings.login_max_failures]["failed_at"]
        retry_at = oldest_counted + timedelta(minutes=settings.login_failure_window_minutes)
        seconds = max(1, int((retry_at - now).total_seconds()) + 1)
        raise TooManyRequests(
            f"Too many failed logins for this account. Try again in {seconds // 60 + 1} minute(s).",
            retry_after_seconds=seconds,
        )


async def _store_refresh_token(
    settings: Settings, *, user_id: UUID, family_id: UUID, device_name: str, now: datetime
) -> tuple[str, datetime]:
    token = tokens.new_refresh_token()
    expires = now + timedelta(days=settings.refresh_token_days)
    await RefreshToken.insert(
        RefreshToken(
            id=uuid4(),
            family_id=family_id,
            user_id=user_id,
            device_name=device_name,
            token_hash=tokens.refresh_token_hash(token),
            issued_at=now,
            expires_at=expires,
        )
    )
    return token, expires


class RefreshReuse(NotAuthenticated):
    pass


async def refresh(
    *, settings: Settings, refresh_token: str, now: datetime | None = None
) -> TokenPairOut:
    """Swap a refresh token for a new pair. Presenting a used token revokes its whole family:
    either the thief or the owner is holding a copy, and we cannot tell which."""
    now = now or datetime.now(UTC)
    token_hash = tokens.refresh_token_hash(refresh_token)
    reuse_detected = False
    principal: Principal | None = None
    async with db.write_transaction():
        row = await RefreshToken.select().where(RefreshToken.token_hash == token_hash).first()
        if row is None:
            raise NotAuthenticated("The refresh token is not valid; log in again.")
        # Two refreshes with one token at once: the second waits here, then sees it used (reuse).
        await db.lock_row("refresh_token", row["id"])
        row = await RefreshToken.select().where(RefreshToken.id == row["id"]).first()
        assert row is not None
        if row["revoked_at"] is not None:
            raise NotAuthenticated("This login was ended; log in again.")
        if row["used_at"] is not None:
            await _revoke_family(row["family_id"], reason="refresh token reused", now=now)
            await audit_service.record(
                actor=audit_service.SYSTEM,
                action="auth.refresh_reuse_detected",
                object_type="user",
                object_id=row["user_id"],
                summary={"family_id": str(row["family_id"]), "device_name": row["device_name"]},
            )
            reuse_detected = True
        elif aware(row["expires_at"]) <= now:
            raise NotAuthenticated("The refresh token has expired; log in again.")
        else:
            principal = await user_service.load_principal(row["user_id"], row["family_id"])
            if principal is None:
                raise NotAuthenticated("The account is no longer active.")
            await RefreshToken.update({RefreshToken.used_at: now}).where(
                RefreshToken.id == row["id"]
            )
            new_refresh, refresh_expires = await _store_refresh_token(
                settings,
                user_id=row["user_id"],
                family_id=row["family_id"],
                device_name=row["device_name"],
                now=now,
            )
    # Raised after the transaction so the revocation is committed, not rolled back with the error.
    if reuse_detected or principal is None:
        raise RefreshReuse(
            "This refresh token was already used. For safety every session of this login has "
            "been ended; log in again."
        )
    access, access_expires = tokens.issue_access_token(
        settings,
        user_id=principal.user_id,
        role=principal.role.value,
        family_id=row["family_id"],
        now=now,
    )
    user = await user_service.get_user(user_id=principal.user_id, principal=principal)
    return TokenPairOut(
        access_token=access,
        access_expires_at=access_expires,
        refresh_token=new_refresh,
        refresh_expires_at=refresh_expires,
        user=user,
    )


async def _revoke_family(family_id: UUID, *, reason: str, now: datetime) -> None:
    await RefreshToken.update(
        {RefreshToken.revoked_at: now, RefreshToken.revoked_reason: reason}
    ).where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_null())


async def logout(*, principal: Principal) -> None:
    if principal.session_family_id is None:
        return
    now = datetime.now(UTC)
    async with db.write_transaction():
        await _revoke_family(principal.session_family_id, reason="logout", now=now)
        await audit_service.record(
            actor=audit_service.actor_of(principal),
            action="auth.logout",
            object_type="user",
            object_id=principal.user_id,
            summary={"family_id": str(principal.session_family_id)},
        )


async def revoke_all_sessions(user_id: UUID, *, reason: str) -> None:
    """Run inside the caller's transaction."""
    await RefreshToken.update(
        {RefreshToken.revoked_at: datetime.now(UTC), RefreshToken.revoked_reason: reason}
    ).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_null())


async def authenticate(settings: Settings, bearer_token: str) -> Principal:
    claims = tokens.decode_access_token(settings, bearer_token)
    # A logged-out or revoked family ends its access tokens at once, not when they expire.
    live = await RefreshToken.exists().where(
        RefreshToken.family_id == claims.family_id, RefreshToken.revoked_at.is_null()
    )
    if not live:
        raise NotAuthenticated("This login was ended; log in again.")
    principal = await user_service.load_principal(claims.user_id, claims.family_id)
    if principal is None:
        raise NotAuthenticated("The account is no longer active.")
    return principal

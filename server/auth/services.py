"""Login, refresh-token rotation with reuse detection, logout, and request authentication."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from piccolo.columns.combination import Combinable

from server.auth import tokens
from server.auth.schemas import LoginIn, TokenPairOut
from server.auth.tables import LoginFailure, RefreshToken
from server.core import db, passwords
from server.core.audit import services as audit_service
from server.core.errors import NotAuthenticated, TooManyRequests
from server.core.scopes import Principal
from server.core.settings import Settings
from server.core.timeutil import aware
from server.users import services as user_service
from server.users.tables import AppUser

# Wrong username and wrong password read the same, so the API does not confirm who has an account.
BAD_CREDENTIALS = "Wrong username or password."
# One address may fail this many times the per-account limit across all accounts in the window
# (password spraying); generous enough for an office behind one NAT address.
ADDRESS_LIMIT_MULTIPLIER = 4
# Each recorded attempt deletes up to this many expired ones: far more than it adds.
PRUNE_BATCH = 100
EXPIRED_ATTEMPTS_QUERY = (
    "SELECT id FROM login_failure WHERE failed_at < {} ORDER BY failed_at LIMIT {}"
)


async def login(
    *, settings: Settings, data: LoginIn, remote_address: str, now: datetime | None = None
) -> TokenPairOut:
    """Counts the attempt before the (slow) password check, so a burst of parallel guesses cannot
    all pass the throttle at once: see :func:`_record_attempt_or_refuse`."""
    now = now or datetime.now(UTC)
    username = data.username.strip().lower()
    await _record_attempt_or_refuse(settings, username=username, address=remote_address, now=now)
    # Unknown user or wrong password: the same attempt row, the same Argon2 work, the same answer.
    user = await user_service.find_active_by_username(username)
    if not await passwords.verify_password(user.password_hash if user else None, data.password):
        raise NotAuthenticated(BAD_CREDENTIALS)
    assert user is not None
    family_id = uuid4()
    async with db.write_transaction():
        await LoginFailure.delete().where(
            LoginFailure.username == username, LoginFailure.remote_address == remote_address
        )
        refresh, refresh_expires = await _store_refresh_token(
            settings, user_id=user.id, family_id=family_id, device_name=data.device_name, now=now
        )
        await audit_service.record(
            actor=audit_service.Actor(id=user.id, label=f"{username} ({user.role})"),
            action="auth.login",
            object_type="user",
            object_id=user.id,
            summary={"device_name": data.device_name, "family_id": str(family_id)},
        )
    access, access_expires = tokens.issue_access_token(
        settings, user_id=user.id, role=user.role, family_id=family_id, now=now
    )
    return TokenPairOut(
        access_token=access,
        access_expires_at=access_expires,
        refresh_token=refresh,
        refresh_expires_at=refresh_expires,
        user=user.profile,
    )


async def _record_attempt_or_refuse(
    settings: Settings, *, username: str, address: str, now: datetime
) -> None:
    """In one short write transaction: refuse (429, nothing written) when the account has used up
    its attempts from this address, or the address its attempts across all accounts; otherwise
    record this attempt. SQLite's IMMEDIATE transaction and PostgreSQL's advisory lock on the
    address make count-then-insert atomic, so N parallel guesses get at most the limit through."""
    window = timedelta(minutes=settings.login_failure_window_minutes)
    window_start = now - window
    async with db.write_transaction():
        await db.lock_for_append(_attempt_lock_name(address))
        await _prune_expired_attempts(window_start)
        account_wait = await _seconds_until_below_limit(
            (LoginFailure.username == username, LoginFailure.remote_address == address),
            limit=settings.login_max_failures,
            window_start=window_start,
            window=window,
            now=now,
        )
        if account_wait is not None:
            raise TooManyRequests(
                "Too many failed logins for this account from your address. "
                f"Try again in {_minutes(account_wait)} minute(s).",
                retry_after_seconds=account_wait,
            )
        address_wait = await _seconds_until_below_limit(
            (LoginFailure.remote_address == address,),
            limit=settings.login_max_failures * ADDRESS_LIMIT_MULTIPLIER,
            window_start=window_start,
            window=window,
            now=now,
        )
        if address_wait is not None:
            raise TooManyRequests(
                "Too many failed logins from your address. "
                f"Try again in {_minutes(address_wait)} minute(s).",
                retry_after_seconds=address_wait,
            )
        await LoginFailure.insert(
            LoginFailure(id=uuid4(), username=username, remote_address=address, failed_at=now)
        )


async def _seconds_until_below_limit(
    conditions: tuple[Combinable, ...],
    *,
    limit: int,
    window_start: datetime,
    window: timedelta,
    now: datetime,
) -> int | None:
    """None while fewer than ``limit`` attempts match in the window; otherwise the seconds until
    the oldest of the ``limit`` most recent ones leaves the window."""
    recent = (
        await LoginFailure.select(LoginFailure.failed_at)
        .where(*conditions, LoginFailure.failed_at >= window_start)
        .order_by(LoginFailure.failed_at, ascending=False)
        .limit(limit)
    )
    if len(recent) < limit:
        return None
    leaves_window_at = aware(recent[-1]["failed_at"]) + window
    return max(1, math.ceil((leaves_window_at - now).total_seconds()))


async def _prune_expired_attempts(window_start: datetime) -> None:
    """Delete a batch of attempts that have left the window (of any account and address), so the
    table stays the size of one window. Rows another transaction is pruning are skipped, not
    waited for: a prune never blocks, so it cannot deadlock with another."""
    expired = await LoginFailure.raw(
        EXPIRED_ATTEMPTS_QUERY + db.skip_locked_clause(), window_start, PRUNE_BATCH
    )
    if expired:
        await LoginFailure.delete().where(LoginFailure.id.is_in([row["id"] for row in expired]))


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _attempt_lock_name(address: str) -> str:
    # Every attempt from one address takes this lock: both limits are counted under it.
    return "login_attempts." + hashlib.sha256(address.encode("utf-8")).hexdigest()[:32]


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


# The same check as the Piccolo query below, as fixed SQL on PostgreSQL: every request runs it,
# and building the query cost more of the server's CPU than PostgreSQL spent on it.
_SESSION_PRINCIPAL_SQL = user_service.principal_statement(
    f'EXISTS (SELECT 1 FROM "{RefreshToken._meta.tablename}" r '  # noqa: S608 (names only)
    "WHERE r.user_id = u.id AND r.family_id = $2 AND r.revoked_at IS NULL)"
)


async def authenticate(settings: Settings, bearer_token: str) -> Principal:
    claims = tokens.decode_access_token(settings, bearer_token)
    # A logged-out or revoked family ends its access tokens at once, not when they expire.
    # The family must be the subject's own: a live family of another user does not vouch for it.
    live_family = (
        RefreshToken.family_id == claims.family_id,
        RefreshToken.user_id == claims.user_id,
        RefreshToken.revoked_at.is_null(),
    )
    # Every request comes here: the session and the user are checked in one statement, and only a
    # refusal looks again to say which of the two it was.
    if db.is_postgres():
        principal = await user_service.load_principal_by_statement(
            _SESSION_PRINCIPAL_SQL, claims.user_id, claims.family_id, claims.family_id
        )
    else:
        principal = await user_service.load_principal(
            claims.user_id,
            claims.family_id,
            also=db.has_linked_row(
                RefreshToken.user_id,
                AppUser.id,
                equal=[(RefreshToken.family_id, claims.family_id)],
                null=[RefreshToken.revoked_at],
            ),
        )
    if principal is not None:
        return principal
    if not await RefreshToken.exists().where(*live_family):
        raise NotAuthenticated("This login was ended; log in again.")
    raise NotAuthenticated("The account is no longer active.")

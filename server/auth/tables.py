from piccolo.columns import UUID, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class RefreshToken(Table, tablename="refresh_token"):
    """One issued refresh token. Only its SHA-256 is stored; a family is one device's login."""

    id = UUID(primary_key=True, default=UUID4())
    family_id = UUID(index=True)
    user_id = UUID(index=True)
    device_name = Varchar(length=200)
    token_hash = Varchar(length=64, unique=True)
    issued_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=100, null=True, default=None)


class LoginFailure(Table, tablename="login_failure"):
    """Login attempts of the throttle window, kept in the database so every API replica throttles
    the same way. Recorded before the password is checked (the name predates that); a success
    deletes its account's rows from its address. ``remote_address`` is the throttle key: an IPv4
    address or an IPv6 /64 (server/auth/client_address.py)."""

    id = UUID(primary_key=True, default=UUID4())
    username = Varchar(length=100, index=True)
    remote_address = Varchar(length=64)
    failed_at = Timestamptz(index=True)


TABLES = [RefreshToken, LoginFailure]

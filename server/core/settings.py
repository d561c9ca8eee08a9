"""One settings object for the whole server, read from ``SPOTCHECK_*`` environment variables.

Secrets have no usable default: outside development mode a missing or placeholder secret key stops
the process at start with a message that says what to set.
"""

from __future__ import annotations

import collections
import ipaddress
import itertools
import math
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # server/core/settings.py → the project
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"

# Values that people paste from examples; accepting them in production would be a silent hole.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "development", "please-change-me", "xxx"}
)
MIN_SECRET_LENGTH = 32
# The key development and tests fall back to; it is in the source, so it signs nothing real.
DEVELOPMENT_KEY_PREFIX = "development-only-key"
# Floors for secret_weakness(). A random key of MIN_SECRET_LENGTH characters clears them: 32 hex
# digits, the weakest usual form, had at least 9 distinct characters and 91 bits by the estimate
# in 100,000 draws. A typed phrase with a pattern or a few characters repeated does not.
MIN_SECRET_DISTINCT_CHARACTERS = 8
MIN_SECRET_ENTROPY_BITS = 80
HOW_TO_MAKE_A_KEY = (
    "Make one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
    "(or `openssl rand -base64 48`)."
)


# s3://bucket[/prefix]: S3's bucket naming rules (3-63 characters), a prefix of plain path parts.
S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._-]+)*/?$")


class SettingsError(ValueError):
    """Raised when the configuration cannot run safely; the message says what to change."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_", extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_VAR_DIR / 'spotcheck.sqlite3'}",
        description="sqlite:///path/to/file or postgresql://user:pass@host:port/db",
    )
    secret_key: SecretStr = SecretStr("")
    media_dir: Path = Field(
        default=DEFAULT_VAR_DIR / "media",
        description="Evidence files and stored minutes, when SPOTCHECK_STORAGE_URL is not set",
    )
    storage_url: str | None = Field(
        default=None,
        description="s3://bucket/prefix: keep evidence files and stored minutes in an "
        "S3-compatible bucket instead of the media directory",
    )
    storage_endpoint_url: str | None = Field(
        default=None,
        description="The S3 endpoint, e.g. http://minio:9000 (unset: Amazon S3 in the region)",
    )
    storage_region: str = "us-east-1"
    storage_access_key_id: str | None = None
    storage_secret_access_key: SecretStr | None = None
    app_dir: Path = Field(
        default=PROJECT_ROOT / "mobile_app" / "dist",
        description="The built web app (npm run build in mobile_app/), served at /app/",
    )
    public_base_url: str = "http://127.0.0.1:8000"
    time_zone: str = "Asia/Ho_Chi_Minh"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    jwt_issuer: str = "spotcheck"
    jwt_audience: str = "spotcheck-api"
    oversight_notification_urls: list[str] = Field(default_factory=list)
    request_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    evidence_max_bytes: int = Field(default=15_000_000, ge=1024)
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    db_pool_max_size: int = Field(default=10, ge=1)
    db_acquire_timeout_seconds: float = Field(default=10.0, gt=0)
    sqlite_busy_timeout_seconds: float = Field(default=15.0, gt=0)
    # Comma-separated lists in the environment (``a,b,c``), not JSON.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or CIDR networks of reverse proxies whose X-Forwarded-For is "
        "believed (login throttling by client address); empty: the peer address is the client",
    )
    notify_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="host or host:port entries that notification targets may reach although "
        "they resolve to a private, loopback or otherwise non-public address",
    )
    audit_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the HMAC that anchors the audit chain's head outside the database",
    )
    audit_seal_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="How often each API process chains the audit events written since (0: only "
        "the worker and `spotcheck audit verify` do); see docs/audit.md",
    )
    fee_catalogue: str = Field(
        default="ninh-binh",
        min_length=1,
        description="The posted-fee catalogue the fee rules compare ledgers with: a key of "
        "server/dossiers/fee_catalogues/vn.yaml, or `none` (no fee rules); see "
        "docs/dossier-ledgers.md",
    )
    pdf_render_workers: int = Field(default=2, ge=1, le=16)
    pdf_render_queue_limit: int = Field(default=16, ge=1)
    http_limit_concurrency: int = Field(default=200, ge=1)
    http_keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    worker_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Deliveries each `spotcheck worker` keeps in flight at once (one thread each)",
    )

    @field_validator("trusted_proxies", "notify_allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as error:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR network (e.g. 10.0.0.2 or 10.0.1.0/24)"
                ) from error
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("storage_url", "storage_endpoint_url", "storage_access_key_id", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # compose writes `VAR: ${X:-}`, which sets an empty string rather than nothing.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("storage_url")
    @classmethod
    def _s3_bucket_url(cls, value: str | None) -> str | None:
        if value is not None and not S3_URL.match(value):
            raise ValueError(
                f"{value!r} is not s3://bucket or s3://bucket/prefix (a bucket name of 3 to 63 "
                "lower-case letters, digits, dots and hyphens); leave it unset to keep the files "
                "in SPOTCHECK_MEDIA_DIR"
            )
        return value.rstrip("/") if value else value

    @field_validator("storage_endpoint_url")
    @classmethod
    def _http_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @model_validator(mode="after")
    def _secret_is_real_outside_development(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret.strip().lower() in PLACEHOLDER_SECRETS:
                raise SettingsError(
                    "SPOTCHECK_SECRET_KEY is missing or a placeholder. Set it to a random value of "
                    f"at least {MIN_SECRET_LENGTH} characters. {HOW_TO_MAKE_A_KEY}"
                )
            if secret.strip().lower().startswith(DEVELOPMENT_KEY_PREFIX):
                raise SettingsError(
                    "SPOTCHECK_SECRET_KEY is the development key, which is public (it is in the "
                    f"source); anyone could sign tokens with it. {HOW_TO_MAKE_A_KEY}"
                )
            if len(secret) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"SPOTCHECK_SECRET_KEY is too short ({len(secret)} characters); use at least "
                    f"{MIN_SECRET_LENGTH}. {HOW_TO_MAKE_A_KEY}"
                )
            weakness = secret_weakness(secret)
            if weakness:
                raise SettingsError(
                    f"SPOTCHECK_SECRET_KEY is too easy to guess: it {weakness}. Use a random "
                    f"value, not a phrase or a pattern. {HOW_TO_MAKE_A_KEY}"
                )
        elif not self.secret_key.get_secret_value():
            # Development and tests still sign tokens; a fixed key there is harmless and explicit.
            object.__setattr__(
                self, "secret_key", SecretStr(DEVELOPMENT_KEY_PREFIX + "-" + "x" * 32)
            )
        return self

    @model_validator(mode="after")
    def _bucket_credentials(self) -> Settings:
        if self.storage_url is None:
            return self
        secret = self.storage_secret_access_key
        missing = [
            name
            for name, value in (
                ("SPOTCHECK_STORAGE_ACCESS_KEY_ID", self.storage_access_key_id),
                ("SPOTCHECK_STORAGE_SECRET_ACCESS_KEY", secret and secret.get_secret_value()),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"SPOTCHECK_STORAGE_URL is {self.storage_url} but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set. Give the bucket's access key "
                "(e.g. the MinIO user the server writes as), or unset SPOTCHECK_STORAGE_URL to "
                "keep the files in SPOTCHECK_MEDIA_DIR."
            )
        return self

    @property
    def bucket_and_prefix(self) -> tuple[str, str] | None:
        """The bucket and the key prefix (without slashes) of SPOTCHECK_STORAGE_URL, if set."""
        if self.storage_url is None:
            return None
        bucket, _, prefix = self.storage_url.removeprefix("s3://").partition("/")
        return bucket, prefix.strip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))


def secret_weakness(secret: str) -> str | None:
    """Why a key of sufficient length is still guessable (completing "it …"), or None.

    These are cheap estimates that catch what people type (one character or a short pattern
    repeated, a few characters, a run like abcdef…); they cannot prove a key random."""
    length = len(secret)
    period = next(
        (size for size in range(1, length // 2 + 1) if secret == (secret[:size] * length)[:length]),
        None,
    )
    if period == 1:
        return "is one character repeated"
    if period is not None:
        return f"repeats a pattern of {period} characters"
    distinct = len(set(secret))
    if distinct < MIN_SECRET_DISTINCT_CHARACTERS:
        return (
            f"uses only {distinct} different characters "
            f"(at least {MIN_SECRET_DISTINCT_CHARACTERS} needed)"
        )
    neighbour_steps = sum(1 for a, b in itertools.pairwise(secret) if abs(ord(a) - ord(b)) == 1)
    if neighbour_steps * 2 >= length - 1:
        return "is mostly runs of neighbouring characters (like abcdef or 123456)"
    counts = collections.Counter(secret).values()
    bits = -sum(count * math.log2(count / length) for count in counts)
    if bits < MIN_SECRET_ENTROPY_BITS:
        return (
            "repeats a few characters too often (under "
            f"{MIN_SECRET_ENTROPY_BITS} bits by a character-frequency estimate)"
        )
    return None


def load_settings() -> Settings:
    """Read the settings from the environment, turning pydantic's error into a readable one."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(_describe(item) for item in error.errors())
        raise SettingsError(f"Invalid configuration: {problems}") from error


def _describe(item: object) -> str:
    assert isinstance(item, dict)
    message = str(item["msg"]).removeprefix("Value error, ")
    if not item["loc"]:
        return message
    name = "SPOTCHECK_" + "_".join(str(part) for part in item["loc"]).upper()
    return f"{name}: {message}"

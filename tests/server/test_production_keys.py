"""Production refuses a secret key that anyone could know or guess, and says how to make one."""

from __future__ import annotations

import secrets

import pytest

from server.core.settings import DEVELOPMENT_KEY_PREFIX, Settings
from tests.conftest import cli_env, run_cli

HOW_TO = "secrets.token_urlsafe(48)"


def production_settings(secret: str) -> Settings:
    return Settings(
        environment="production",
        database_url="sqlite:///unused-by-this-test.sqlite3",
        secret_key=secret,  # type: ignore[arg-type]
    )


def development_default_key() -> str:
    """What development falls back to when no key is set (the environment cannot interfere)."""
    settings = Settings(environment="development", secret_key="")  # type: ignore[arg-type]
    return settings.secret_key.get_secret_value()


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(development_default_key(), id="the-literal-default"),
        pytest.param(DEVELOPMENT_KEY_PREFIX + "-" + secrets.token_urlsafe(32), id="its-prefix"),
        pytest.param("Development-Only-Key-" + secrets.token_urlsafe(32), id="any-case"),
    ],
)
def test_production_refuses_the_development_key(key: str) -> None:
    with pytest.raises(ValueError, match="SPOTCHECK_SECRET_KEY is the development key") as raised:
        production_settings(key)

    assert HOW_TO in str(raised.value)
    assert key not in str(raised.value)


def test_production_refuses_a_short_key_and_says_how_to_make_one() -> None:
    with pytest.raises(ValueError, match=r"too short \(31 characters\)") as raised:
        production_settings(secrets.token_urlsafe(48)[:31])

    assert HOW_TO in str(raised.value)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        pytest.param("a" * 64, "is one character repeated", id="one-character"),
        pytest.param("s3cr3t!" * 6, "repeats a pattern of 7 characters", id="short-pattern"),
        pytest.param("ab12" * 8 + "ab1", "repeats a pattern of 4 characters", id="cut-pattern"),
        pytest.param("aAbB" * 10 + "xyz", "uses only 7 different characters", id="few-characters"),
        pytest.param(
            "abcdefghijklmnopqrstuvwxyz0123456789", "runs of neighbouring characters", id="run"
        ),
        pytest.param("x" * 40 + "Qm7#pL2w", "too often (under 80 bits", id="low-entropy"),
    ],
)
def test_production_refuses_a_low_entropy_key(key: str, reason: str) -> None:
    with pytest.raises(ValueError, match="SPOTCHECK_SECRET_KEY is too easy to guess") as raised:
        production_settings(key)

    message = str(raised.value)
    assert reason in message
    assert HOW_TO in message
    assert key not in message  # the message never echoes the key


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(secrets.token_urlsafe(48), id="token_urlsafe-48"),
        pytest.param(secrets.token_hex(16), id="token_hex-16"),
        pytest.param(secrets.token_hex(32), id="token_hex-32"),
    ],
)
def test_production_accepts_random_keys(key: str) -> None:
    assert production_settings(key).secret_key.get_secret_value() == key


def test_development_and_tests_still_run_on_the_public_key() -> None:
    settings = Settings(environment="test", secret_key="a" * 40)  # type: ignore[arg-type]

    assert settings.secret_key.get_secret_value() == "a" * 40
    assert development_default_key().startswith(DEVELOPMENT_KEY_PREFIX)


def test_migrate_in_production_refuses_the_development_key_with_the_message() -> None:
    result = run_cli(
        "migrate",
        env=cli_env(
            "sqlite:///unused-by-this-test.sqlite3",
            SPOTCHECK_ENVIRONMENT="production",
            SPOTCHECK_SECRET_KEY=development_default_key(),
        ),
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert "SPOTCHECK_SECRET_KEY is the development key" in result.stderr
    assert HOW_TO in result.stderr
    assert "Traceback" not in result.stderr

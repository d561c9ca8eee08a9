"""Configuration fails fast, with a message that says what to set."""

from __future__ import annotations

import pytest

from server.core.settings import SettingsError, load_settings
from tests.conftest import cli_env, run_cli

GOOD_SECRET = "k" * 20 + "-a-real-random-looking-value-0123"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SPOTCHECK_ENVIRONMENT", "production")
    monkeypatch.setenv("SPOTCHECK_DATABASE_URL", "sqlite:///unused.sqlite3")
    monkeypatch.delenv("SPOTCHECK_SECRET_KEY", raising=False)
    return monkeypatch


def test_production_without_a_secret_stops(production: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert "SPOTCHECK_SECRET_KEY is missing or a placeholder" in message
    assert "at least 32 characters" in message


@pytest.mark.parametrize("placeholder", ["", "changeme", "CHANGEME", " change-me ", "secret"])
def test_production_with_a_placeholder_secret_stops(
    production: pytest.MonkeyPatch, placeholder: str
) -> None:
    production.setenv("SPOTCHECK_SECRET_KEY", placeholder)

    with pytest.raises(SettingsError, match="SPOTCHECK_SECRET_KEY is missing or a placeholder"):
        load_settings()


def test_production_with_a_short_secret_stops(production: pytest.MonkeyPatch) -> None:
    short = "only-twenty-chars-ab"
    production.setenv("SPOTCHECK_SECRET_KEY", short)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert "SPOTCHECK_SECRET_KEY is too short (20 characters)" in message
    assert "at least 32" in message
    assert short not in message  # the message must not echo the secret


def test_production_with_a_real_secret_starts(production: pytest.MonkeyPatch) -> None:
    production.setenv("SPOTCHECK_SECRET_KEY", GOOD_SECRET)

    settings = load_settings()

    assert settings.environment == "production"
    assert settings.secret_key.get_secret_value() == GOOD_SECRET


def test_development_runs_without_a_secret(production: pytest.MonkeyPatch) -> None:
    production.setenv("SPOTCHECK_ENVIRONMENT", "development")

    settings = load_settings()

    assert len(settings.secret_key.get_secret_value()) >= 32


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SPOTCHECK_TIME_ZONE", "Mars/Olympus_Mons", "SPOTCHECK_TIME_ZONE"),
        ("SPOTCHECK_DATABASE_URL", "mysql://db/spotcheck", "SPOTCHECK_DATABASE_URL"),
        ("SPOTCHECK_ACCESS_TOKEN_MINUTES", "0", "SPOTCHECK_ACCESS_TOKEN_MINUTES"),
        ("SPOTCHECK_TRUSTED_PROXIES", "10.0.0.2,proxy.local", "SPOTCHECK_TRUSTED_PROXIES"),
        ("SPOTCHECK_STORAGE_URL", "minio://bucket", "SPOTCHECK_STORAGE_URL"),
        ("SPOTCHECK_STORAGE_URL", "s3://Bad_Bucket/x", "SPOTCHECK_STORAGE_URL"),
        ("SPOTCHECK_STORAGE_ENDPOINT_URL", "minio:9000", "SPOTCHECK_STORAGE_ENDPOINT_URL"),
    ],
)
def test_invalid_values_name_the_variable(
    production: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    production.setenv("SPOTCHECK_SECRET_KEY", GOOD_SECRET)
    production.setenv(variable, value)

    with pytest.raises(SettingsError, match=named):
        load_settings()


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SPOTCHECK_STORAGE_ACCESS_KEY_ID and SPOTCHECK_STORAGE_SECRET_ACCESS_KEY are"),
        (
            {"SPOTCHECK_STORAGE_ACCESS_KEY_ID": "spotcheck"},
            "SPOTCHECK_STORAGE_SECRET_ACCESS_KEY is",
        ),
        ({"SPOTCHECK_STORAGE_SECRET_ACCESS_KEY": "s3cr3t"}, "SPOTCHECK_STORAGE_ACCESS_KEY_ID is"),
    ],
)
def test_a_bucket_without_its_credentials_stops_at_start(
    production: pytest.MonkeyPatch, given: dict[str, str], missing: str
) -> None:
    production.setenv("SPOTCHECK_SECRET_KEY", GOOD_SECRET)
    production.setenv("SPOTCHECK_STORAGE_URL", "s3://spotcheck-media/site")
    for variable in ("SPOTCHECK_STORAGE_ACCESS_KEY_ID", "SPOTCHECK_STORAGE_SECRET_ACCESS_KEY"):
        production.delenv(variable, raising=False)
    for variable, value in given.items():
        production.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert f"SPOTCHECK_STORAGE_URL is s3://spotcheck-media/site but {missing} not set" in str(
        raised.value
    )
    assert "s3cr3t" not in str(raised.value)


def test_storage_is_the_media_directory_unless_a_bucket_is_named(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("SPOTCHECK_SECRET_KEY", GOOD_SECRET)
    production.setenv(
        "SPOTCHECK_STORAGE_URL", ""
    )  # as compose's ${SPOTCHECK_STORAGE_URL:-} sets it

    assert load_settings().bucket_and_prefix is None

    production.setenv("SPOTCHECK_STORAGE_URL", "s3://spotcheck-media/province/a/")
    production.setenv("SPOTCHECK_STORAGE_ACCESS_KEY_ID", "spotcheck")
    production.setenv("SPOTCHECK_STORAGE_SECRET_ACCESS_KEY", "a-secret")
    assert load_settings().bucket_and_prefix == ("spotcheck-media", "province/a")


def test_serve_in_production_without_a_secret_exits_with_the_message() -> None:
    # 203.0.113.1 (TEST-NET-3) is not an address of this machine: even if the check were missing,
    # nothing could be served; the run would end with a bind error and without our message.
    result = run_cli(
        "serve",
        "--host",
        "203.0.113.1",
        "--port",
        "0",
        env=cli_env(
            "sqlite:///unused-by-this-test.sqlite3",
            SPOTCHECK_ENVIRONMENT="production",
            SPOTCHECK_SECRET_KEY="",
        ),
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert "SPOTCHECK_SECRET_KEY is missing or a placeholder" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Uvicorn running" not in result.stdout + result.stderr


def test_default_paths_are_the_projects_own() -> None:
    # `make run` relies on these defaults: var/ for the database and media, the built app under
    # mobile_app/dist. (They once pointed inside server/ after a module moved.)
    from server.core.settings import DEFAULT_VAR_DIR, PROJECT_ROOT, Settings

    assert (PROJECT_ROOT / "pyproject.toml").is_file()
    settings = Settings(environment="test")
    assert settings.sqlite_path == DEFAULT_VAR_DIR / "spotcheck.sqlite3"
    assert DEFAULT_VAR_DIR == PROJECT_ROOT / "var"
    assert settings.app_dir == PROJECT_ROOT / "mobile_app" / "dist"

"""compose.yaml is valid and refuses to start without its required secrets."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

REQUIRED = {
    "POSTGRES_PASSWORD": "a-database-password",
    "SPOTCHECK_SECRET_KEY": "a-random-secret-key-of-at-least-32-characters",
}


@pytest.fixture(scope="module")
def docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("docker-compose is not installed; CI=true requires checking compose.yaml")
        pytest.skip("docker-compose is not installed")
    return binary


def compose_config(
    binary: str, tmp_path: Path, **variables: str
) -> subprocess.CompletedProcess[str]:
    # An empty env file, so a developer's own .env beside compose.yaml cannot fill the gaps.
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    environment = {key: value for key, value in os.environ.items() if key not in REQUIRED}
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(ROOT / "compose.yaml"), "config", "-q"],
        env={**environment, **variables},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_is_valid_with_its_secrets(docker_compose: str, tmp_path: Path) -> None:
    result = compose_config(docker_compose, tmp_path, **REQUIRED)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_compose_refuses_to_run_without_a_secret_key(
    docker_compose: str, tmp_path: Path, value: str | None
) -> None:
    variables = {"POSTGRES_PASSWORD": REQUIRED["POSTGRES_PASSWORD"]}
    if value is not None:
        variables["SPOTCHECK_SECRET_KEY"] = value

    result = compose_config(docker_compose, tmp_path, **variables)

    assert result.returncode != 0
    assert "set SPOTCHECK_SECRET_KEY" in result.stderr


def test_compose_refuses_to_run_without_a_database_password(
    docker_compose: str, tmp_path: Path
) -> None:
    result = compose_config(
        docker_compose, tmp_path, SPOTCHECK_SECRET_KEY=REQUIRED["SPOTCHECK_SECRET_KEY"]
    )

    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD" in result.stderr

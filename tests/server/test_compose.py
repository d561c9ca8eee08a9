"""compose.yaml is valid, refuses to start without its required secrets, puts the API behind
a TLS reverse proxy (deploy/Caddyfile) that is the only service with published ports, and keeps
files in MinIO's bucket so that the API replicas share nothing but PostgreSQL and the bucket,
which they reach as a MinIO user limited to it (deploy/minio-api-policy.json), never as root."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

REQUIRED = {
    "POSTGRES_PASSWORD": "a-database-password",
    "SPOTCHECK_SECRET_KEY": "a-random-secret-key-of-at-least-32-characters",
    "MINIO_ROOT_PASSWORD": "an-object-store-password",
    "SPOTCHECK_STORAGE_SECRET_ACCESS_KEY": "the-api-users-own-password",
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


def test_compose_file_is_valid_with_its_secrets(resolved_compose: str) -> None:
    # `docker-compose config` with every secret set: the fixture asserts that it succeeded (the
    # same run the tests of the resolved services read, not a second one).
    document = yaml.safe_load(resolved_compose)

    assert {"api", "worker", "postgres", "minio", "proxy"} <= set(document["services"])


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_compose_refuses_to_run_without_a_secret_key(
    docker_compose: str, tmp_path: Path, value: str | None
) -> None:
    variables = {key: value for key, value in REQUIRED.items() if key != "SPOTCHECK_SECRET_KEY"}
    if value is not None:
        variables["SPOTCHECK_SECRET_KEY"] = value

    result = compose_config(docker_compose, tmp_path, **variables)

    assert result.returncode != 0
    assert "set SPOTCHECK_SECRET_KEY" in result.stderr


def test_compose_refuses_to_run_without_a_database_password(
    docker_compose: str, tmp_path: Path
) -> None:
    variables = {key: value for key, value in REQUIRED.items() if key != "POSTGRES_PASSWORD"}
    result = compose_config(docker_compose, tmp_path, **variables)

    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD" in result.stderr


def test_compose_refuses_to_run_without_an_object_store_password(
    docker_compose: str, tmp_path: Path
) -> None:
    variables = {key: value for key, value in REQUIRED.items() if key != "MINIO_ROOT_PASSWORD"}
    result = compose_config(docker_compose, tmp_path, **variables)

    assert result.returncode != 0
    assert "set MINIO_ROOT_PASSWORD" in result.stderr


@pytest.fixture(scope="module")
def resolved_compose(docker_compose: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """`docker-compose config` with every required secret set, run once for the module: its
    output depends only on compose.yaml and REQUIRED, and each run costs half a second of CPU."""
    env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    env_file.write_text("")
    result = subprocess.run(
        [docker_compose, "--env-file", str(env_file), "-f", str(ROOT / "compose.yaml"), "config"],
        env={**os.environ, **REQUIRED},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def services(resolved_compose: str) -> dict[str, Any]:
    """The resolved services, parsed afresh for each test (no test sees another's changes)."""
    document: dict[str, Any] = yaml.safe_load(resolved_compose)
    return document["services"]  # type: ignore[no-any-return]


def test_only_the_tls_proxy_publishes_ports(services: dict[str, Any]) -> None:

    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    ports = {
        str(port.get("target") if isinstance(port, dict) else port)
        for port in services["proxy"]["ports"]
    }
    assert any("443" in port for port in ports), ports
    assert "ports" not in services["api"]
    assert services["api"]["deploy"]["replicas"] >= 2


def test_the_proxy_runs_the_deploy_caddyfile_and_is_the_trusted_proxy(
    services: dict[str, Any],
) -> None:
    proxy = services["proxy"]

    mounts = [str(volume) for volume in proxy["volumes"]]
    assert any("deploy/Caddyfile" in mount and "/etc/caddy/Caddyfile" in mount for mount in mounts)
    address = proxy["networks"]["default"]["ipv4_address"]
    assert services["api"]["environment"]["SPOTCHECK_TRUSTED_PROXIES"] == address
    assert services["api"]["environment"]["SPOTCHECK_PUBLIC_BASE_URL"].startswith("https://")


def test_the_caddyfile_bounds_slow_clients_and_bodies_and_reaches_every_replica() -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")

    assert re.search(r"^\s*read_header \d+s$", caddyfile, re.M)  # slow request heads
    assert re.search(r"^\s*read_body \d+s$", caddyfile, re.M)
    assert re.search(r"^\s*idle \d+s$", caddyfile, re.M)
    assert re.search(r"^\s*max_size \d+MB$", caddyfile, re.M)
    assert re.search(r"dynamic a \{\s*name api\s*port 8000", caddyfile)
    assert "Strict-Transport-Security" in caddyfile


def test_the_server_and_the_worker_run_under_an_init_that_reaps_their_children(
    services: dict[str, Any],
) -> None:

    assert services["api"]["init"] is True
    assert services["worker"]["init"] is True


def test_the_replicas_share_no_volume_and_keep_their_files_in_the_bucket(
    services: dict[str, Any],
) -> None:

    for name in ("api", "worker"):
        service = services[name]
        assert not service.get("volumes"), f"{name} mounts {service.get('volumes')}"
        environment = service["environment"]
        assert environment["SPOTCHECK_STORAGE_URL"].startswith("s3://spotcheck/")
        assert environment["SPOTCHECK_STORAGE_ENDPOINT_URL"] == "http://minio:9000"
        assert environment["SPOTCHECK_STORAGE_ACCESS_KEY_ID"] == "spotcheck-api"
        assert (
            environment["SPOTCHECK_STORAGE_SECRET_ACCESS_KEY"]
            == (REQUIRED["SPOTCHECK_STORAGE_SECRET_ACCESS_KEY"])
        )
        assert "SPOTCHECK_MEDIA_DIR" not in environment
        # They start once the bucket exists, which waits for MinIO to be healthy.
        assert service["depends_on"]["minio-bucket"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["minio-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "mb --ignore-existing local/spotcheck" in " ".join(services["minio-bucket"]["command"])
    assert services["minio"]["healthcheck"]["test"]
    assert services["minio"]["environment"]["MINIO_ROOT_USER"] == "spotcheck"


def test_compose_refuses_to_run_without_the_api_users_storage_secret(
    docker_compose: str, tmp_path: Path
) -> None:
    variables = {
        key: value
        for key, value in REQUIRED.items()
        if key != "SPOTCHECK_STORAGE_SECRET_ACCESS_KEY"
    }
    result = compose_config(docker_compose, tmp_path, **variables)

    assert result.returncode != 0
    assert "set SPOTCHECK_STORAGE_SECRET_ACCESS_KEY" in result.stderr


def test_only_minio_and_its_setup_job_hold_the_root_key(services: dict[str, Any]) -> None:
    root_password = REQUIRED["MINIO_ROOT_PASSWORD"]

    holders = {
        name
        for name, service in services.items()
        if root_password in json.dumps(service.get("environment") or {})
        or root_password in json.dumps(service.get("command") or [])
    }
    assert holders == {"minio", "minio-bucket"}
    for name in ("api", "worker", "migrate"):
        environment = services[name]["environment"]
        assert not any(key.startswith("MINIO_ROOT") for key in environment)
        assert environment["SPOTCHECK_STORAGE_ACCESS_KEY_ID"] != "spotcheck"  # the root user


def test_the_setup_job_gives_the_api_user_the_bucket_policy_and_nothing_more(
    services: dict[str, Any],
) -> None:
    job = services["minio-bucket"]
    script = " ".join(job["command"])
    api = services["api"]["environment"]

    # The policy file is the one in deploy/, mounted read-only where the script reads it.
    mounts = [str(volume) for volume in job["volumes"]]
    assert any(
        "deploy/minio-api-policy.json:/etc/spotcheck/minio-api-policy.json:ro" in mount
        for mount in mounts
    ), mounts
    assert "mc admin policy create local spotcheck-api /etc/spotcheck/minio-api-policy.json" in (
        script
    )
    # The user it makes is the one the API signs in as, with that policy (compose keeps the
    # script's $$, escaped from interpolation, as it is).
    assert 'mc admin user add local "$$API_ACCESS_KEY_ID" "$$API_SECRET_ACCESS_KEY"' in script
    assert 'mc admin policy attach local spotcheck-api --user "$$API_ACCESS_KEY_ID"' in script
    assert job["environment"]["API_ACCESS_KEY_ID"] == api["SPOTCHECK_STORAGE_ACCESS_KEY_ID"]
    assert job["environment"]["API_SECRET_ACCESS_KEY"] == api["SPOTCHECK_STORAGE_SECRET_ACCESS_KEY"]
    # The steps run in order and stop at the first that fails (the API then does not start).
    assert script.index("mc mb") < script.index("policy create") < script.index("user add")
    assert script.index("user add") < script.index("policy attach")


def test_the_api_policy_allows_only_reading_writing_and_listing_its_own_bucket(
    services: dict[str, Any],
) -> None:
    policy = json.loads((ROOT / "deploy" / "minio-api-policy.json").read_text(encoding="utf-8"))
    api = services["api"]["environment"]
    bucket, _, prefix = api["SPOTCHECK_STORAGE_URL"].removeprefix("s3://").partition("/")

    assert policy["Version"] == "2012-10-17"
    grants = {
        action: statement["Resource"]
        for statement in policy["Statement"]
        for action in statement["Action"]
        if statement["Effect"] == "Allow"
    }
    # What the server does: HEAD and GET (s3:GetObject), a conditional PUT (s3:PutObject), and a
    # listing for /health, which also makes a missing key 404 rather than 403. No delete, no
    # admin, no other bucket, no wildcard action.
    assert grants == {
        "s3:GetObject": [f"arn:aws:s3:::{bucket}/{prefix}/*"],
        "s3:PutObject": [f"arn:aws:s3:::{bucket}/{prefix}/*"],
        "s3:ListBucket": [f"arn:aws:s3:::{bucket}"],
    }
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])

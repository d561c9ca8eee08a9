"""A real S3-protocol server for the storage tests: moto's standalone server in a process of its
own on 127.0.0.1 and a free port, started by a fixture and stopped after. The server speaks S3
over HTTP as MinIO would (signatures, conditional puts, path-style URLs); the tests reach it
through the same client the application uses, and read the bucket back with boto3, a second
opinion on what was stored.

(MinIO itself is what compose runs; it cannot be fetched here.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.server.peers import HOST, free_port

START_SECONDS = 60.0
REGION = "us-east-1"
# moto checks that requests are signed, not against which key; any pair works.
ACCESS_KEY_ID = "spotcheck-test"
SECRET_ACCESS_KEY = "spotcheck-test-secret"


@dataclass
class S3Peer:
    endpoint_url: str
    _client: Any = field(default=None, init=False, repr=False, compare=False)

    def client(self) -> Any:
        """One boto3 client for the run (they are thread-safe): each new one builds the S3
        service model again, about 15 ms of CPU, and the tests ask for one per look at the bucket."""
        if self._client is None:
            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id=ACCESS_KEY_ID,
                aws_secret_access_key=SECRET_ACCESS_KEY,
            )
        return self._client

    def new_bucket(self) -> str:
        name = f"spotcheck-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        body: bytes = self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def settings_env(self, bucket: str, prefix: str) -> dict[str, str]:
        """The SPOTCHECK_* variables that put a server's files in this bucket."""
        return {
            "SPOTCHECK_STORAGE_URL": f"s3://{bucket}/{prefix}",
            "SPOTCHECK_STORAGE_ENDPOINT_URL": self.endpoint_url,
            "SPOTCHECK_STORAGE_REGION": REGION,
            "SPOTCHECK_STORAGE_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "SPOTCHECK_STORAGE_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }


@contextmanager
def running_s3(log_dir: Path) -> Iterator[S3Peer]:
    port = free_port()
    endpoint_url = f"http://{HOST}:{port}"
    log_path = log_dir / "moto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            # Not the developer's own AWS settings: nothing here may reach a real account.
            env={key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, endpoint_url, log_path)
        yield S3Peer(endpoint_url=endpoint_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], endpoint_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"moto's server exited: {log_path.read_text(errors='replace')}")
            try:
                if client.get(f"{endpoint_url}/moto-api/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    pytest.fail(f"moto's server did not start within {START_SECONDS:.0f} s")

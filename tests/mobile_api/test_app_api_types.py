"""The app's API types are generated from this server's OpenAPI schema; a server change that is
not regenerated into mobile_app/src/api/schema.d.ts fails here (run `make app-types`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from litestar import Litestar

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "mobile_app"
GENERATOR = APP / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
COMMITTED = APP / "src" / "api" / "schema.d.ts"


def test_committed_api_types_match_the_server_schema(app: Litestar, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not GENERATOR.exists():
        message = "node and mobile_app/node_modules are needed (make test installs them: npm ci)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(app.openapi_schema.to_schema(), sort_keys=True), "utf-8")
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [node, str(GENERATOR), str(schema_file), "-o", str(generated)],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=APP,
    )
    assert generated.read_text("utf-8") == COMMITTED.read_text("utf-8"), (
        "mobile_app/src/api/schema.d.ts is out of date with the server's OpenAPI schema: "
        "run `make app-types` and commit the result"
    )

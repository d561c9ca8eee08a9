"""WeasyPrint (about a second to import) is loaded only where a PDF is rendered: building the app
or running a command does not pay for it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import cli_env


def test_building_the_app_does_not_import_weasyprint(database_url: str) -> None:
    probe = (
        "import sys\n"
        "from server.app import create_app\n"
        "create_app()\n"
        "print('weasyprint' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **cli_env(database_url)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.strip().splitlines()[-1] == "False"

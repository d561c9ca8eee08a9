"""`spotcheck serve` for tests that talk to a real server over HTTP, with the suite's cheap Argon2
parameters (a fuzzer creates users and tries passwords; production hashing would cost seconds).

    python -m tests.server.live_api --port 8123   # SPOTCHECK_* from the environment
"""

from __future__ import annotations

import argparse
import sys

from argon2 import PasswordHasher

from server import cli
from server.auth import passwords


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    return cli.main(["serve", "--host", "127.0.0.1", "--port", str(port)])


if __name__ == "__main__":
    sys.exit(main())

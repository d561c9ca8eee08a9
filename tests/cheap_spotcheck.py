"""`spotcheck` with the suite's cheap Argon2 parameters, as the entry point of the processes the
tests start (through `tests.live_server.command`):

    python -m tests.cheap_spotcheck serve --host 127.0.0.1 --port 8123   # SPOTCHECK_* from the env
    python -m tests.cheap_spotcheck demo
    python -m tests.cheap_spotcheck migrate + demo   # one after the other, in one process

It imports no more than `spotcheck` itself: every process that multiprocessing starts from the
server (each render worker) imports the server's main module again, by name, before it does any
work. When that module was tests.live_server, with pytest and the suite's conftest (the app, the
test world), each render worker of a test server spent about a second of CPU on imports it never
used, on the way to its first PDF.
"""

from __future__ import annotations

import sys

from argon2 import PasswordHasher

from server import cli
from server.core import passwords

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def main(argv: list[str]) -> int:
    """`spotcheck <args>`; `migrate + demo` runs one command after the other in this process, which
    spares the live server's start an interpreter and the server's imports (about half a second
    of CPU each)."""
    passwords.use_hasher(CHEAP_HASHER)
    status = 0
    while status == 0 and argv:
        args, argv = (
            (argv[: argv.index("+")], argv[argv.index("+") + 1 :]) if "+" in argv else (argv, [])
        )
        status = cli.main(args)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`spotcheck`: serve, migrate, demo, users, audit, checklists, dossiers."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from server.core.settings import Settings, SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        result: int = args.handler(args)
        return result
    except SettingsError as error:
        print(f"spotcheck: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spotcheck", description=__doc__)
    commands = parser.add_subparsers()

    serve = commands.add_parser("serve", help="serve the API and the phone client")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document (JSON)")
    openapi.add_argument("--output", help="write to this file instead of standard output")
    openapi.set_defaults(handler=_openapi)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=_migrate)

    demo = commands.add_parser("demo", help="load the demo unit tree, users and checklist")
    demo.add_argument("--force", action="store_true", help="allow in production mode")
    demo.set_defaults(handler=_demo)

    users = commands.add_parser("users", help="manage users").add_subparsers()
    create = users.add_parser("create", help="create a user (asks for the password)")
    create.add_argument("username")
    create.add_argument("--full-name", required=True)
    create.add_argument(
        "--role", required=True, choices=["admin", "leader", "inspector", "unit_head"]
    )
    create.add_argument("--unit", required=True, help="home unit code")
    create.add_argument("--email")
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(handler=_users_create)

    audit = commands.add_parser("audit", help="audit log").add_subparsers()
    verify = audit.add_parser(
        "verify", help="verify the audit hash chain and its keyed head (docs/audit.md)"
    )
    verify.set_defaults(handler=_audit_verify)
    anchor = audit.add_parser(
        "anchor",
        help="anchor the chain's end under the audit key: once after upgrading a database "
        "whose events predate the head, or after an incident has been looked into",
    )
    anchor.add_argument(
        "--accept-current",
        action="store_true",
        help="replace a head that is forged or records tampering (the log keeps what was accepted)",
    )
    anchor.set_defaults(handler=_audit_anchor)

    worker = commands.add_parser("worker", help="deliver notifications and run timed triggers")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.add_argument("--poll-seconds", type=float, default=2.0)
    worker.add_argument("--lease-seconds", type=float, default=120.0)
    worker.add_argument("--name", default=None)
    worker.set_defaults(handler=_worker)

    notifications = commands.add_parser("notifications", help="the outbox").add_subparsers()
    listing = notifications.add_parser("list", help="list notifications (targets masked)")
    listing.add_argument("--status", action="append", help="e.g. --status failed --status dead")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=_notifications_list)
    requeue = notifications.add_parser("requeue", help="send failed or dead notifications again")
    requeue.add_argument("ids", nargs="*", help="notification ids")
    requeue.add_argument("--all-dead", action="store_true")
    requeue.set_defaults(handler=_notifications_requeue)

    checklists = commands.add_parser("checklists", help="checklist templates").add_subparsers()
    validate = checklists.add_parser("validate", help="validate checklist YAML files")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(handler=_checklists_validate)
    publish = checklists.add_parser("publish", help="publish a checklist YAML file as a version")
    publish.add_argument("files", nargs="+")
    publish.set_defaults(handler=_checklists_publish)

    dossiers = commands.add_parser("dossiers", help="dossier ledgers").add_subparsers()
    ledger = dossiers.add_parser(
        "import", help="import a unit's dossier ledger (CSV or XLSX; docs/dossier-ledgers.md)"
    )
    ledger.add_argument("file")
    ledger.add_argument("--unit", required=True, help="the unit's code")
    ledger.add_argument(
        "--layout", required=True, help="a shipped layout: form-06, one-stop-export"
    )
    ledger.add_argument(
        "--period-start", help="yyyy-mm-dd (with --period-end; default: the file's)"
    )
    ledger.add_argument("--period-end", help="yyyy-mm-dd")
    ledger.add_argument(
        "--lang", choices=("vi", "en"), default="en", help="the language of the problems listed"
    )
    ledger.set_defaults(handler=_dossiers_import)

    storage = commands.add_parser("storage", help="file storage").add_subparsers()
    move = storage.add_parser(
        "migrate",
        help="copy the media directory's files into the bucket of SPOTCHECK_STORAGE_URL "
        "(same keys; a key already there is compared by SHA-256 and skipped; safe to run again)",
    )
    move.add_argument("--media-dir", help="the directory to copy (default: SPOTCHECK_MEDIA_DIR's)")
    move.add_argument(
        "--dry-run", action="store_true", help="say what would be copied, copy nothing"
    )
    move.add_argument("--jobs", type=int, default=4, help="files copied at once (default 4)")
    move.set_defaults(handler=_storage_migrate)
    return parser


def _with_database(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    from server import registry
    from server.core import db
    from server.wiring import wire_packages

    async def run() -> int:
        db.bind_engine(db.build_engine(settings), registry.all_tables())
        wire_packages(settings)
        await db.open_database(settings)
        try:
            return await work()
        finally:
            await db.close_database()

    return asyncio.run(run())


# Largest request head (line and headers) uvicorn buffers before answering 400; h11's own default,
# stated so that it stays bounded whatever the library's default becomes.
MAX_REQUEST_HEAD_BYTES = 16 * 1024
# How long a stopping server lets requests in flight finish (compose stops a container after 10 s).
GRACEFUL_SHUTDOWN_SECONDS = 8


def uvicorn_options(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `uvicorn.run` for `spotcheck serve` (also uvicorn.Config's).

    Uvicorn has no timeout for a slow client's request head; the reverse proxy in compose.yaml
    (deploy/Caddyfile) is the guard against slow-header clients, and this server is not meant to
    face the internet without it.
    """
    from server.core.http_protocol import NoDelayH11Protocol

    return {
        "app": "server.app:create_app",
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        # Nagle's algorithm off on every connection, also with several workers.
        "http": NoDelayH11Protocol,
        # Uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; the app reads it itself,
        # and only from SPOTCHECK_TRUSTED_PROXIES (server/auth/client_address.py).
        "proxy_headers": False,
        "server_header": False,
        # Past this many open connections and tasks, new requests get 503 at once instead of
        # queueing until everything times out.
        "limit_concurrency": settings.http_limit_concurrency,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES,
        "log_level": "info",
    }


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.wiring import apply_fee_catalogue

    settings = load_settings()  # fail fast with a readable message before uvicorn starts
    apply_fee_catalogue(settings)
    uvicorn.run(**uvicorn_options(args, settings))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    """The schema the app's API types are generated from; needs no database or secret."""
    from server.app import create_app

    app = create_app(Settings(environment="development"))
    document = json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    load_settings()
    os.environ["PICCOLO_CONF"] = "server.piccolo_conf"
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = asyncio.run(run_forwards("all"))
    if not result.success:
        print(f"spotcheck: migration failed: {result.message}", file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.environment == "production" and not args.force:
        print("spotcheck: refusing to load demo users in production (use --force)", file=sys.stderr)
        return 2
    from server.demo import DEMO_USERS, load_demo

    async def work() -> int:
        counts = await load_demo()
        from checklists import services as checklist_service

        for outcome in await checklist_service.publish_shipped():
            print(f"checklist {outcome}")
        print(f"demo: {counts['units']} units, {counts['users_created']} new users")
        from datetime import UTC, datetime

        from server.demo.ledgers import load_demo_ledgers

        # The ledgers first: the demo plans seal dossier samples from them, over the quarter
        # before the same day (in UTC, as the plans count it).
        for note in await load_demo_ledgers(datetime.now(UTC).date()):
            print(f"demo: {note}")
        from server.demo.inspections import load_demo_inspections

        for note in await load_demo_inspections(settings):
            print(f"demo: {note}")
        return 0

    status = _with_database(settings, work)
    print("\nDemo logins (username / password / role):")
    for user in DEMO_USERS:
        print(f"  {user.username:<20} {user.password:<22} {user.role.value}")
    return status


def _users_create(args: argparse.Namespace) -> int:
    settings = load_settings()
    from server.core.audit import services as audit_service
    from server.core.scopes import Role
    from server.units.tables import Unit
    from server.users import services as user_service

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
    if len(password) < 10:
        print("spotcheck: the password needs at least 10 characters", file=sys.stderr)
        return 2

    async def work() -> int:
        unit: dict[str, Any] | None = (
            await Unit.select(Unit.id).where(Unit.code == args.unit).first()
        )
        if unit is None:
            print(f"spotcheck: no unit with code {args.unit!r}", file=sys.stderr)
            return 2
        _, created = await user_service.ensure_user(
            username=args.username.strip().lower(),
            full_name=args.full_name,
            role=Role(args.role),
            home_unit_id=unit["id"],
            password=password,
            email=args.email,
            actor=audit_service.Actor(id=None, label="cli"),
        )
        if not created:
            print(f"spotcheck: the username {args.username!r} is taken", file=sys.stderr)
            return 1
        print(f"created {args.username} ({args.role}) at {args.unit}")
        return 0

    return _with_database(settings, work)


def _audit_verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    from server.core.audit import services as audit_service

    async def work() -> int:
        report = await audit_service.verify_chain()
        if report.ok:
            print(
                f"audit chain OK: {report.rows_checked} events, head {report.head_hash}"
                + (" (anchored)" if report.anchored else "")
            )
            return 0
        print(
            f"audit chain BROKEN: {len(report.problems)} problem(s) in {report.rows_checked} events"
        )
        for problem in report.problems:
            print(f"  - {problem.message}")
        return 1

    return _with_database(settings, work)


def _audit_anchor(args: argparse.Namespace) -> int:
    settings = load_settings()
    from server.core.audit import services as audit_service
    from server.core.errors import Conflict

    async def work() -> int:
        try:
            result = await audit_service.anchor(
                actor=audit_service.Actor(id=None, label="cli"),
                accept_current=args.accept_current,
            )
        except Conflict as error:
            print(f"spotcheck: {error.detail}", file=sys.stderr)
            return 1
        if result.head is None:
            print("the audit log is empty: its first event will create the head")
        elif not result.anchored:
            print(f"audit chain already anchored at seq={result.head.seq}: nothing to do")
        else:
            for problem in result.accepted_problems:
                print(f"  accepted: {problem}")
            print(f"audit chain anchored at seq={result.head.seq}, head {result.head.hash}")
        return 0

    return _with_database(settings, work)


def _worker(args: argparse.Namespace) -> int:
    import logging
    import signal

    # A stop asked for while the worker is still starting (imports, Apprise's plugins, the
    # database pool: a second or more on a busy machine) is kept and honoured once it runs, with
    # the same clean exit as a stop later on, instead of ending the process by the signal.
    stop_asked: list[int] = []
    if not args.once:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, _frame: stop_asked.append(number))
    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Apprise logs a line at INFO for every message it sends: a formatted, locked write per
    # delivery that says what the attempt rows already record. Its warnings (a failed send) stay.
    logging.getLogger("apprise").setLevel(logging.WARNING)
    from server.notifications import services as notification_service
    from server.notifications.worker import Worker

    notification_service.configure(settings)
    worker = Worker(settings, name=args.name, lease_seconds=args.lease_seconds)

    async def work() -> int:
        if args.once:
            handled = await worker.run_once()
            print(f"handled {handled} notification(s)")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        if stop_asked:  # after the handlers above, so that no signal falls between
            stop.set()
        await worker.run_forever(poll_seconds=args.poll_seconds, stop=stop)
        return 0

    return _with_database(settings, work)


def _notifications_list(args: argparse.Namespace) -> int:
    settings = load_settings()
    from server.notifications import services as notification_service

    async def work() -> int:
        page = await notification_service.list_messages(
            principal=None, statuses=args.status, limit=args.limit
        )
        rows = page.items
        for row in rows:
            print(
                f"{row.id}  {row.status:<8} attempts={row.attempts}/{row.max_attempts} "
                f"{row.event_type:<24} {row.target}  {row.last_error or ''}"
            )
        print(
            f"{len(rows)} notification(s)" + (f" of {page.total}" if page.total > len(rows) else "")
        )
        return 0

    return _with_database(settings, work)


def _notifications_requeue(args: argparse.Namespace) -> int:
    settings = load_settings()
    from uuid import UUID

    from server.core.errors import DomainError
    from server.notifications import services as notification_service

    async def work() -> int:
        ids = [UUID(value) for value in args.ids]
        if args.all_dead:
            ids += [
                row.id
                for row in (
                    await notification_service.list_messages(
                        principal=None, statuses=["dead"], limit=None
                    )
                ).items
            ]
        status = 0
        for message_id in ids:
            try:
                await notification_service.requeue(message_id=message_id, principal=None)
                print(f"requeued {message_id}")
            except DomainError as error:
                print(f"spotcheck: {message_id}: {error.detail}", file=sys.stderr)
                status = 1
        return status

    return _with_database(settings, work)


def _checklists_validate(args: argparse.Namespace) -> int:
    from checklists.cli import validate_files

    return validate_files(args.files)


def _checklists_publish(args: argparse.Namespace) -> int:
    settings = load_settings()
    from checklists import services as checklist_service

    async def work() -> int:
        status = 0
        for path in args.files:
            try:
                outcome = await checklist_service.publish_file(path)
                print(outcome)
            except checklist_service.PublishRefused as error:
                print(f"spotcheck: {path}: {error}", file=sys.stderr)
                status = 1
        return status

    return _with_database(settings, work)


def _dossiers_import(args: argparse.Namespace) -> int:
    settings = load_settings()
    from datetime import date

    from server.core.audit.services import Actor
    from server.core.errors import DomainError
    from server.dossiers import services as dossier_service
    from server.dossiers.reading import LedgerInvalid, refusal_text

    path = Path(args.file)
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as error:
        print(f"spotcheck: {error}", file=sys.stderr)
        return 1

    async def work() -> int:
        try:
            file_format = dossier_service.file_format_of(path.name, None, head, args.lang)
            summary = await dossier_service.import_for_unit(
                await dossier_service.unit_by_code(args.unit),
                path=path,
                file_name=path.name,
                file_format=file_format,
                layout=args.layout,
                actor=Actor(id=None, label="cli"),
                period_start=date.fromisoformat(args.period_start) if args.period_start else None,
                period_end=date.fromisoformat(args.period_end) if args.period_end else None,
                language=args.lang,
            )
        except LedgerInvalid as error:
            for issue in error.report.issues:
                print(f"{path}: {issue.located().in_language(args.lang)}", file=sys.stderr)
            summary_text = refusal_text(error.report, with_first=False)
            print(f"spotcheck: {summary_text.in_language(args.lang)}", file=sys.stderr)
            return 1
        except (DomainError, ValueError) as error:
            print(f"spotcheck: {getattr(error, 'detail', error)}", file=sys.stderr)
            return 1
        print(json.dumps(summary.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0

    return _with_database(settings, work)


# A progress line every this many files, so a long copy shows that it moves.
PROGRESS_EVERY = 500


def _storage_migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    from server.core import storage
    from server.core.storage.migration import MigrationReport, copy_media_directory

    if settings.storage_url is None:
        print(
            "spotcheck: SPOTCHECK_STORAGE_URL is not set: name the bucket to copy into (with "
            "SPOTCHECK_STORAGE_ENDPOINT_URL and the access key) in this command's environment.",
            file=sys.stderr,
        )
        return 2
    source = Path(args.media_dir) if args.media_dir else settings.media_dir
    if not source.is_dir():
        print(f"spotcheck: {source} is not a directory: nothing to copy", file=sys.stderr)
        return 2
    target = storage.for_settings(settings)
    verb = "would copy" if args.dry_run else "copying"
    print(f"{verb} the files of {source} into {target.location}")

    def progress(report: MigrationReport) -> None:
        seen = report.files_seen
        if seen % PROGRESS_EVERY == 0:
            print(f"  {seen} files: {len(report.copied)} copied, {len(report.failed)} failed")

    report = asyncio.run(
        copy_media_directory(source, target, dry_run=args.dry_run, jobs=args.jobs, on_file=progress)
    )
    for key in report.ignored:
        print(f"  ignored {key}: not a file the server stores")
    for failure in report.failed:
        print(f"spotcheck: {failure.key}: {failure.reason}", file=sys.stderr)
    copied = "would be copied" if args.dry_run else "copied"
    print(
        f"{report.files_seen} files: {len(report.copied)} {copied} ({report.bytes_copied} bytes), "
        f"{len(report.already_there)} already in the bucket with the same bytes, "
        f"{len(report.failed)} failed, {len(report.ignored)} ignored"
    )
    if not report.ok:
        print(
            f"spotcheck: {len(report.failed)} file(s) not in the bucket (listed above); keep "
            "SPOTCHECK_STORAGE_URL unset for the server until they are.",
            file=sys.stderr,
        )
        return 1
    if args.dry_run:
        print("dry run: nothing was copied; run again without --dry-run to copy.")
        return 0
    print(
        "Every file is in the bucket. To switch: give every API process and the worker the same "
        f"SPOTCHECK_STORAGE_URL={settings.storage_url} (with SPOTCHECK_STORAGE_ENDPOINT_URL, "
        "SPOTCHECK_STORAGE_REGION and the access key as for this command) and restart them; then "
        "run this command once more: it copies only what the server stored in between. Keep "
        f"{source} until that run has ended with 0 failed."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

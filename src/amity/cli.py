"""The ``amity`` command: serve, migrate, manage users, load the demo."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from amity import __version__
from amity.cli_analytics import analytics_app
from amity.cli_automation import workflows_app
from amity.cli_bench import bench_app
from amity.cli_dataio import export_command, import_command
from amity.cli_dataquality import dataquality_app
from amity.cli_deals import (
    deals_app,
    forecast_command,
    orders_app,
    pipelines_app,
    products_app,
)
from amity.cli_dedupe import duplicates_app
from amity.cli_early_value import early_value_app
from amity.cli_fields import fields_app
from amity.cli_forms import channels_app, forms_app
from amity.cli_intelligence import intelligence_app
from amity.cli_mail import mailboxes_app
from amity.cli_ops import backup_command, restore_command
from amity.cli_predictive import deals_app as deal_scores_app
from amity.cli_predictive import offers_app
from amity.cli_reports import reports_app
from amity.cli_scoring import scoring_app, sequences_app
from amity.cli_semantic import semantic_app
from amity.cli_tickets import tickets_app
from amity.cli_webhooks import broker_app

if TYPE_CHECKING:
    from amity.core.db import Database

# Each cli_* module imports its services, models, SQLAlchemy and heavy libraries inside its
# commands, so building this command tree (and `amity --help`) loads none of them
# (docs/architecture.md, "The command line starts fast").

app = typer.Typer(help="Amity: the CRM that remembers every customer.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Database schema and maintenance.", no_args_is_help=True)
user_app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
privacy_app = typer.Typer(help="Personal data: export or erase one person (GDPR).",
                          no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
app.add_typer(tickets_app, name="tickets")
app.add_typer(pipelines_app, name="pipelines")
app.add_typer(deals_app, name="deals")
app.add_typer(products_app, name="products")
app.add_typer(orders_app, name="orders")
app.add_typer(broker_app, name="broker")
app.add_typer(mailboxes_app, name="mailboxes")
app.add_typer(forms_app, name="forms")
app.add_typer(channels_app, name="channels")
app.add_typer(workflows_app, name="workflows")
app.add_typer(scoring_app, name="scoring")
app.add_typer(sequences_app, name="sequences")
app.add_typer(analytics_app, name="analytics")
app.add_typer(reports_app, name="reports")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(intelligence_app, name="intelligence")
intelligence_app.add_typer(deal_scores_app, name="deals")
intelligence_app.add_typer(offers_app, name="offers")
intelligence_app.add_typer(early_value_app, name="early-value")
app.add_typer(semantic_app, name="semantic")
app.add_typer(dataquality_app, name="data-quality")
app.add_typer(fields_app, name="custom-fields")
app.add_typer(bench_app, name="bench")
app.command("forecast")(forecast_command)
app.command("import")(import_command)
app.command("export")(export_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
console = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"amity {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Amity CRM."""


def _database(pool: int = 2) -> Database:
    import amity.models  # noqa: F401  (every model: relationships and foreign keys resolve)
    from amity.config import get_settings
    from amity.core.db import Database, make_engine

    s = get_settings()
    return Database(make_engine(s.database_url, pool_size=pool, max_overflow=2,
                                busy_timeout_ms=s.sqlite_busy_timeout_ms))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the database schema up to date (safe to run any time)."""
    from amity.config import get_settings
    from amity.db import upgrade

    url = get_settings().database_url
    upgrade(url, revision)
    console.print(f"[green]Database is at {revision}[/] ({_safe_url(url)})")


@db_app.command("reindex")
def db_reindex() -> None:
    """Rebuild the SQLite search index (after VACUUM, or if search looks wrong)."""
    from sqlalchemy import text

    database = _database()
    if database.dialect != "sqlite":
        console.print("PostgreSQL keeps its search indexes itself; nothing to do.")
        return
    with database.transaction() as s:
        s.execute(text("INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')"))
    console.print("[green]Search index rebuilt[/]")


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True, help="Sign-in email")],
    name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    admin: Annotated[bool, typer.Option("--admin", help="Give full rights")] = False,
    token: Annotated[bool, typer.Option("--token", help="Also print an API token")] = False,
) -> None:
    """Create a user (``--admin`` for an administrator)."""
    from amity.auth import service
    from amity.config import get_settings
    from amity.core.errors import DomainError
    from amity.db import upgrade

    upgrade(get_settings().database_url)
    database = _database()
    try:
        with database.transaction() as s:
            user = service.create_user(s, email=email, name=name, password=password,
                                       is_admin=admin)
            plain = service.create_api_token(s, user=user, name="cli")[1] if token else None
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/] ({exc.field})")
        raise typer.Exit(2) from exc
    console.print(f"[green]Created {'admin ' if admin else ''}user {user.email}[/]")
    if plain:
        console.print(f"API token (shown once): [bold]{plain}[/]")


@user_app.command("token")
def user_token(email: str, name: Annotated[str, typer.Option()] = "cli") -> None:
    """Issue an API token for an existing user."""
    from sqlalchemy import func, select

    from amity.auth import service
    from amity.auth.models import User

    database = _database()
    with database.transaction() as s:
        user = s.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None:
            err.print(f"[red]No user {email}[/]")
            raise typer.Exit(2)
        _, plain = service.create_api_token(s, user=user, name=name)
    console.print(plain)


def _contact_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        err.print(f"[red]{value!r} is not a contact id[/]")
        raise typer.Exit(2) from exc


@privacy_app.command("export")
def privacy_export(
    contact_id: str,
    fmt: Annotated[str, typer.Option("--format", help="json or html")] = "json",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout)")]
    = None,
) -> None:
    """Export everything held about one person (audited, as the command line)."""
    from amity.privacy import export

    cid = _contact_id(contact_id)
    if fmt not in export.FORMATS:
        err.print("[red]--format must be json or html[/]")
        raise typer.Exit(2)
    with _database().transaction() as s:
        contact = export.contact_for_export(s, cid)
        if contact is None:
            err.print(f"[red]No contact {cid}[/]")
            raise typer.Exit(2)
        _, text = export.export_contact(s, contact=contact, fmt=fmt, actor=None)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"[green]Wrote {out}[/]")


@privacy_app.command("erase")
def privacy_erase(
    contact_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase one person's personal data everywhere; cannot be undone (audited)."""
    from amity.privacy import erase, export

    cid = _contact_id(contact_id)
    if not yes and not typer.confirm(f"Erase all personal data of contact {cid}? "
                                     "This cannot be undone"):
        raise typer.Exit(1)
    with _database().transaction() as s:
        contact = export.contact_for_export(s, cid)
        if contact is None:
            err.print(f"[red]No contact {cid}[/]")
            raise typer.Exit(2)
        done = erase.erase_contact(s, contact=contact, confirm=str(cid), actor=None)
    console.print(f"[green]Erased contact {cid}[/]: {done.notes_erased} notes, "
                  f"{done.audit_entries_scrubbed} audit entries scrubbed"
                  + (" (it was already erased)" if done.already_erased else ""))


@user_app.command("reset-2fa")
def user_reset_2fa(email: str) -> None:
    """Turn off a user's two-factor sign-in (they lost their device); they can enrol again."""
    from sqlalchemy import func, select

    from amity.auth import totp
    from amity.auth.models import User

    database = _database()
    with database.transaction() as s:
        user = s.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            err.print(f"[red]No user {email}[/]")
            raise typer.Exit(2)
        totp.reset_totp(s, user=user, actor_id=None)
    console.print(f"[green]Two-factor sign-in is off for {user.email}[/]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
    access_log: Annotated[bool, typer.Option(
        help="Also uvicorn's own access line (Amity logs one line per request anyway)")] = False,
    graceful_timeout: Annotated[int, typer.Option(
        min=1, help="On SIGTERM, wait at most this many seconds for requests in flight")] = 30,
) -> None:
    """Run the web UI and API. An empty or older database is upgraded first.

    With --workers N, uvicorn runs N processes; SIGTERM stops accepting, lets each finish the
    requests in flight (up to --graceful-timeout) and exits. Metrics of all N are summed."""
    import os
    import shutil
    import tempfile

    import uvicorn
    from alembic.util.exc import CommandError

    from amity.config import get_settings
    from amity.db import upgrade
    from amity.ops.logs import configure_logging, log_config

    settings = get_settings()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Must be set before prometheus_client is imported anywhere: the processes share it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="amity-metrics-")
    elif os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(metrics_dir, ignore_errors=True)  # a previous run's dead processes
        metrics_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.log_level, settings.log_format)
    try:
        upgrade(settings.database_url)
    except CommandError as exc:
        if "Can't locate revision" not in str(exc):
            raise
        # A newer release has migrated the database (rolling upgrade): its migrations only
        # add, so this release serves on; see docs/deploy.md.
        console.print("[yellow]The database schema is newer than this release: serving "
                      "without migrating[/]")
    console.print(f"Amity {__version__} on [bold]http://{host}:{port}[/] "
                  f"(API docs: http://{host}:{port}/api/v1/docs)")
    embedded = None
    if settings.embedded_workers:  # background jobs in this process (AMITY_EMBEDDED_WORKERS=0)
        import signal

        from amity.jobs.worker import Worker

        embedded = Worker(_database(pool=settings.embedded_workers + 3), settings,
                          concurrency=settings.embedded_workers)
        embedded.start()
        # uvicorn re-raises the SIGTERM it handled once it has shut down: finish jobs then.
        signal.signal(signal.SIGTERM, lambda *_: embedded.stop_soon() if embedded else None)
    try:
        uvicorn.run("amity.app:create_app", factory=True, host=host, port=port,
                    workers=workers, reload=reload, access_log=access_log,
                    log_level=settings.log_level,
                    log_config=log_config(settings.log_level, settings.log_format),
                    timeout_graceful_shutdown=graceful_timeout,
                    # uvicorn's 5 s default killed and restarted workers in a loop while a
                    # loaded machine took longer than that to import the app
                    timeout_worker_healthcheck=120)
    finally:
        if embedded is not None:
            embedded.stop()  # finishes the jobs in hand


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at once")] = 2,
    burst: Annotated[bool, typer.Option("--burst", help="Run what is due, then exit")] = False,
    metrics_port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="Serve this worker's Prometheus metrics (job failures) on "
        "http://<metrics-host>:<port>/metrics")] = None,
    metrics_host: Annotated[str, typer.Option(help="Address for --metrics-port")] = "127.0.0.1",
) -> None:
    """Run background jobs (any number of workers may share a PostgreSQL database).

    SIGTERM or Ctrl-C stops claiming and lets the jobs in hand finish; a second one exits at
    once (those jobs run again elsewhere when their lease expires).
    """
    import os
    import signal

    from amity.config import get_settings
    from amity.db import is_current
    from amity.jobs.worker import Worker, run_until_idle
    from amity.ops.logs import configure_logging

    settings = get_settings()
    database = _database(pool=concurrency + 3)
    if not is_current(database.engine, settings.database_url):
        err.print("[red]The database schema is not up to date: run `amity db upgrade` "
                  "first[/]")
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_format)
    if burst:
        ran = run_until_idle(database, settings)
        console.print(f"Ran {ran} job(s)")
        return
    w = Worker(database, settings, concurrency=concurrency)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)

    def _stop(signum: int, _frame: object) -> None:
        if w.stopping:
            os._exit(130)
        w.stop_soon()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    w.start()
    w.wait()
    w.stop()


@app.command("mail-inbound")
def mail_inbound(
    host: Annotated[str | None, typer.Option(help="Listen here (AMITY_INBOUND_HOST)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535,
                                             help="and on this port (AMITY_INBOUND_PORT)")] = None,
) -> None:
    """Receive support email over SMTP: mail to AMITY_INBOUND_ADDRESS becomes tickets."""
    import logging
    import signal
    import threading

    from amity.config import get_settings
    from amity.tickets.smtpd import InboundServer

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = InboundServer(_database(), settings, host=host, port=port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    console.print(f"Receiving mail for {settings.inbound_address} on "
                  f"{server.host}:{server.port} (Ctrl-C stops)")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command()
def demo(
    serve_after: Annotated[bool, typer.Option("--serve", help="Start the server afterwards")]
    = False,
    port: Annotated[int, typer.Option()] = 8000,
    b2b_contacts: Annotated[int, typer.Option(help="Contacts at the B2B customer")] = 300,
) -> None:
    """Load a realistic demo: a bakery's customers and a B2B account with many contacts."""
    from amity.config import get_settings
    from amity.db import upgrade
    from amity.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    upgrade(get_settings().database_url)
    database = _database()
    with database.transaction() as s:
        created = load_demo(s, b2b_contacts=b2b_contacts, region=get_settings().default_region)
    if created:
        console.print(f"[green]Demo loaded[/]: {created} contacts.")
    else:
        console.print("Demo data is already there.")
    console.print(f"Sign in as [bold]{DEMO_EMAIL}[/] / [bold]{DEMO_PASSWORD}[/]")
    if serve_after:
        serve(host="127.0.0.1", port=port, workers=1, reload=False, access_log=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

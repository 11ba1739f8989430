"""`flask kopdes …`: database, regions, demo data, worker, scheduler and the all-in-one dev server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import db

kopdes_cli = AppGroup("kopdes", help="Kopdes administration.")


def _config():
    return current_app.config["KOPDES"]


@kopdes_cli.command("migrate")
def migrate_cmd() -> None:
    """Apply migrations (as the owner role) and grant the application role."""
    from core.migrate import upgrade

    cfg = _config()
    upgrade(cfg.migration_database_url, cfg.database_url)
    click.echo("migrations applied")


regions_cli = AppGroup("regions", help="Official Kemendagri region list.")
kopdes_cli.add_command(regions_cli)


@regions_cli.command("import")
def regions_import() -> None:
    """Load or refresh all provinces, regencies, districts and villages (idempotent)."""
    from sqlalchemy import create_engine

    from tenants.regions import import_regions

    started = time.perf_counter()
    engine = create_engine(_config().migration_database_url)
    with engine.begin() as conn:
        changed = import_regions(conn)
    engine.dispose()
    click.echo(f"regions: {changed} new or changed rows in {time.perf_counter() - started:.2f}s")


seed_cli = AppGroup("seed", help="Demo data.")
kopdes_cli.add_command(seed_cli)


@seed_cli.command("demo")
def seed_demo() -> None:
    """Create the demo platform admin, satgas, three cooperatives with staff (idempotent)."""
    from core.seed import DEMO_PASSWORD, seed_demo_data

    logins = seed_demo_data()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login, what in logins:
        click.echo(f"  {login:<32} {what}")


@kopdes_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
def worker_cmd(burst: bool) -> None:
    """Run an RQ worker for the kopdes queue (jobs run in this process, one at a time)."""
    from rq.worker import SimpleWorker

    from core.jobs import queue, sweep_outbox

    sweep_outbox()
    SimpleWorker([queue()], connection=queue().connection).work(burst=burst, with_scheduler=True)


@kopdes_cli.command("scheduler")
def scheduler_cmd() -> None:
    """Run RQ's cron scheduler with `core.schedule.SCHEDULE` (each run recorded)."""
    from rq.cron import CronScheduler

    from core.jobs import QUEUE, run_scheduled
    from core.schedule import SCHEDULE

    scheduler = CronScheduler(connection=current_app.extensions["kopdes_redis"])
    for periodic in SCHEDULE:
        scheduler.register(
            run_scheduled,
            QUEUE,
            args=(periodic.name, periodic.job),
            interval=periodic.interval,
            cron=periodic.cron,
        )
    scheduler.start()


@kopdes_cli.command("sweep")
def sweep_cmd() -> None:
    """Push outbox messages that wait (e.g. after Redis was down)."""
    from core.jobs import sweep_outbox

    click.echo(f"pushed {sweep_outbox()} message(s)")


@kopdes_cli.command("dev")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def dev_cmd(host: str, port: int) -> None:
    """Everything for a demo on this machine: migrate, regions, demo data, worker, scheduler, web."""
    from werkzeug.serving import run_simple

    from core.migrate import upgrade
    from core.seed import DEMO_PASSWORD, seed_demo_data
    from tenants.regions import import_regions

    started = time.perf_counter()
    cfg = _config()
    upgrade(cfg.migration_database_url, cfg.database_url)
    from sqlalchemy import create_engine

    engine = create_engine(cfg.migration_database_url)
    with engine.begin() as conn:
        import_regions(conn)
    engine.dispose()
    logins = seed_demo_data()
    db.session.remove()
    env = {**os.environ, "FLASK_APP": "wsgi"}
    flask_bin = os.path.join(os.path.dirname(sys.executable), "flask")
    children = [
        subprocess.Popen([flask_bin, "kopdes", "worker"], env=env),  # noqa: S603
        subprocess.Popen([flask_bin, "kopdes", "scheduler"], env=env),  # noqa: S603
    ]

    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C (even when started in the background, where SIGINT may be ignored) and SIGTERM both
    # end the server loop and fall through to the clean stop below.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    click.echo(
        f"\nKopdes is ready at http://{host}:{port}/  (set up in {time.perf_counter() - started:.1f}s)"
    )
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login, what in logins:
        click.echo(f"  {login:<32} {what}")
    click.echo("Ctrl-C stops the web server, the worker, the scheduler and the embedded servers.\n")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=10)
        if cfg.embedded:
            from core import embedded

            embedded.stop_redis()
            embedded.stop_postgres()
            click.echo("embedded PostgreSQL and Redis stopped")

"""The `hostprovider` command for operators."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from domain.model.commands import OrderRequest
from domain.model.errors import DomainError
from domain.usecases.catalogue import current_catalogue, quote_order
from entrypoints import cli_admin, cli_catalogue
from entrypoints.config import ConfigError, load_settings
from entrypoints.preflight import one_line


def _catalog(args: argparse.Namespace) -> int:
    from entrypoints.container import build

    catalogue = current_catalogue(build(load_settings()).runtime())
    out = {
        "version": catalogue.version,
        "currency": catalogue.currency,
        "locations": [
            {"id": loc.id, "code": loc.code, "country": loc.country} for loc in catalogue.locations
        ],
        "os": [{"id": i.id, "name": i.name, "kind": i.guest_kind.value} for i in catalogue.images],
        "tariffs": [
            {
                "id": t.id,
                "name": t.name,
                "monthly": t.monthly_price.format(),
                "cores": t.config.cores,
                "memory": t.config.memory_mib,
                "disk": t.config.disk_gib,
            }
            for t in catalogue.tariffs
        ],
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _quote(args: argparse.Namespace) -> int:
    from entrypoints.container import build

    request = OrderRequest(
        os_id=args.os,
        location_id=args.location,
        tariff_id=args.tariff,
        cores=args.cores,
        memory=args.memory,
        disk=args.disk,
        promo_code=args.promo,
    )
    signed = quote_order(build(load_settings()).runtime(), None, request)
    q = signed.quote
    print(
        json.dumps(
            {
                "hourly": q.hourly.format(6),
                "monthly": q.monthly.format(),
                "firstCharge": q.first_charge.format(6),
                "discount": q.discount.format(6),
                "currency": q.currency,
                "catalogueVersion": q.catalogue_version,
            },
            indent=2,
        )
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import psycopg

    from adapters.postgres.migrate import MigrationError, migrate
    from adapters.postgres.pool import redact

    url = load_settings().database_url
    if url is None:
        raise ConfigError("HOSTPROVIDER_DATABASE_URL is not set: name the database to migrate")
    try:
        applied = migrate(url)
    except (psycopg.Error, MigrationError) as ex:
        print(f"migration of {redact(url)} failed: {ex}", file=sys.stderr)
        return 1
    print("\n".join(f"applied {name}" for name in applied) or "the schema is up to date")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from entrypoints.serve import serve

    return serve(load_settings(), bind=args.bind)


def _scheduler(args: argparse.Namespace) -> int:
    from entrypoints.scheduler.worker import scheduler

    return scheduler(load_settings())


def _simulate(args: argparse.Namespace) -> int:
    from entrypoints.simulate import simulate

    return simulate(Path(args.state_dir), args.bind, args.task_seconds)


def _realtime(args: argparse.Namespace) -> int:
    from entrypoints.realtime.run import realtime

    return realtime(load_settings(), args.bind)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hostprovider", description="Oxnack VPS back office")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="the REST API under gunicorn (the sandbox without a database)"
    )
    serve.add_argument("--bind", help="HOST:PORT (default HOSTPROVIDER_BIND or 127.0.0.1:8000)")
    serve.set_defaults(run=_serve)
    commands.add_parser(
        "scheduler", help="the job worker and the periodic ticks (PostgreSQL; run any number)"
    ).set_defaults(run=_scheduler)
    simulate = commands.add_parser(
        "simulate", help="simulated Proxmox VE and pfSense for every process to share (no hardware)"
    )
    simulate.add_argument(
        "--bind",
        default="127.0.0.1:0",
        help="HOST:PORT of Proxmox; the rest follow (0: free ports)",
    )
    simulate.add_argument("--state-dir", default=".simulated", help="where the settings go")
    simulate.add_argument("--task-seconds", type=float, default=2.0, help="how long a task takes")
    simulate.set_defaults(run=_simulate)
    live = commands.add_parser(
        "realtime", help="the Socket.IO live feed on PostgreSQL (run any number; see README)"
    )
    live.add_argument("--bind", default="127.0.0.1:8001", help="HOST:PORT (default 127.0.0.1:8001)")
    live.set_defaults(run=_realtime)
    migrate = commands.add_parser("migrate", help="apply the database migrations (repeatable)")
    migrate.set_defaults(run=_migrate)
    cli_catalogue.register(commands, show=_catalog)
    cli_admin.register_commands(commands)
    quote = commands.add_parser("quote", help="price a configuration")
    quote.add_argument("--os", type=int, required=True)
    quote.add_argument("--location", type=int)
    quote.add_argument("--tariff", type=int)
    quote.add_argument("--cores", type=int)
    quote.add_argument("--memory", type=int, help="MiB")
    quote.add_argument("--disk", type=int, help="GiB")
    quote.add_argument("--promo")
    quote.set_defaults(run=_quote)
    return root


SERVICES = ("serve", "scheduler", "realtime", "simulate")


def _preflight(args: argparse.Namespace) -> None:
    """Settings that would fail later, in a worker or a driver, stop the command here."""
    from entrypoints import logs
    from entrypoints.preflight import check_bind, check_settings

    settings = load_settings()
    # The services log to stdout (the journal, docker logs) from INFO up; a one-off command's answer
    # owns its stdout, and its stderr says only what went wrong.
    if args.command in SERVICES:
        logs.configure(args.command, stream=sys.stdout)
    else:
        logs.configure(args.command, level=logging.WARNING, stream=sys.stderr)
    os.environ.setdefault("PGAPPNAME", f"hostprovider-{args.command}")  # on every connection
    check_settings(settings)
    if args.command == "serve":
        check_bind(args.bind or settings.bind)
    if args.command == "scheduler" and settings.scheduler_metrics_bind:
        check_bind(settings.scheduler_metrics_bind, "HOSTPROVIDER_SCHEDULER_METRICS_BIND")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        _preflight(args)
        return int(args.run(args))
    except ConfigError as ex:
        print(f"configuration error: {one_line(str(ex))}", file=sys.stderr)
        return 2
    except DomainError as ex:
        print(f"error ({ex.code}): {one_line(ex.message)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Checks every command runs before it starts anything: a malformed setting stops it with one line
naming what to fix (exit 2), rather than a traceback from deep inside a worker or a driver."""

from __future__ import annotations

import psycopg
from gunicorn.util import parse_address
from psycopg.conninfo import conninfo_to_dict

from entrypoints.config import ConfigError, Settings


def one_line(text: str) -> str:
    """Driver messages can span lines; an operator's error is one."""
    return " ".join(text.split())


def check_database_url(url: str) -> None:
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as ex:
        raise ConfigError(f"HOSTPROVIDER_DATABASE_URL is not a PostgreSQL URL: {ex}") from None
    for port in str(params.get("port") or "").split(","):  # libpq takes one port per host
        if port and not (port.isdigit() and 0 < int(port) <= 65535):
            raise ConfigError(f"HOSTPROVIDER_DATABASE_URL: {port!r} is not a TCP port")


def check_bind(bind: str, name: str = "--bind / HOSTPROVIDER_BIND") -> None:
    """HOST:PORT, unix:PATH or fd://N, as gunicorn takes them; a port in 0-65535."""
    _parsed(bind, name)


def host_port(bind: str, name: str = "--bind") -> tuple[str, int]:
    """HOST:PORT only (a socket this process binds itself), the port 0-65535 (0: a free one)."""
    address = _parsed(bind, name) if ":" in bind else None
    if not isinstance(address, tuple) or not address[0]:
        raise ConfigError(f"{name} {bind!r}: expected HOST:PORT, e.g. 127.0.0.1:8001")
    return str(address[0]), int(address[1])


def _parsed(bind: str, name: str) -> object:
    try:
        address = parse_address(bind)
    except (RuntimeError, ValueError) as ex:
        raise ConfigError(f"{name} {bind!r}: {ex}") from None
    if isinstance(address, tuple) and not 0 <= address[1] <= 65535:
        raise ConfigError(f"{name} {bind!r}: the port must be 0-65535")
    return address


def check_settings(settings: Settings) -> None:
    if settings.database_url is not None:
        check_database_url(settings.database_url)
    from entrypoints.infrastructure import check_layout  # the site file and what it must agree with

    check_layout(settings)


def check_shared_infrastructure(settings: Settings) -> None:
    """On a database, the processes of a deployment (API workers, schedulers, realtime) must see
    one hypervisor and one firewall: Proxmox VE and pfSense, real or `hostprovider simulate`'s.
    Simulators inside each process would each hold guests of their own (a restarted scheduler
    would find none of its servers' guests, and its reconciler would delete billed servers), so
    they are refused unless HOSTPROVIDER_IN_PROCESS_INFRASTRUCTURE says so on purpose (tests and
    throwaway demos)."""
    if settings.database_url is None or settings.in_process_infrastructure:
        return
    missing = [
        name
        for name, api in (("HOSTPROVIDER_PROXMOX_URL", settings.proxmox),
                          ("HOSTPROVIDER_PFSENSE_URL", settings.pfsense))
        if api is None
    ]  # fmt: skip
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} must be set with a database: every process must share one "
            "hypervisor and one firewall (run `hostprovider simulate` for simulated ones)"
        )

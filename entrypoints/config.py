"""Settings, read once from HOSTPROVIDER_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from adapters.smtp import SmtpSettings
from entrypoints.environment import PREFIX, ConfigError, read_dotenv, read_int
from entrypoints.mail import mail_declared, read_smtp
from entrypoints.payments_config import PaymentConfigError, PaymentSettings, read_payments
from entrypoints.remote_settings import NodeSsh, RemoteApi, read_node_ssh, read_remote

__all__ = [
    "PREFIX",
    "ConfigError",
    "NodeSsh",
    "RemoteApi",
    "Settings",
    "load_settings",
    "read_dotenv",
]


def _warm_pool(env: Mapping[str, str]) -> tuple[tuple[tuple[int, int], int], ...]:
    """`LOCATION:IMAGE=COUNT` pairs separated by commas, e.g. "1:1=2,1:4=1"."""
    name = f"{PREFIX}WARM_POOL"
    pools: dict[tuple[int, int], int] = {}
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        where, _, count = item.partition("=")
        location, _, image = where.partition(":")
        try:
            key, wanted = (int(location), int(image)), int(count)
        except ValueError:
            raise ConfigError(
                f"{name} takes LOCATION:IMAGE=COUNT pairs such as 1:1=2,1:4=1, got {item.strip()!r}"
            ) from None
        if wanted < 0 or key in pools:
            raise ConfigError(f"{name}: {item.strip()!r} is negative or named twice")
        pools[key] = wanted
    return tuple(sorted(pools.items()))


@attrs.frozen
class Settings:
    database_url: str | None = None
    bind: str = "127.0.0.1:8000"
    currency: str = "RUB"
    # The deployment's master key: quotes, CSRF tokens and the secret box each use a key derived
    # from it (adapters/security/keys.py).
    secret_key: bytes = attrs.field(default=b"", repr=False)
    billing_period_seconds: int = 3600
    session_ttl_hours: int = 12
    admin_email: str | None = None
    admin_password: str | None = attrs.field(default=None, repr=False)
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    sandbox_task_seconds: int = 2  # how long a simulated hypervisor task takes in the sandbox
    max_body_bytes: int = 65536
    requests_per_minute: int = 600  # per client address, per API process
    db_pool_size: int = 8  # connections per process (an API worker: one per thread)
    web_workers: int = 2  # gunicorn worker processes when a database is configured
    # Jobs one `hostprovider scheduler` runs at once. A create saga holds one for its whole build,
    # mostly waiting on the hypervisor's tasks: fewer than a location's nodes leave nodes idle
    # while orders wait (bench/orders_on_nodes.py: 8 on 10 nodes cannot keep up).
    scheduler_concurrency: int = 16
    stalled_job_seconds: int = 30  # a scheduler silent this long has its running jobs run again
    monitor_seconds: int = 30  # a monitoring pass (and a live `server-stats`) this often
    metrics_raw_days: int = 7  # raw monitoring samples kept this long (5-minute rollups: 90 days)
    scheduler_metrics_bind: str | None = None  # HOST:PORT of a scheduler's /metrics; None: off
    # Real infrastructure (without it: the simulated hypervisor and firewall of the sandbox).
    site_file: Path | None = None  # the locations' nodes, storage, bridges, networks (site.py)
    proxmox: RemoteApi | None = None
    pfsense: RemoteApi | None = None
    proxmox_ssh: NodeSsh | None = None  # for LXC root passwords; None: such operations fail
    # Stopped guests kept ready: ((location id, OS image id), count) pairs.
    warm_pool: tuple[tuple[tuple[int, int], int], ...] = ()
    smtp: SmtpSettings | None = None  # the mail relay; None: mail is off (entrypoints/mail.py)
    mail_declared: bool = False  # HOSTPROVIDER_SMTP_HOST was given (a relay, or `none`)
    # With a database, simulators inside each process instead of a shared Proxmox and pfSense:
    # only on purpose (tests, throwaway demos); see preflight.check_shared_infrastructure.
    in_process_infrastructure: bool = False
    # Logins and accounts: proxies whose X-Forwarded-For is believed (CIDRs), where links in
    # e-mails point, password hashes one process computes at once, sign-ups per address an hour.
    trusted_proxies: tuple[str, ...] = ()
    public_url: str = "http://127.0.0.1:8000"
    password_hash_slots: int = 2
    registrations_per_hour: int = 10
    payments: PaymentSettings = PaymentSettings()  # top-ups (entrypoints/payments_config.py)
    console_idle_seconds: int = 900  # a console without input this long is closed
    console_link_seconds: int = 60  # a console link opens a session this soon, or lapses
    # Webhooks to plain HTTP and private addresses: for a developer's local receiver only. None
    # means the default: allowed in the sandbox, refused with a database.
    webhooks_allow_private: bool | None = None

    @property
    def sandbox(self) -> bool:
        return self.database_url is None

    @property
    def private_webhooks(self) -> bool:
        return self.sandbox if self.webhooks_allow_private is None else self.webhooks_allow_private


def _monitor_seconds(env: Mapping[str, str]) -> int:
    """Ticks run on cron, so a pass is every N seconds with N dividing a minute, or whole minutes
    dividing an hour."""
    seconds = read_int(env, f"{PREFIX}MONITOR_SECONDS", 30, minimum=1)
    minutes, rest = divmod(seconds, 60)
    if (seconds < 60 and 60 % seconds) or (seconds >= 60 and (rest or 60 % minutes)):
        raise ConfigError(
            f"{PREFIX}MONITOR_SECONDS must divide a minute (1-30) or be whole minutes dividing an "
            "hour (60, 120, 300...)"
        )
    return seconds


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    env: dict[str, str] = read_dotenv(dotenv) if dotenv is not None else {}
    env.update(
        {
            k: v
            for k, v in (os.environ if environ is None else environ).items()
            if k.startswith(PREFIX)
        }
    )
    secret_key = _secret_key(env)
    proxmox = read_remote(env, "PROXMOX", "TOKEN_SECRET", "TOKEN_ID")
    pfsense = read_remote(env, "PFSENSE", "API_KEY", None)
    site_file = env.get(f"{PREFIX}SITE_FILE") or None
    if (proxmox or pfsense) and not site_file:
        raise ConfigError(
            f"{PREFIX}SITE_FILE must name the site file that lays the locations out on the "
            "Proxmox nodes and pfSense firewalls"
        )
    currency = env.get(f"{PREFIX}CURRENCY", "RUB")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ConfigError(f"{PREFIX}CURRENCY must be a three-letter code such as RUB")
    return Settings(
        database_url=env.get(f"{PREFIX}DATABASE_URL") or None,
        bind=env.get(f"{PREFIX}BIND", "127.0.0.1:8000"),
        currency=currency,
        # Without a configured key each process signs with its own random key: quotes then hold only
        # for the process that issued them, which is right for the sandbox and wrong for production.
        secret_key=secret_key.encode() if secret_key else os.urandom(32),
        billing_period_seconds=read_int(env, f"{PREFIX}BILLING_PERIOD_SECONDS", 3600, minimum=60),
        session_ttl_hours=read_int(env, f"{PREFIX}SESSION_TTL_HOURS", 12, minimum=1),
        admin_email=env.get(f"{PREFIX}ADMIN_EMAIL") or None,
        admin_password=env.get(f"{PREFIX}ADMIN_PASSWORD") or None,
        argon2_time_cost=read_int(env, f"{PREFIX}ARGON2_TIME_COST", 3, minimum=1),
        argon2_memory_kib=read_int(env, f"{PREFIX}ARGON2_MEMORY_KIB", 65536, minimum=8192),
        argon2_parallelism=read_int(env, f"{PREFIX}ARGON2_PARALLELISM", 4, minimum=1),
        sandbox_task_seconds=read_int(env, f"{PREFIX}SANDBOX_TASK_SECONDS", 2),
        max_body_bytes=read_int(env, f"{PREFIX}MAX_BODY_BYTES", 65536, minimum=1024),
        requests_per_minute=read_int(env, f"{PREFIX}REQUESTS_PER_MINUTE", 600, minimum=1),
        db_pool_size=read_int(env, f"{PREFIX}DB_POOL_SIZE", 8, minimum=1),
        web_workers=read_int(env, f"{PREFIX}WEB_WORKERS", 2, minimum=1),
        scheduler_concurrency=read_int(env, f"{PREFIX}SCHEDULER_CONCURRENCY", 16, minimum=1),
        stalled_job_seconds=read_int(env, f"{PREFIX}STALLED_JOB_SECONDS", 30, minimum=3),
        monitor_seconds=_monitor_seconds(env),
        metrics_raw_days=read_int(env, f"{PREFIX}METRICS_RAW_DAYS", 7, minimum=1),
        scheduler_metrics_bind=env.get(f"{PREFIX}SCHEDULER_METRICS_BIND") or None,
        site_file=Path(site_file) if site_file else None,
        proxmox=proxmox,
        pfsense=pfsense,
        proxmox_ssh=read_node_ssh(env, proxmox),
        warm_pool=_warm_pool(env),
        smtp=read_smtp(env),
        mail_declared=mail_declared(env),
        in_process_infrastructure=env.get(f"{PREFIX}IN_PROCESS_INFRASTRUCTURE", "") == "1",
        trusted_proxies=_trusted_proxies(env),
        public_url=_public_url(env),
        payments=_payments(env, currency),
        console_idle_seconds=read_int(env, f"{PREFIX}CONSOLE_IDLE_SECONDS", 900, minimum=10),
        console_link_seconds=read_int(env, f"{PREFIX}CONSOLE_LINK_SECONDS", 60, minimum=5),
        password_hash_slots=read_int(env, f"{PREFIX}PASSWORD_HASH_SLOTS", 2, minimum=1),
        registrations_per_hour=read_int(env, f"{PREFIX}REGISTRATIONS_PER_HOUR", 10, minimum=1),
        webhooks_allow_private=_yes_no(env, f"{PREFIX}WEBHOOKS_ALLOW_PRIVATE"),
    )


def _payments(env: Mapping[str, str], currency: str) -> PaymentSettings:
    try:
        return read_payments(env, currency)
    except PaymentConfigError as ex:
        raise ConfigError(str(ex)) from None


def _yes_no(env: Mapping[str, str], name: str) -> bool | None:
    value = env.get(name)
    if value is None or value == "":
        return None
    if value not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 or 1")
    return value == "1"


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    from entrypoints.http.client_address import parse_networks

    name = f"{PREFIX}TRUSTED_PROXIES"
    cidrs = tuple(c.strip() for c in (env.get(name) or "").split(",") if c.strip())
    try:
        parse_networks(cidrs)  # the one reader of CIDRs; the HTTP edge keeps what it parses
    except ValueError as ex:
        raise ConfigError(f"{name}: {ex}") from None
    return cidrs


def _public_url(env: Mapping[str, str]) -> str:
    name = f"{PREFIX}PUBLIC_URL"
    url = (env.get(name) or "http://127.0.0.1:8000").rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{name} must be an http(s) URL, the address customers reach us at")
    return url


SECRET_KEY = f"{PREFIX}SECRET_KEY"
QUOTE_KEY = f"{PREFIX}QUOTE_KEY"  # its name before it was the master of every key; still read


def _secret_key(env: Mapping[str, str]) -> str:
    key, alias = env.get(SECRET_KEY, ""), env.get(QUOTE_KEY, "")
    if key and alias and key != alias:
        raise ConfigError(f"{SECRET_KEY} and {QUOTE_KEY} (its old name) differ: set only one")
    key = key or alias
    if key and len(key) < 16:
        raise ConfigError(f"{SECRET_KEY} must be at least 16 characters")
    if env.get(f"{PREFIX}DATABASE_URL") and not key:
        raise ConfigError(
            f"{SECRET_KEY} must be set with a database: every API and scheduler process must "
            "sign quotes and CSRF tokens, and open sealed secrets, with the same key"
        )
    return key

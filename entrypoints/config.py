"""Settings, read once from HOSTPROVIDER_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import attrs

from adapters.smtp import SmtpSettings
from entrypoints.mail import mail_declared, read_smtp


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable to fix."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


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
class RemoteApi:
    """How to reach an outside API: its address, credentials and how to trust its certificate."""

    url: str
    user: str  # Proxmox: the token id USER@REALM!NAME; pfSense: unused
    secret: str = attrs.field(repr=False)  # the token secret or the API key
    ca_file: str | None = None
    fingerprint_sha256: str | None = None


def _remote(
    env: Mapping[str, str], system: str, secret_name: str, user_name: str | None
) -> RemoteApi | None:
    url = env.get(f"{PREFIX}{system}_URL")
    if not url:
        return None
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{PREFIX}{system}_URL must be an http(s) URL")
    user = env.get(f"{PREFIX}{system}_{user_name}", "") if user_name else ""
    if user_name and not user:
        raise ConfigError(f"{PREFIX}{system}_{user_name} must be set with {PREFIX}{system}_URL")
    secret = env.get(f"{PREFIX}{system}_{secret_name}", "")
    if not secret:
        raise ConfigError(f"{PREFIX}{system}_{secret_name} must be set with {PREFIX}{system}_URL")
    ca_file = env.get(f"{PREFIX}{system}_CA_FILE") or None
    fingerprint = env.get(f"{PREFIX}{system}_FINGERPRINT") or None
    if ca_file and fingerprint:
        raise ConfigError(
            f"{PREFIX}{system}_CA_FILE and {PREFIX}{system}_FINGERPRINT: set one, not both"
        )
    return RemoteApi(url.rstrip("/"), user, secret, ca_file, fingerprint)


@attrs.frozen
class NodeSsh:
    """How the back office runs `pct` on the Proxmox nodes over SSH: LXC root passwords have no
    API. Host keys are checked strictly, against `known_hosts_file` or the user's own file."""

    user: str = "root"
    port: int = 22
    identity_file: str | None = None
    known_hosts_file: str | None = None
    hosts: tuple[tuple[str, str], ...] = ()  # (node, address); an unnamed node is its own address
    program: str = "ssh"


def _ssh_word(name: str, value: str) -> str:
    """A user or an address goes on the ssh command line: nothing there may read as an option or
    split into two words."""
    if not value or value.startswith("-") or any(c.isspace() or c in "@'\"" for c in value):
        raise ConfigError(f"{name}: {value!r} is not a plain user or host name")
    return value


def _ssh_hosts(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`NODE=ADDRESS` pairs separated by commas, e.g. "pve1=10.0.0.11,pve2=pve2.mgmt.example"."""
    name = f"{_SSH}HOSTS"
    hosts: dict[str, str] = {}
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        node, equals, address = (part.strip() for part in item.partition("="))
        if not equals or not node or not address:
            raise ConfigError(
                f"{name} takes NODE=ADDRESS pairs such as pve1=10.0.0.11, got {item.strip()!r}"
            )
        if node in hosts:
            raise ConfigError(f"{name}: node {node!r} is named twice")
        hosts[node] = _ssh_word(name, address)
    return tuple(sorted(hosts.items()))


def _existing_file(env: Mapping[str, str], key: str) -> str | None:
    path = env.get(f"{_SSH}{key}") or None
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"{_SSH}{key}: no such file {path}")
    return path


def _node_ssh(env: Mapping[str, str], proxmox: RemoteApi | None) -> NodeSsh | None:
    """SSH to the nodes is on when a user or a key is given; without either, LXC password
    operations fail with the adapter's own explanation."""
    user = env.get(f"{_SSH}USER") or None
    identity = env.get(f"{_SSH}IDENTITY_FILE") or None
    if user is None and identity is None:
        stray = sorted(key for key, value in env.items() if key.startswith(_SSH) and value)
        if stray:
            raise ConfigError(
                f"{stray[0]} is set, but neither {_SSH}USER nor {_SSH}IDENTITY_FILE: "
                "name the user (or the key) that logs in to the Proxmox nodes"
            )
        return None
    if proxmox is None:
        raise ConfigError(f"{_SSH}USER and {_SSH}IDENTITY_FILE need {PREFIX}PROXMOX_URL set")
    port = _int(env, f"{_SSH}PORT", 22, minimum=1)
    if port > 65535:
        raise ConfigError(f"{_SSH}PORT must be a TCP port, at most 65535")
    program = env.get(f"{_SSH}PROGRAM") or "ssh"
    if shutil.which(program) is None:
        raise ConfigError(f"{_SSH}PROGRAM: {program!r} is not an executable (nor on PATH)")
    return NodeSsh(
        user=_ssh_word(f"{_SSH}USER", user or "root"),
        port=port,
        identity_file=_existing_file(env, "IDENTITY_FILE"),
        known_hosts_file=_existing_file(env, "KNOWN_HOSTS"),
        hosts=_ssh_hosts(env),
        program=program,
    )


@attrs.frozen
class Settings:
    database_url: str | None = None
    bind: str = "127.0.0.1:8000"
    currency: str = "RUB"
    quote_key: bytes = attrs.field(default=b"", repr=False)
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
    scheduler_concurrency: int = 8  # jobs one `hostprovider scheduler` runs at once
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
    # Webhooks to plain HTTP and private addresses: for a developer's local receiver only. None
    # means the default: allowed in the sandbox, refused with a database.
    webhooks_allow_private: bool | None = None

    @property
    def sandbox(self) -> bool:
        return self.database_url is None

    @property
    def private_webhooks(self) -> bool:
        return self.sandbox if self.webhooks_allow_private is None else self.webhooks_allow_private


PREFIX = "HOSTPROVIDER_"


def _monitor_seconds(env: Mapping[str, str]) -> int:
    """Ticks run on cron, so a pass is every N seconds with N dividing a minute, or whole minutes
    dividing an hour."""
    seconds = _int(env, f"{PREFIX}MONITOR_SECONDS", 30, minimum=1)
    minutes, rest = divmod(seconds, 60)
    if (seconds < 60 and 60 % seconds) or (seconds >= 60 and (rest or 60 % minutes)):
        raise ConfigError(
            f"{PREFIX}MONITOR_SECONDS must divide a minute (1-30) or be whole minutes dividing an "
            "hour (60, 120, 300...)"
        )
    return seconds


_SSH = f"{PREFIX}PROXMOX_SSH_"


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped. Only HOSTPROVIDER_* keys are taken."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key.startswith(PREFIX):
            values[key] = value.strip().strip('"').strip("'")
    return values


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
    quote_key = env.get(f"{PREFIX}QUOTE_KEY", "")
    if quote_key and len(quote_key) < 16:
        raise ConfigError(f"{PREFIX}QUOTE_KEY must be at least 16 characters")
    if env.get(f"{PREFIX}DATABASE_URL") and not quote_key:
        raise ConfigError(
            f"{PREFIX}QUOTE_KEY must be set with a database: every API and scheduler process must "
            "sign quotes and CSRF tokens with the same key"
        )
    proxmox = _remote(env, "PROXMOX", "TOKEN_SECRET", "TOKEN_ID")
    pfsense = _remote(env, "PFSENSE", "API_KEY", None)
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
        quote_key=quote_key.encode() if quote_key else os.urandom(32),
        billing_period_seconds=_int(env, f"{PREFIX}BILLING_PERIOD_SECONDS", 3600, minimum=60),
        session_ttl_hours=_int(env, f"{PREFIX}SESSION_TTL_HOURS", 12, minimum=1),
        admin_email=env.get(f"{PREFIX}ADMIN_EMAIL") or None,
        admin_password=env.get(f"{PREFIX}ADMIN_PASSWORD") or None,
        argon2_time_cost=_int(env, f"{PREFIX}ARGON2_TIME_COST", 3, minimum=1),
        argon2_memory_kib=_int(env, f"{PREFIX}ARGON2_MEMORY_KIB", 65536, minimum=8192),
        argon2_parallelism=_int(env, f"{PREFIX}ARGON2_PARALLELISM", 4, minimum=1),
        sandbox_task_seconds=_int(env, f"{PREFIX}SANDBOX_TASK_SECONDS", 2),
        max_body_bytes=_int(env, f"{PREFIX}MAX_BODY_BYTES", 65536, minimum=1024),
        requests_per_minute=_int(env, f"{PREFIX}REQUESTS_PER_MINUTE", 600, minimum=1),
        db_pool_size=_int(env, f"{PREFIX}DB_POOL_SIZE", 8, minimum=1),
        web_workers=_int(env, f"{PREFIX}WEB_WORKERS", 2, minimum=1),
        scheduler_concurrency=_int(env, f"{PREFIX}SCHEDULER_CONCURRENCY", 8, minimum=1),
        stalled_job_seconds=_int(env, f"{PREFIX}STALLED_JOB_SECONDS", 30, minimum=3),
        monitor_seconds=_monitor_seconds(env),
        metrics_raw_days=_int(env, f"{PREFIX}METRICS_RAW_DAYS", 7, minimum=1),
        scheduler_metrics_bind=env.get(f"{PREFIX}SCHEDULER_METRICS_BIND") or None,
        site_file=Path(site_file) if site_file else None,
        proxmox=proxmox,
        pfsense=pfsense,
        proxmox_ssh=_node_ssh(env, proxmox),
        warm_pool=_warm_pool(env),
        smtp=read_smtp(env),
        mail_declared=mail_declared(env),
        in_process_infrastructure=env.get(f"{PREFIX}IN_PROCESS_INFRASTRUCTURE", "") == "1",
        trusted_proxies=_trusted_proxies(env),
        public_url=_public_url(env),
        password_hash_slots=_int(env, f"{PREFIX}PASSWORD_HASH_SLOTS", 2, minimum=1),
        registrations_per_hour=_int(env, f"{PREFIX}REGISTRATIONS_PER_HOUR", 10, minimum=1),
        webhooks_allow_private=_yes_no(env, f"{PREFIX}WEBHOOKS_ALLOW_PRIVATE"),
    )


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

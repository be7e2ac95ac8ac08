"""Mail settings (HOSTPROVIDER_SMTP_*) and the mailer they choose.

With HOSTPROVIDER_SMTP_HOST the notices go to that relay. Without it the sandbox keeps them in its
outbox and logs one line per message; a deployment on PostgreSQL refuses to start unless
HOSTPROVIDER_SMTP_HOST=none says that mail is off on purpose, so that nobody runs production
believing that customers are told about their servers and their money when they are not."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from adapters.smtp import LogMailer, SmtpMailer, SmtpSettings, TlsMode
from entrypoints.environment import ConfigError
from ports.messaging import Mailer

SMTP = "HOSTPROVIDER_SMTP_"
MAIL_OFF = "none"
_DEFAULT_PORTS = {TlsMode.NONE: 25, TlsMode.STARTTLS: 587, TlsMode.TLS: 465}


class MailSettings(Protocol):
    """What of the settings (config.Settings) mail reads: config.py builds them with this module's
    readers, so this module names no more of them than it needs."""

    @property
    def database_url(self) -> str | None: ...
    @property
    def mail_declared(self) -> bool: ...
    @property
    def smtp(self) -> SmtpSettings | None: ...


def mail_declared(env: Mapping[str, str]) -> bool:
    """Whether HOSTPROVIDER_SMTP_HOST says something: a relay, or `none` for mail off."""
    return bool((env.get(f"{SMTP}HOST") or "").strip())


def require_mail_decision(settings: MailSettings) -> None:
    """For the processes that run a deployment (serve, scheduler): on a database, mail must be
    either configured or turned off on purpose. One-off commands (migrate, admin) need neither."""

    if settings.database_url is not None and not settings.mail_declared:
        raise ConfigError(
            f"{SMTP}HOST must be set with a database: the SMTP relay's host, "
            f"or {MAIL_OFF} to turn mail off on purpose"
        )


def read_smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    """The relay, or None when mail is off (the sandbox's default, or SMTP_HOST=none)."""

    host = (env.get(f"{SMTP}HOST") or "").strip()
    others = sorted(k for k, v in env.items() if k.startswith(SMTP) and k != f"{SMTP}HOST" and v)
    if not host or host.lower() == MAIL_OFF:
        if others:
            said = "is none" if host else "is not set"
            raise ConfigError(f"{others[0]} is set, but {SMTP}HOST {said}: name the relay")
        return None
    raw_tls = (env.get(f"{SMTP}TLS") or TlsMode.STARTTLS.value).strip().lower()
    try:
        tls = TlsMode(raw_tls)
    except ValueError:
        choices = ", ".join(m.value for m in TlsMode)
        raise ConfigError(f"{SMTP}TLS must be one of {choices}, got {raw_tls!r}") from None
    port = _port(env.get(f"{SMTP}PORT"), _DEFAULT_PORTS[tls])
    sender = (env.get(f"{SMTP}FROM") or "").strip()
    if "@" not in email.utils.parseaddr(sender)[1] or any(c in sender for c in "\r\n"):
        raise ConfigError(f"{SMTP}FROM must be the sender's address, such as noreply@example.com")
    user = env.get(f"{SMTP}USER") or None
    password = env.get(f"{SMTP}PASSWORD") or None
    if (user is None) != (password is None):
        raise ConfigError(f"{SMTP}USER and {SMTP}PASSWORD go together: set both or neither")
    if user is not None and tls is TlsMode.NONE:
        raise ConfigError(f"{SMTP}USER with {SMTP}TLS=none would send the password in clear")
    ca_file = env.get(f"{SMTP}CA_FILE") or None
    if ca_file is not None and not Path(ca_file).is_file():
        raise ConfigError(f"{SMTP}CA_FILE: no such file {ca_file}")
    return SmtpSettings(host, port, sender, tls, user, password, ca_file)


def _port(raw: str | None, default: int) -> int:

    if raw is None or raw.strip() == "":
        return default
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{SMTP}PORT must be a TCP port (1..65535), got {raw!r}")
    return int(raw)


def make_mailer(settings: MailSettings) -> Mailer:
    return SmtpMailer(settings.smtp) if settings.smtp is not None else LogMailer()

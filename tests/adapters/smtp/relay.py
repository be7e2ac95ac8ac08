"""A real SMTP relay for the tests: aiosmtpd on 127.0.0.1, with STARTTLS (or TLS from the first
byte) under a throwaway certificate, AUTH PLAIN/LOGIN, and answers a test can script: a 4xx or 5xx
for the next DATA commands, a refused recipient, or a connection dropped in the middle of DATA."""

from __future__ import annotations

import collections
import contextlib
import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from adapters.smtp import SmtpSettings, TlsMode
from tests.e2e.infrastructure import self_signed_certificate

HOST = "127.0.0.1"
USER, PASSWORD = "mailer", "relay-password"
SENDER = "Oxnack <noreply@oxnack.example>"


@attrs.frozen
class Delivery:
    """One message the relay accepted, and how its session went."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    over_tls: bool
    login: str | None


class ScriptedHandler:
    def __init__(self) -> None:
        self.delivered: list[Delivery] = []
        self.data_commands = 0  # every DATA the relay saw, accepted or not
        self.answers: collections.deque[str] = collections.deque()  # for the next DATA commands
        self.drops = 0  # the next DATA commands whose connection is cut before any answer
        self.refused: set[str] = set()  # recipients answered 550

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.drops:
            self.drops -= 1
            server.transport.abort()  # the relay goes away in the middle of the transaction
            return "250 never heard"
        if self.answers:
            return self.answers.popleft()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None
        over_tls = server.transport.get_extra_info("ssl_object") is not None
        self.delivered.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), message, over_tls, login)
        )
        return "250 2.0.0 accepted"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=data)  # handled=False: answer 535


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@attrs.define
class Relay:
    handler: ScriptedHandler
    port: int
    tls: TlsMode
    ca_file: Path

    @property
    def delivered(self) -> list[Delivery]:
        return self.handler.delivered

    def settings(self, **change: Any) -> SmtpSettings:
        """What our side needs to reach this relay (and log in, when it asks for AUTH)."""
        fields: dict[str, Any] = dict(
            host=HOST,
            port=self.port,
            sender=SENDER,
            tls=self.tls,
            user=USER if self.tls is not TlsMode.NONE else None,
            password=PASSWORD if self.tls is not TlsMode.NONE else None,
            ca_file=str(self.ca_file),
            timeout=10.0,
        )
        fields.update(change)
        return SmtpSettings(**fields)

    def environment(self) -> dict[str, str]:
        """The same as HOSTPROVIDER_SMTP_* settings."""
        s = self.settings()
        env = {
            "HOSTPROVIDER_SMTP_HOST": s.host,
            "HOSTPROVIDER_SMTP_PORT": str(s.port),
            "HOSTPROVIDER_SMTP_FROM": s.sender,
            "HOSTPROVIDER_SMTP_TLS": s.tls.value,
            "HOSTPROVIDER_SMTP_CA_FILE": str(self.ca_file),
        }
        if s.user is not None:
            env |= {"HOSTPROVIDER_SMTP_USER": s.user, "HOSTPROVIDER_SMTP_PASSWORD": PASSWORD}
        return env


@contextlib.contextmanager
def running_relay(folder: Path, tls: TlsMode = TlsMode.STARTTLS) -> Iterator[Relay]:
    """STARTTLS: TLS and AUTH are required before MAIL; TLS: TLS from the first byte, AUTH
    offered; NONE: plain SMTP without AUTH (a relay on the same host)."""
    certificate = self_signed_certificate(folder)  # for 127.0.0.1
    cert_file, key_file = certificate.cert_file, certificate.key_file
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    handler = ScriptedHandler()
    port = free_port()
    options: dict[str, Any] = {}
    if tls is TlsMode.STARTTLS:
        options = dict(tls_context=context, require_starttls=True, auth_required=True)
    elif tls is TlsMode.TLS:  # aiosmtpd counts only STARTTLS as TLS for AUTH: allow it here
        options = dict(ssl_context=context, auth_require_tls=False)
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        server_hostname="relay.test",
        authenticator=_authenticate,
        **options,
    )
    controller.start()
    try:
        yield Relay(handler, port, tls, cert_file)
    finally:
        controller.stop()

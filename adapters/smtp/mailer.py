"""Mail through an SMTP relay (RFC 5321), with the standard library's smtplib.

One connection per message: notices are few, and a fresh session after a failure is the simplest
correct retry. The relay's answer decides what the outbox does next: a 4xx reply, a refused or
dropped connection or a timeout is Unavailable (try again later); a 5xx reply is ExternalFailure
(refused: the address, the message or our credentials)."""

from __future__ import annotations

import email.utils
import enum
import smtplib
import ssl
from email.message import EmailMessage

import attrs

from domain.model.errors import ExternalFailure, Unavailable
from ports.messaging import OutgoingMail


class TlsMode(enum.Enum):
    NONE = "none"  # plain SMTP: only for a relay on the same host or a trusted network
    STARTTLS = "starttls"  # plain connect, then STARTTLS (port 587); no fallback to plain
    TLS = "tls"  # TLS from the first byte (port 465, "SMTPS")


@attrs.frozen
class SmtpSettings:
    host: str
    port: int
    sender: str  # the From address
    tls: TlsMode = TlsMode.STARTTLS
    user: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    ca_file: str | None = None  # trust this CA instead of the system's (a private relay)
    timeout: float = 30.0  # seconds, per network operation


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        # Made once (it reads the CA store); none where no TLS is spoken.
        self._tls = (
            None
            if settings.tls is TlsMode.NONE
            else ssl.create_default_context(cafile=settings.ca_file)
        )

    def send(self, mail: OutgoingMail) -> None:
        message = self._message(mail)
        where = f"SMTP relay {self._settings.host}:{self._settings.port}"
        try:
            smtp = self._session()
            try:
                smtp.send_message(message, from_addr=self._settings.sender, to_addrs=[mail.to])
            finally:
                _hang_up(smtp)
        except smtplib.SMTPRecipientsRefused as ex:
            code, text = next(iter(ex.recipients.values()))
            raise _refusal(code, text, mail.to) from None
        except smtplib.SMTPResponseException as ex:  # MAIL, DATA, AUTH, STARTTLS, the greeting
            raise _refusal(ex.smtp_code, ex.smtp_error, mail.to) from None
        except smtplib.SMTPServerDisconnected as ex:
            raise Unavailable(f"{where}: {ex or 'connection lost'}", to=mail.to) from None
        except smtplib.SMTPException as ex:  # e.g. STARTTLS or AUTH not offered: our settings
            raise ExternalFailure(f"{where}: {ex}", to=mail.to) from None
        except OSError as ex:  # refused, reset, timed out, a TLS handshake that failed
            raise Unavailable(f"{where}: {ex or type(ex).__name__}", to=mail.to) from None

    def _session(self) -> smtplib.SMTP:
        s, context = self._settings, self._tls
        smtp: smtplib.SMTP
        if s.tls is TlsMode.TLS:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.tls is TlsMode.STARTTLS:
                smtp.starttls(context=context)  # raises when not offered: never send in clear
            if s.user is not None:
                smtp.login(s.user, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = email.utils.formatdate(usegmt=True)
        message_id = mail.message_id.strip("<>")
        message["Message-ID"] = f"<{message_id}>"
        message.set_content(mail.body)
        if mail.html:
            message.add_alternative(mail.html, subtype="html")
        return message


def _hang_up(smtp: smtplib.SMTP) -> None:
    """QUIT, ignoring how it went: once the relay has accepted the message, a failed goodbye must
    not make the outbox send it again."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _refusal(code: int, text: bytes | str, to: str) -> ExternalFailure:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    message = f"{code} {said}".strip()
    if 400 <= code < 500:
        return Unavailable(message, to=to, smtp_code=code)
    return ExternalFailure(message, to=to, smtp_code=code)

"""Mail out: an SMTP relay over the standard library's smtplib, or, with mail off, the log."""

from adapters.smtp.log_mailer import LogMailer
from adapters.smtp.mailer import SmtpMailer, SmtpSettings, TlsMode

__all__ = ["LogMailer", "SmtpMailer", "SmtpSettings", "TlsMode"]

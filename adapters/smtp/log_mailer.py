"""Mail that is off: the sandbox, or a deployment that says HOSTPROVIDER_SMTP_HOST=none.

Nothing leaves the machine. The notice stays in the outbox, where an admin reads it whole
(GET /api/admin/outbox), and each message is one line of the log."""

from __future__ import annotations

import logging

from ports.messaging import OutgoingMail

log = logging.getLogger("hostprovider.mail")


class LogMailer:
    def send(self, mail: OutgoingMail) -> None:
        log.info(
            "mail not sent (no SMTP relay): to=%s subject=%r message_id=%s",
            mail.to,
            mail.subject,
            mail.message_id,
        )

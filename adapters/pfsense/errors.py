"""How the firewall's answers reach the domain: each class says what the caller may do next."""

from __future__ import annotations

from typing import Any

from domain.model.errors import Conflict, ExternalFailure, Unavailable


class FirewallRefused(ExternalFailure):
    """The firewall refused the request as it stands (400, 404, 405, 500...): repeating it
    changes nothing."""

    code = "firewall_refused"

    def __init__(self, message: str, *, status: int, response_id: str, **details: Any) -> None:
        super().__init__(message, status=status, response_id=response_id, **details)
        self.status = status
        self.response_id = response_id


class FirewallConflict(Conflict, ExternalFailure):
    """409: the change collides with something the firewall holds (a static mapping inside a DHCP
    range, an object still referenced). Our records and the firewall disagree: fix one of them."""

    def __init__(self, message: str, *, response_id: str, **details: Any) -> None:
        ExternalFailure.__init__(self, message, status=409, response_id=response_id, **details)
        self.response_id = response_id


class FirewallMisconfigured(ExternalFailure):
    """401/403: the API key is wrong, revoked or lacks a privilege. No retry helps; the operator
    must fix the firewall's settings, so this is logged as an alarm."""

    code = "firewall_misconfigured"

    def __init__(self, message: str, *, status: int, response_id: str, **details: Any) -> None:
        super().__init__(message, status=status, response_id=response_id, **details)
        self.status = status
        self.response_id = response_id


class FirewallBusy(Unavailable):
    """503: the firewall did not take the request (its config write lock, its apply queue); the
    same request may be sent again after `retry_after` seconds."""

    code = "firewall_busy"

    def __init__(self, message: str, *, retry_after: float, response_id: str = "") -> None:
        super().__init__(message, retry_after=retry_after, response_id=response_id)
        self.retry_after = retry_after


class OutcomeUnknown(Unavailable):
    """A write whose answer was lost (timeout, connection reset, 502/504 from the front proxy):
    it may have been committed. Read the firewall again by natural key before repeating it."""

    code = "firewall_outcome_unknown"

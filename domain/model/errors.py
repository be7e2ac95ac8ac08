"""The errors the domain raises. Each has a stable machine `code`; the HTTP edge maps classes to
statuses.

Every error leaves state untouched: use cases raise before they write, or inside a unit of work that
rolls back.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    """Input that can never be right: the field is named."""

    code = "invalid"

    def __init__(self, field: str, problem: str, **details: Any) -> None:
        super().__init__(f"{field} {problem}", field=field, **details)
        self.field = field
        self.problem = problem

    def at(self, field: str) -> ValidationError:
        """The same refusal of the same kind, named as `field` (where a value is known by another
        name: a new password is `newPassword` when the current one is sent too)."""
        details = {k: v for k, v in self.details.items() if k != "field"}
        return type(self)(field, self.problem, **details)


class RuleViolation(ValidationError):
    """Well-formed input that a rule no request schema can state refuses: a size against the
    current catalogue, one field against another (toPort below fromPort, validUntil before
    validFrom), a value against what is stored (a disk that would shrink). The field is named as
    for any invalid input; the HTTP edge answers 422, keeping 400 for input the API's document
    already calls malformed."""

    code = "rule_violation"


class NotFound(DomainError):
    """Unknown id, or someone else's: the two are indistinguishable on purpose."""

    code = "not_found"

    def __init__(self, kind: str, ident: int | str | None) -> None:
        super().__init__(f"{kind} {ident} not found", kind=kind, id=str(ident))


class LinkNotFound(NotFound):
    """A one-time link (a password reset) that is unknown, used or expired: the three are not
    told apart, and the link is never echoed."""

    code = "link_not_found"

    def __init__(self, kind: str) -> None:
        DomainError.__init__(
            self, f"this {kind} link is unknown, used or expired; ask for a new one", kind=kind
        )


class NoCatalogue(NotFound):
    """Nothing is for sale until the operator publishes a catalogue."""

    code = "no_catalogue"

    def __init__(self) -> None:
        super().__init__("catalogue", "current")
        self.message = (
            "no catalogue is published yet: the operator publishes one with "
            "`hostprovider catalog import FILE` or PUT /api/admin/catalogue"
        )
        self.args = (self.message,)


class AuthenticationFailed(DomainError):
    code = "unauthenticated"


class Throttled(DomainError):
    """Too many attempts of this kind from here (or on this account); retry after a while."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **details)
        self.retry_after = retry_after


class PermissionDenied(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class InvalidTransition(Conflict):
    """The thing is not in a state where this can happen."""

    code = "invalid_state"

    def __init__(self, kind: str, current: str, attempted: str) -> None:
        super().__init__(
            f"{kind} is {current}; cannot {attempted}", state=current, attempted=attempted
        )


class Locked(Conflict):
    """Another operation holds the resource; try again when it finishes."""

    code = "locked"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"


class AccountRestricted(DomainError):
    """The account's standing forbids the operation (unpaid balance, suspended)."""

    code = "account_restricted"


class PromoCodeRejected(DomainError):
    code = "promo_code_rejected"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class QuoteRejected(DomainError):
    """A signed quote that is forged, expired, or for another order."""

    code = "quote_rejected"


class CapacityExhausted(DomainError):
    """No node, address, MAC or VLAN is left for the order."""

    code = "capacity_exhausted"


class ExternalFailure(DomainError):
    """A driven system (hypervisor, firewall) failed the operation."""

    code = "external_failure"

    def __init__(self, message: str, *, transient: bool = False, **details: Any) -> None:
        super().__init__(message, **details)
        self.transient = transient


class Unavailable(ExternalFailure):
    """A dependency is down; the same request may succeed later."""

    code = "unavailable"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, transient=True, **details)


class Busy(Unavailable):
    """This process already does as much of this work (password hashing) as it may at once: the
    request is refused at once rather than queued, and may be retried in a moment."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 1, **details: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **details)

"""Webhooks: a customer's own HTTPS endpoint told about what happens on its account.

A delivery is signed as Stripe signs its events: an HMAC-SHA256, under the webhook's secret, of
`"<unix timestamp>.<body>"`, sent in one header with the timestamp, so a receiver can refuse both a
forged body and an old one replayed. Deliveries are at least once: a receiver recognises a repeat
by the delivery id in the body and in its own header.

Only HTTPS URLs whose addresses are public are allowed (no private, loopback, link-local, shared or
reserved range): a customer must not make us call into our own network. The rule is checked when
the URL is given and again against the addresses the name resolves to at delivery time, because a
name can be pointed elsewhere after it was checked (DNS rebinding). The sandbox allows plain HTTP
to any address, so a developer's local receiver can be used.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import ipaddress
import urllib.parse

import attrs

from domain.model.errors import RuleViolation, ValidationError


class WebhookEvent(enum.Enum):
    SERVER_CREATED = "server.created"
    SERVER_DELETED = "server.deleted"
    ACTION_FINISHED = "action.finished"
    BALANCE_LOW = "balance.low"
    PAYMENT_SUCCEEDED = "payment.succeeded"


MAX_WEBHOOKS_PER_CUSTOMER = 10
MAX_URL_LENGTH = 2000
SIGNATURE_HEADER = "Oxnack-Signature"
DELIVERY_HEADER = "Oxnack-Delivery"
EVENT_HEADER = "Oxnack-Event"


# --- where we may send ---------------------------------------------------------------------------


def is_public_address(address: str) -> bool:
    """An address on the public internet: not private, loopback, link-local, multicast, shared
    (100.64/10), reserved or unspecified, IPv4 or IPv6 (an IPv4-mapped IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@attrs.frozen
class Target:
    """A checked URL: its scheme, host and port, for the sender to connect to."""

    url: str
    scheme: str
    host: str
    port: int


def check_url(url: str, *, allow_private: bool) -> Target:
    """The URL's target, or ValidationError naming what is wrong. A host given as an address is
    judged here; a host given as a name is judged by the sender, on what it resolves to."""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError("url", f"is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError("url", "is not a URL") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise RuleViolation("url", "must start with https://")
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        raise RuleViolation("url", "needs a host and no user or password")
    if parts.fragment:
        raise RuleViolation("url", "must not have a #fragment")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not allow_private and not is_public_address(host):
        raise RuleViolation("url", "must not point at a private, loopback or link-local address")
    name = host.rstrip(".").lower()
    if (
        literal is None
        and not allow_private
        and (name == "localhost" or name.endswith((".localhost", ".local", ".internal")))
    ):
        raise RuleViolation("url", "must name a public host")
    default = 443 if parts.scheme == "https" else 80
    return Target(url, parts.scheme, host, port or default)


# --- signing -------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (and our tests): the signature matches and is at most `tolerance`
    seconds old."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


# --- the webhook and its deliveries --------------------------------------------------------------


@attrs.frozen
class Webhook:
    id: int
    owner_id: int
    url: str
    events: frozenset[WebhookEvent]
    secret: str = attrs.field(repr=False)  # sealed by the store's caller (the secret box)
    created_at: dt.datetime
    description: str = ""

    def wants(self, event: WebhookEvent) -> bool:
        return event in self.events


class DeliveryStatus(enum.Enum):
    PENDING = "pending"  # waiting for its (next) try
    SENDING = "sending"  # claimed by a deliverer
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up after RETRY_WINDOW


# Tries back off from 30 s to at most 2 h, for 24 h from the event; then the delivery is given up.
FIRST_BACKOFF = dt.timedelta(seconds=30)
LONGEST_BACKOFF = dt.timedelta(hours=2)
RETRY_WINDOW = dt.timedelta(hours=24)
# A delivery still `sending` after this was claimed by a deliverer that died: tried again (a
# receiver recognises the repeat by its id).
SENDING_LEASE = dt.timedelta(minutes=5)
ANSWER_EXCERPT = 500  # characters of the receiver's answer kept with the delivery


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min ... at most 2 h."""
    wait: dt.timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, LONGEST_BACKOFF)


@attrs.frozen
class Delivery:
    id: int
    webhook_id: int
    owner_id: int
    event: WebhookEvent
    body: str  # the JSON sent, fixed when the event happened
    created_at: dt.datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None  # None: as soon as possible
    claimed_at: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    last_status_code: int | None = None  # the receiver's HTTP status, None if none came
    last_answer: str = ""  # an excerpt of its answer, or why no answer came

    def is_due(self, now: dt.datetime) -> bool:
        return self.status is DeliveryStatus.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    def claimed(self, now: dt.datetime) -> Delivery:
        return attrs.evolve(
            self, status=DeliveryStatus.SENDING, claimed_at=now, attempts=self.attempts + 1
        )

    def answered(self, now: dt.datetime, status_code: int | None, answer: str) -> Delivery:
        """The outcome of one try: delivered on a 2xx, else another try after a backoff, or
        given up once the retry window has passed."""
        tried = attrs.evolve(
            self,
            claimed_at=None,
            last_attempt_at=now,
            last_status_code=status_code,
            last_answer=answer[:ANSWER_EXCERPT],
        )
        if status_code is not None and 200 <= status_code < 300:
            return attrs.evolve(tried, status=DeliveryStatus.DELIVERED, next_attempt_at=None)
        retry_at = now + backoff(self.attempts)
        if retry_at > self.created_at + RETRY_WINDOW:
            return attrs.evolve(tried, status=DeliveryStatus.FAILED, next_attempt_at=None)
        return attrs.evolve(tried, status=DeliveryStatus.PENDING, next_attempt_at=retry_at)

    def given_up(self, now: dt.datetime, reason: str) -> Delivery:
        """Never to be sent: its webhook cannot sign it, or its URL is no longer allowed."""
        return attrs.evolve(
            self,
            status=DeliveryStatus.FAILED,
            claimed_at=None,
            next_attempt_at=None,
            last_attempt_at=now,
            last_status_code=None,
            last_answer=reason[:ANSWER_EXCERPT],
        )

    def interrupted(self, now: dt.datetime) -> Delivery:
        return self.answered(now, None, "the deliverer stopped during the try")

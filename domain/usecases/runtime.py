"""What every use case runs with: the ports, and the business policy the provider configures.

The composition root (entrypoints/container.py) builds one Runtime; use cases take it as their first
argument and never reach for anything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from domain.model.alerts import DEFAULT_RULES, AlertRule
from domain.model.console import CONSOLE_LINK_TTL
from domain.model.dunning import DunningPolicy
from domain.model.money import MICRO, Money
from domain.model.network import DEFAULT_INBOUND, CustomerNetworks, FirewallRule, VlanRange
from domain.model.payments import PaymentLimits
from domain.model.placement import Overcommit
from domain.model.throttle import LoginLimits
from ports.clock import Clock
from ports.hypervisor import Hypervisor
from ports.messaging import EventPublisher, Mailer
from ports.network import NetworkFabric
from ports.payments import PaymentGateway
from ports.security import PasswordHasher, SecretBox, SecretGenerator
from ports.throttle import Counters
from ports.two_factor import TotpAlgorithm
from ports.unit_of_work import UnitOfWorkFactory
from ports.webhooks import WebhookSender


@attrs.frozen
class Policy:
    # Keys derived from the deployment's master key, one per use: signing quotes, and the HTTP
    # edge's CSRF tokens.
    quote_key: bytes = attrs.field(repr=False)
    csrf_key: bytes = attrs.field(repr=False)
    currency: str = "RUB"
    billing_period_seconds: int = 3600
    quote_ttl: dt.timedelta = dt.timedelta(minutes=15)
    session_ttl: dt.timedelta = dt.timedelta(hours=12)
    dunning: DunningPolicy = DunningPolicy()
    vlan_range: VlanRange = VlanRange()
    # Per location: one subnet per customer VLAN. A location without one hands out addresses from
    # its flat pools (a routed public range, say).
    customer_networks: Mapping[int, CustomerNetworks] = attrs.field(factory=dict)
    overcommit: Overcommit = Overcommit()
    alert_rules: tuple[AlertRule, ...] = DEFAULT_RULES
    default_inbound: tuple[FirewallRule, ...] = DEFAULT_INBOUND
    max_servers_per_customer: int = 25
    max_snapshots_per_server: int = 10
    max_tokens_per_customer: int = 50
    # Stopped guests kept ready per (location id, OS image id); none unless configured.
    warm_pool: Mapping[tuple[int, int], int] = attrs.field(factory=dict)
    # A pooled guest still `building` after this is taken for a crashed build and cleaned away.
    warm_pool_build_timeout: dt.timedelta = dt.timedelta(minutes=30)
    # The reconciler leaves alone whatever changed more recently than this: a saga or an action
    # may still be on its way.
    reconcile_grace: dt.timedelta = dt.timedelta(minutes=15)
    # Logins and accounts (domain/model/throttle.py, domain/usecases/passwords.py).
    login_limits: LoginLimits = LoginLimits()
    registrations_per_hour: int = 10  # sign-up attempts per client address
    max_sessions_per_account: int = 20  # a login past it ends the account's oldest session
    password_reset_ttl: dt.timedelta = dt.timedelta(minutes=30)
    public_url: str = "http://127.0.0.1:8000"  # where links in e-mails point
    console_link_ttl: dt.timedelta = CONSOLE_LINK_TTL  # a console link opens a session this soon
    common_passwords: frozenset[str] = attrs.field(default=frozenset(), repr=False)
    # How long the metrics history keeps raw samples, and its 5-minute rollups.
    metrics_raw_days: int = 7
    metrics_rollup_days: int = 90
    # Top-ups (domain/usecases/payments.py): the least and most one payment may be, in micro-units,
    # and how long a payment may stay pending before the reconciliation asks the gateway about it.
    payment_min_micro: int = 100 * MICRO
    payment_max_micro: int = 1_000_000 * MICRO
    payment_reconcile_after: dt.timedelta = dt.timedelta(minutes=10)

    # Webhooks to plain HTTP and private addresses (the sandbox's local receivers), else HTTPS to
    # public addresses only (domain/model/webhooks.py).
    webhooks_allow_private: bool = False

    @property
    def payment_limits(self) -> PaymentLimits:
        return PaymentLimits(
            Money(self.payment_min_micro, self.currency),
            Money(self.payment_max_micro, self.currency),
        )

    def __attrs_post_init__(self) -> None:
        if len(self.quote_key) < 16 or len(self.csrf_key) < 16:
            raise ValueError("the quote and CSRF keys must be at least 16 bytes each")
        if self.billing_period_seconds <= 0:
            raise ValueError("the billing period must be positive")


@attrs.frozen
class Runtime:
    uow: UnitOfWorkFactory
    clock: Clock
    hasher: PasswordHasher
    secrets: SecretGenerator
    secret_box: SecretBox  # seals passwords that travel inside queued jobs
    hypervisor: Hypervisor
    fabric: NetworkFabric
    mailer: Mailer
    events: EventPublisher
    policy: Policy
    counters: Counters  # attempt counters of the throttles, shared by every API process
    totp: TotpAlgorithm  # two-factor login's codes (domain/usecases/two_factor.py)
    webhooks: WebhookSender  # customers' webhook endpoints
    payments: PaymentGateway | None = None  # where top-ups are paid; None: top-ups are off

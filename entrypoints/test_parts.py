"""What the composition root's test wiring (`for_tests`) is given rather than builds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from adapters.memory import InlineJobQueue
from adapters.memory.throttle import MemoryCounters
from entrypoints.config import Settings
from entrypoints.payments_config import make_gateway
from ports.clock import Clock
from ports.hypervisor import Hypervisor
from ports.messaging import EventPublisher, Mailer
from ports.network import NetworkFabric
from ports.payments import PaymentGateway
from ports.security import PasswordHasher
from ports.throttle import Counters
from ports.unit_of_work import UnitOfWorkFactory
from ports.webhooks import WebhookSender

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool


@attrs.frozen
class TestParts:
    """What the test wiring is given rather than builds. The test keeps each part with its own
    type (a FakeClock, an InMemoryStore...), so nothing is read back out of the container."""

    __test__ = False  # not a test class, whatever pytest makes of the name

    clock: Clock
    store: UnitOfWorkFactory
    jobs: InlineJobQueue  # bound to the tasks; a store that defers jobs hands them to it
    hypervisor: Hypervisor
    fabric: NetworkFabric
    mailer: Mailer
    events: EventPublisher
    webhooks: WebhookSender
    counters: Counters = attrs.field(factory=MemoryCounters)
    payments: PaymentGateway | None = None  # None: the one the settings describe (the sandbox's)
    hasher: PasswordHasher | None = None  # None: the one the settings describe


def payments_for_tests(
    parts: TestParts, settings: Settings, clock: Clock, pool: Callable[[], ConnectionPool]
) -> PaymentGateway:
    """YooKassa when configured, else the sandbox checkout (its records in the database when there
    is one, so that every worker serves the same page); a test may hand over its own."""
    if parts.payments is not None:
        return parts.payments
    return make_gateway(settings.payments, settings.public_url, clock, pool, settings.sandbox)

"""Webhooks: where they are kept, and what sends them."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Protocol

import attrs

from domain.model.webhooks import Delivery, Target, Webhook
from ports.paging import Page


class WebhookRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, webhook: Webhook) -> None: ...
    def get(self, webhook_id: int) -> Webhook:
        """Raises NotFound."""
        ...

    def for_owner(self, owner_id: int) -> list[Webhook]:
        """Oldest first."""
        ...

    def remove(self, webhook_id: int) -> None:
        """The webhook and its deliveries; raises NotFound."""
        ...


class DeliveryRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, delivery: Delivery) -> None: ...
    def claim_due(self, now: dt.datetime, limit: int) -> list[Delivery]:
        """Due deliveries, oldest first, held until the unit of work ends (SKIP LOCKED on
        PostgreSQL: two deliverers never take the same one)."""
        ...

    def stalled(self, claimed_before: dt.datetime, limit: int) -> list[Delivery]:
        """Deliveries `sending` since before `claimed_before`."""
        ...

    def update(self, delivery: Delivery) -> None: ...
    def for_webhook(self, webhook_id: int, page: Page) -> tuple[builtins.list[Delivery], int]:
        """Newest first."""
        ...


@attrs.frozen
class WebhookRequest:
    target: Target
    headers: dict[str, str]
    body: bytes


@attrs.frozen
class WebhookAnswer:
    status_code: int | None  # None: no HTTP answer came (refused, timed out, not allowed)
    text: str  # the start of the answer, or why there was none


class WebhookSender(Protocol):
    def send(self, request: WebhookRequest, *, allow_private: bool) -> WebhookAnswer:
        """POST the body; never raises for what the receiver or the network does. Unless
        `allow_private`, every address the host resolves to must be public, and the connection
        goes to one of the addresses checked (not to a second lookup)."""
        ...

"""Repositories: where the aggregates live between units of work.

Every repository belongs to a UnitOfWork; what it writes becomes visible to others only at commit
and is discarded by rollback. `next_id()` never hands out the same id twice, even across rollbacks.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Protocol

from domain.model.accounts import Account, ApiToken, TokenKind
from domain.model.action import Action
from domain.model.alerts import AlertState, Metric
from domain.model.catalogue import Catalogue
from domain.model.ledger import LedgerAccount, Transaction
from domain.model.metrics import Counters, MetricSample
from domain.model.network import IpPool
from domain.model.notices import Notice
from domain.model.promo import PromoCode
from domain.model.server import Server
from domain.model.warm_pool import PooledGuest
from ports.records import (
    AuditQuery,
    AuditRecord,
    IdempotencyRecord,
    Page,
    Redemption,
    StatsSample,
    StoredResponse,
)


class AccountRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, account: Account) -> None:
        """Raises AlreadyExists when the e-mail (case-insensitively in its domain) is taken."""
        ...

    def get(self, account_id: int) -> Account | None: ...
    def get_for_update(self, account_id: int) -> Account | None:
        """Like get, holding the account until the unit of work ends: decisions that count what
        the account owns (its server cap) are taken one at a time."""
        ...

    def by_email(self, email: str) -> Account | None: ...
    def update(self, account: Account) -> None: ...
    def list(self, page: Page) -> tuple[builtins.list[Account], int]: ...
    def all_ids(self) -> builtins.list[int]: ...


class TokenRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: int) -> ApiToken | None: ...
    def by_digest(self, digest: str) -> ApiToken | None: ...
    def for_account(self, account_id: int, kind: TokenKind | None = None) -> list[ApiToken]: ...
    def remove(self, token_id: int) -> None: ...
    def touch(self, token_id: int, at: dt.datetime) -> None: ...
    def remove_expired(self, now: dt.datetime) -> int:
        """Remove every token whose expiry is at or before `now`; how many went."""
        ...


class ServerRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, server: Server) -> None: ...
    def get(self, server_id: int) -> Server | None:
        """The server as stored; changes are saved with `update` (no hidden identity map)."""
        ...

    def get_for_update(self, server_id: int) -> Server | None:
        """As `get`, but no other unit of work can change the server until this one ends."""
        ...

    def update(self, server: Server) -> None: ...
    def for_owner(
        self, owner_id: int, *, include_deleted: bool = False
    ) -> builtins.list[Server]: ...
    def billable_before(self, moment: dt.datetime, limit: int) -> builtins.list[Server]:
        """Billable servers whose meter is behind `moment`, oldest watermark first."""
        ...

    def list(self, page: Page) -> tuple[builtins.list[Server], int]: ...
    def by_vmid(self, vmid: int) -> Server | None: ...
    def running(self) -> builtins.list[Server]:
        """Every running server with a guest, in one read (the monitoring pass)."""
        ...

    def in_progress(self) -> builtins.list[Server]:
        """Servers in pending, provisioning or deleting: what a crashed worker may have left."""
        ...

    def placed_in(self, location_id: int) -> builtins.list[Server]:
        """The location's servers that hold a vmid and are neither failed nor deleted: every
        guest our records claim there (for reconciliation), oldest first."""
        ...


class WarmPoolRepository(Protocol):
    """Pre-built stopped guests waiting for an order (domain/model/warm_pool.py)."""

    def next_id(self) -> int: ...
    def add(self, guest: PooledGuest) -> None:
        """Raises AlreadyExists when another pooled guest has the vmid."""
        ...

    def update(self, guest: PooledGuest) -> None: ...
    def remove(self, guest_id: int) -> None:
        """Forget the guest; nothing if it is already gone."""
        ...

    def claim(self, location_id: int, image_id: int, *, max_disk_gib: int) -> PooledGuest | None:
        """Take the oldest ready guest of the pool with a disk of at most `max_disk_gib` out of
        it, or None. Atomic: two units of work never take the same guest, and one that waits for
        another's claim takes the next guest rather than blocking on the first."""
        ...

    def by_vmid(self, vmid: int) -> PooledGuest | None: ...
    def in_location(self, location_id: int) -> builtins.list[PooledGuest]:
        """Oldest first."""
        ...

    def all(self) -> builtins.list[PooledGuest]: ...


class ActionRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, action: Action) -> None: ...
    def get(self, action_id: int) -> Action | None: ...
    def update(self, action: Action) -> None: ...
    def for_server(self, server_id: int) -> list[Action]: ...
    def running_by_command(self) -> dict[str, int]:
        """How many actions are running, by command value (those with none are left out)."""
        ...


class LedgerRepository(Protocol):
    """The books. Promises:

    - `post` applies `domain.model.ledger.check_postable` atomically with the write: under any
      concurrency, no customer-initiated transaction takes a wallet below zero and no hold is
      settled beyond what it reserved.
    - `post` is idempotent by key: the same movement under the same key returns the stored one;
      a different movement under a used key raises Conflict.
    """

    def post(self, tx: Transaction) -> Transaction: ...
    def get(self, key: str) -> Transaction | None: ...
    def balance(self, account: LedgerAccount) -> int: ...
    def balances(self, accounts: Iterable[LedgerAccount]) -> dict[LedgerAccount, int]:
        """The balance of each account (0 for one that never moved), in one look-up."""
        ...

    def unsettled(self, hold_key: str) -> int:
        """Micro-units still reserved under a hold (0 once captured or released)."""
        ...

    def for_customer(self, customer_id: int, page: Page) -> tuple[list[Transaction], int]:
        """The customer's transactions, newest first."""
        ...

    def all(self) -> Iterator[Transaction]:
        """Every transaction in posting order (audits, reconciliation)."""
        ...


class PromoCodeRepository(Protocol):
    def next_id(self) -> int: ...
    def add(self, code: PromoCode) -> None:
        """Raises AlreadyExists for a code text already in use."""
        ...

    def get(self, code_id: int) -> PromoCode | None: ...
    def by_code(self, code: str) -> PromoCode | None: ...
    def update(self, code: PromoCode) -> None: ...
    def list(self, page: Page) -> tuple[builtins.list[PromoCode], int]: ...
    def uses_by(self, code_id: int, customer_id: int) -> int: ...
    def redeem(self, code_id: int, redemption: Redemption) -> PromoCode:
        """Record a use atomically: re-checks the total and per-customer limits against the stored
        code and raises PromoCodeRejected (exhausted / already_used) when either is reached."""
        ...

    def give_back(self, code_id: int, customer_id: int, reference: str) -> None:
        """Undo a redemption made for `reference` (a failed order); nothing if there was none."""
        ...


class NetworkRepository(Protocol):
    """Allocations of addresses, MACs and VLANs; unique under concurrency."""

    def pools(self, location_id: int) -> list[IpPool]: ...
    def add_pool(self, pool: IpPool) -> None: ...
    def taken_ips(self, cidr: str) -> set[str]: ...
    def assign_ip(self, cidr: str, ip: str, server_id: int) -> None:
        """Raises AlreadyExists when the address is taken."""
        ...

    def ip_of(self, server_id: int) -> tuple[str, str] | None:
        """(cidr, ip) assigned to the server, if any."""
        ...

    def release_ip(self, server_id: int) -> None: ...
    def next_mac_sequence(self) -> int:
        """A MAC sequence number never handed out before."""
        ...

    def vlan_of(self, customer_id: int, location_id: int) -> int | None: ...
    def taken_vlans(self, location_id: int) -> set[int]: ...
    def assign_vlan(self, customer_id: int, location_id: int, vlan: int) -> None:
        """Raises AlreadyExists when the tag is taken or the customer already has one here."""
        ...

    def release_vlan(self, customer_id: int, location_id: int) -> None: ...


class CatalogueRepository(Protocol):
    def current(self) -> Catalogue: ...
    def publish(self, catalogue: Catalogue) -> None:
        """Make a new version current; its version must be higher than the current one."""
        ...


class MetricsRepository(Protocol):
    def latest(self, server_id: int) -> StatsSample | None:
        """The server's newest sample in its history (kept nowhere else: it is derivable)."""
        ...

    def alert_state(self, server_id: int, metric: Metric) -> AlertState: ...
    def save_alert_state(self, state: AlertState) -> None: ...

    # --- the history: one batched write per monitoring pass --------------------------------------
    def counters(self) -> dict[int, Counters]:
        """The counters every server had at its latest sample, by server id."""
        ...

    def alert_states(self) -> dict[tuple[int, Metric], AlertState]:
        """Every stored alert state (a server and metric without one is inactive)."""
        ...

    def record_pass(
        self, samples: builtins.list[MetricSample], counters: dict[int, Counters]
    ) -> None:
        """A pass's samples into the history, and each server's latest figures and counters."""
        ...

    def history(
        self,
        server_id: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        rollups: bool,
        step: int | None = None,
    ) -> builtins.list[MetricSample]:
        """Stored rows of [start, end), oldest first: 5-minute rollups when `rollups` (where the
        store keeps them; else the raw samples). With `step` a store may sum the rows of each
        `step`-second bucket into one, weighted by their samples (`points` gives the same)."""
        ...

    def maintain(self, now: dt.datetime, raw_days: int, rollup_days: int) -> dict[str, int]:
        """Roll finished 5-minute buckets up, keep storage ready ahead and drop what is older
        than its retention; returns counts of what it did."""
        ...


class OutboxRepository(Protocol):
    """Notices written in the same unit of work as the change they announce, delivered later."""

    def next_id(self) -> int: ...
    def add(self, notice: Notice) -> None: ...
    def pending(self, limit: int) -> list[Notice]:
        """Unsent notices, oldest first (failed ones included)."""
        ...

    def claim_due(self, now: dt.datetime, limit: int) -> list[Notice]:
        """Up to `limit` notices due for a try (pending, their backoff over), oldest first, each
        held until the unit of work ends; a notice another deliverer holds is skipped, not
        waited for."""
        ...

    def stalled(self, claimed_before: dt.datetime, limit: int) -> list[Notice]:
        """Notices still `sending` that were claimed at or before that moment, held like
        claim_due's."""
        ...

    def update(self, notice: Notice) -> None: ...
    def for_account(self, account_id: int) -> list[Notice]: ...
    def list(self, page: Page) -> tuple[builtins.list[Notice], int]:
        """Every notice, newest first, and how many there are."""
        ...


class AuditLog(Protocol):
    def record(self, entry: AuditRecord) -> None: ...
    def recent(self, limit: int) -> list[AuditRecord]: ...
    def search(self, query: AuditQuery, page: Page) -> tuple[list[AuditRecord], int]:
        """One page of the entries `query` selects, newest first, and how many it selects."""
        ...


class IdempotencyStore(Protocol):
    def claim(
        self, record: IdempotencyRecord, *, stale_before: dt.datetime | None = None
    ) -> IdempotencyRecord | None:
        """Store a new claim and return None, or return the existing record for (account, key).

        An existing claim for the same request (fingerprint) that has no response and whose request
        is no longer running is taken over the same way (replaced, None returned): one claimed
        before `stale_before` (its lease ran out), or, where the store can tell, one whose holding
        process is gone."""
        ...

    def complete(self, account_id: int, key: str, response: StoredResponse) -> None: ...
    def mark_changed(self, account_id: int, key: str) -> None:
        """The claiming request committed a change (called in that change's commit)."""
        ...

    def release(self, account_id: int, key: str) -> None:
        """Forget the claim of a request that failed, so a retry may run: unless it committed a
        change before failing, and then the claim stays and no retry runs it again."""
        ...

    def purge_before(self, moment: dt.datetime) -> int: ...
